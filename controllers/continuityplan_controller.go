package controllers

import (
	"cmp"
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/evidence"
)

// The plan reconciler reads backups (Velero, CSI snapshots) and the availability of the
// plans' dependencies.
//
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=velero.io,resources=backups;schedules;restores;backupstoragelocations,verbs=get;list;watch
// +kubebuilder:rbac:groups=snapshot.storage.k8s.io,resources=volumesnapshots,verbs=get;list;watch

// ContinuityPlanReconciler keeps each ContinuityPlan's status: the newest backup of every
// asset it covers against the RPO, its last passed exercise and the next one due, its
// dependencies' availability, and whether its recovery objectives were met.
type ContinuityPlanReconciler struct {
	client.Client
	// Gatherer reads each covered asset's backup evidence from the cache.
	Gatherer *evidence.Gatherer
	// Recorder emits Events when the plan's readiness changes.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now Clock

	status *statusWriter
}

// Reconcile computes the plan's status, writes it only when it changed, and requeues at
// the moment a backup grows older than the RPO or an exercise falls due.
func (r *ContinuityPlanReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	plan := &isms.ContinuityPlan{}
	if err := r.Get(ctx, req.NamespacedName, plan); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.status.Behind(plan) {
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	now := r.Now.now()
	in := planInputs{plan: plan, now: now}
	for _, ref := range plan.Spec.Assets {
		covered, err := r.coveredAsset(ctx, plan.Namespace, ref.Name, now)
		if err != nil {
			return ctrl.Result{}, err
		}
		in.assets = append(in.assets, covered)
	}
	for _, dep := range plan.Spec.Dependencies {
		st, err := r.dependencyStatus(ctx, plan.Namespace, dep)
		if err != nil {
			return ctrl.Result{}, err
		}
		in.dependencies = append(in.dependencies, st)
	}
	status, recheck := planStatus(in)
	if err := r.writeStatus(ctx, plan, status); apierrors.IsNotFound(err) {
		return ctrl.Result{}, nil // deleted meanwhile
	} else if apierrors.IsConflict(err) {
		log.FromContext(ctx).V(1).Info("Retrying on a newer version of the plan", "reason", err.Error())
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	return recheckAfter(untilRecheck(recheck, now)), nil
}

func (r *ContinuityPlanReconciler) coveredAsset(ctx context.Context, ns, name string, now time.Time) (coveredAsset, error) {
	asset := &isms.InformationAsset{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, asset); err != nil {
		return coveredAsset{name: name}, client.IgnoreNotFound(err)
	}
	ev, err := r.Gatherer.GatherBackups(ctx, asset, now)
	if err != nil {
		return coveredAsset{}, fmt.Errorf("reading the backups of InformationAsset %s/%s: %w", ns, name, err)
	}
	return coveredAsset{name: name, evidence: ev}, nil
}

// dependencyStatus observes one dependency: Deployments and StatefulSets (apps/v1) by
// their available replicas, Services (v1) by their ready endpoints. Messages say what was
// seen, not counts that change with every scaling, so status is written only when
// availability changes. A read that fails for another reason than absence is returned.
func (r *ContinuityPlanReconciler) dependencyStatus(ctx context.Context, planNamespace string, dep isms.Dependency) (isms.DependencyStatus, error) {
	st := isms.DependencyStatus{Name: dep.Name}
	if dep.Ref == nil {
		st.Availability, st.Message = isms.DependencyExternal, "Outside the cluster; not observed."
		return st, nil
	}
	ref := dep.Ref
	key := types.NamespacedName{Namespace: cmp.Or(ref.Namespace, planNamespace), Name: ref.Name}
	set := func(availability isms.DependencyAvailability, format string, args ...any) (isms.DependencyStatus, error) {
		st.Availability, st.Message = availability, fmt.Sprintf(format, args...)
		return st, nil
	}
	var obj client.Object
	switch {
	case ref.APIVersion == "apps/v1" && ref.Kind == "Deployment":
		obj = &appsv1.Deployment{}
	case ref.APIVersion == "apps/v1" && ref.Kind == "StatefulSet":
		obj = &appsv1.StatefulSet{}
	case ref.APIVersion == "v1" && ref.Kind == "Service":
		obj = &corev1.Service{}
	default:
		return set(isms.DependencyUnknown, "The operator observes apps/v1 Deployments and StatefulSets and v1 Services, not %s %s.", ref.APIVersion, ref.Kind)
	}
	if err := r.Get(ctx, key, obj); apierrors.IsNotFound(err) {
		return set(isms.DependencyUnavailable, "%s %s does not exist.", ref.Kind, key)
	} else if err != nil {
		return st, fmt.Errorf("reading dependency %s %s: %w", ref.Kind, key, err)
	}
	var desired *int32
	var available int32
	switch o := obj.(type) {
	case *appsv1.Deployment:
		desired, available = o.Spec.Replicas, o.Status.AvailableReplicas
	case *appsv1.StatefulSet:
		desired, available = o.Spec.Replicas, o.Status.AvailableReplicas
	case *corev1.Service:
		ready, err := r.hasReadyEndpoint(ctx, key)
		if err != nil {
			return st, fmt.Errorf("reading the EndpointSlices of Service %s: %w", key, err)
		}
		if ready {
			return set(isms.DependencyAvailable, "Service %s has ready endpoints.", key)
		}
		return set(isms.DependencyUnavailable, "Service %s has no ready endpoint.", key)
	}
	switch {
	case desired != nil && *desired == 0:
		return set(isms.DependencyUnavailable, "%s %s is scaled to 0 replicas.", ref.Kind, key)
	case available == 0:
		return set(isms.DependencyUnavailable, "%s %s has no available replica.", ref.Kind, key)
	}
	return set(isms.DependencyAvailable, "%s %s has available replicas.", ref.Kind, key)
}

// hasReadyEndpoint reports whether an EndpointSlice of the Service has a ready endpoint.
func (r *ContinuityPlanReconciler) hasReadyEndpoint(ctx context.Context, key types.NamespacedName) (bool, error) {
	var slices discoveryv1.EndpointSliceList
	if err := r.List(ctx, &slices, client.InNamespace(key.Namespace), client.MatchingLabels{discoveryv1.LabelServiceName: key.Name}); err != nil {
		return false, err
	}
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				return true, nil
			}
		}
	}
	return false, nil
}

// writeStatus writes status when it changed, with an Event when readiness changes.
func (r *ContinuityPlanReconciler) writeStatus(ctx context.Context, plan *isms.ContinuityPlan, status isms.ContinuityPlanStatus) error {
	updated := plan.DeepCopy()
	updated.Status = status
	written, err := r.status.Write(ctx, plan, updated)
	if err != nil {
		if refused(err) {
			r.Recorder.Eventf(plan, nil, corev1.EventTypeWarning, isms.ReasonWriteRefused, "WriteStatus", "%s",
				bounds.Cut("The API server refused the plan's status: "+err.Error(), bounds.EventNote))
		}
		return fmt.Errorf("writing the status of ContinuityPlan %s/%s: %w", plan.Namespace, plan.Name, err)
	}
	if !written {
		return nil
	}
	before := meta.FindStatusCondition(plan.Status.Conditions, isms.ConditionReady)
	ready := meta.FindStatusCondition(updated.Status.Conditions, isms.ConditionReady)
	wasReady := before != nil && before.Status == metav1.ConditionTrue
	switch isReady := ready.Status == metav1.ConditionTrue; {
	case isReady && !wasReady:
		r.Recorder.Eventf(plan, nil, corev1.EventTypeNormal, "PlanReady", "Evaluate", "%s", bounds.Cut(ready.Message, bounds.EventNote))
	case !isReady && (wasReady || before == nil):
		// The action names what fails, so client-go does not merge different causes into
		// one event series.
		r.Recorder.Eventf(plan, nil, corev1.EventTypeWarning, "PlanNotReady", "Evaluate"+failingConditions(updated.Status.Conditions), "%s",
			bounds.Cut(ready.Message, bounds.EventNote))
	}
	log.FromContext(ctx).V(1).Info("Updated the plan's status", "ready", ready.Status)
	return nil
}

// failingConditions joins the types of the plan's conditions that are not True, Ready aside.
func failingConditions(conditions []metav1.Condition) string {
	var failing string
	for _, c := range conditions {
		if c.Type != isms.ConditionReady && c.Status != metav1.ConditionTrue {
			failing += c.Type
		}
	}
	return failing
}

// indexPlanDependency indexes ContinuityPlans by their in-cluster dependencies, as
// Kind/namespace/name.
const indexPlanDependency = "isms.planDependency"

func dependencyKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// SetupWithManager watches plans, the assets and workloads they cover (their templates),
// and their dependencies (their availability); the optional backup kinds are added when
// discovered (Setup).
func (r *ContinuityPlanReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) (controller.Controller, error) {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &isms.ContinuityPlan{}, indexPlanDependency, func(o client.Object) []string {
		plan := o.(*isms.ContinuityPlan)
		var keys []string
		for _, d := range plan.Spec.Dependencies {
			if d.Ref != nil {
				ns := d.Ref.Namespace
				if ns == "" {
					ns = plan.Namespace
				}
				keys = append(keys, dependencyKey(d.Ref.Kind, ns, d.Ref.Name))
			}
		}
		return keys
	}); err != nil {
		return nil, err
	}
	r.status = newStatusWriter(mgr.GetClient())
	inNamespace := enqueueMapped(r.plansInObjectNamespace)
	b := ctrl.NewControllerManagedBy(mgr).Named("continuityplan").
		WithOptions(controllerOptions()).
		For(&isms.ContinuityPlan{}, builder.WithPredicates(predicate.Or[client.Object](
			r.status.statusChanges(func(o client.Object) any { return o.(*isms.ContinuityPlan).Status }),
			predicate.GenerationChangedPredicate{}))).
		Watches(&isms.InformationAsset{}, inNamespace, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.PersistentVolumeClaim{}, inNamespace).
		Watches(&appsv1.Deployment{}, enqueueMapped(r.plansDependingOnWorkload), builder.WithPredicates(availabilityChanged)).
		Watches(&appsv1.StatefulSet{}, enqueueMapped(r.plansDependingOnWorkload), builder.WithPredicates(availabilityChanged)).
		Watches(&corev1.Service{}, enqueueMapped(r.plansDependingOnService)).
		Watches(&discoveryv1.EndpointSlice{}, enqueueMapped(r.plansDependingOnService))
	// A changed pod template may change which backups cover a covered asset.
	for _, workload := range evidence.WorkloadObjects() {
		b = b.Watches(workload, inNamespace, builder.WithPredicates(templateChanged))
	}
	return b.Build(r)
}

// availabilityChanged lets through Deployment and StatefulSet updates that change how
// many replicas are wanted or available.
var availabilityChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	counts := func(obj client.Object) (desired *int32, available int32) {
		switch o := obj.(type) {
		case *appsv1.Deployment:
			return o.Spec.Replicas, o.Status.AvailableReplicas
		case *appsv1.StatefulSet:
			return o.Spec.Replicas, o.Status.AvailableReplicas
		}
		return nil, 0
	}
	oldDesired, oldAvailable := counts(e.ObjectOld)
	newDesired, newAvailable := counts(e.ObjectNew)
	return oldAvailable != newAvailable || !equality.Semantic.DeepEqual(oldDesired, newDesired)
}}

// plansIn returns a request for every plan in namespace ns ("" for every namespace).
func (r *ContinuityPlanReconciler) plansIn(ctx context.Context, ns string) []reconcile.Request {
	var plans isms.ContinuityPlanList
	if err := r.List(ctx, &plans, client.InNamespace(ns)); err != nil {
		log.FromContext(ctx).Error(err, "Could not list the plans a change affects", "namespace", ns)
		return nil
	}
	return requestsFor(plans.Items)
}

func (r *ContinuityPlanReconciler) plansInObjectNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.plansIn(ctx, obj.GetNamespace())
}

// plansDependingOn returns the plans that name the object as a dependency.
func (r *ContinuityPlanReconciler) plansDependingOn(ctx context.Context, kind, ns, name string) []reconcile.Request {
	var plans isms.ContinuityPlanList
	if err := r.List(ctx, &plans, client.MatchingFields{indexPlanDependency: dependencyKey(kind, ns, name)}); err != nil {
		log.FromContext(ctx).Error(err, "Could not find the plans that depend on an object", "kind", kind, "namespace", ns, "name", name)
		return nil
	}
	return requestsFor(plans.Items)
}

// plansDependingOnWorkload maps a Deployment or StatefulSet to the plans that depend on it.
func (r *ContinuityPlanReconciler) plansDependingOnWorkload(ctx context.Context, obj client.Object) []reconcile.Request {
	kind := "Deployment"
	if _, ok := obj.(*appsv1.StatefulSet); ok {
		kind = "StatefulSet"
	}
	return r.plansDependingOn(ctx, kind, obj.GetNamespace(), obj.GetName())
}

// plansDependingOnService maps a Service, or an EndpointSlice of one, to the plans that
// depend on the Service.
func (r *ContinuityPlanReconciler) plansDependingOnService(ctx context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetName()
	if slice, ok := obj.(*discoveryv1.EndpointSlice); ok {
		name = slice.Labels[discoveryv1.LabelServiceName]
	}
	return r.plansDependingOn(ctx, "Service", obj.GetNamespace(), name)
}
