package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/incidents"
)

//+kubebuilder:rbac:groups=isms.nhs.uk,resources=securityincidents,verbs=get;list;watch
//+kubebuilder:rbac:groups=isms.nhs.uk,resources=securityincidents/status,verbs=get;update;patch

// SecurityIncidentReconciler grades each SecurityIncident on the notification grid and
// keeps its 72-hour clock: it writes the status when it changed, an Event on each
// condition's transition, and requeues at the deadline.
type SecurityIncidentReconciler struct {
	client.Client
	// Grid is where the notification grid asks for a report to the ICO.
	Grid incidents.Grid
	// Recorder emits Events on transitions.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now Clock
	// Scope is the namespaces the operator works in: an incident elsewhere is not graded.
	Scope Scope

	status *statusWriter
}

// Reconcile decides the incident's status at now and writes it when it changed.
func (r *SecurityIncidentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if !r.Scope.Contains(req.Namespace) {
		return ctrl.Result{}, nil
	}
	incident := &isms.SecurityIncident{}
	if err := r.Get(ctx, req.NamespacedName, incident); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.status.Behind(incident) {
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	risks, err := risksOfAssets(ctx, r.Client, incident.Namespace, incidentAssets(incident)...)
	if err != nil {
		return ctrl.Result{}, err
	}
	now := r.Now.now()
	updated := incident.DeepCopy()
	status, next := incidents.Status(incident, risks, r.Grid, now)
	updated.Status = status
	written, err := r.status.Write(ctx, incident, updated)
	if err != nil {
		return writeFailed(ctx, r.Recorder, incident, "incident", err)
	}
	if written {
		r.recordTransitions(incident, updated)
	}
	return recheckAfter(untilRecheck(next, now)), nil
}

// recordTransitions emits an Event for each condition whose status changed: a Warning
// when a notification is overdue, else Normal.
func (r *SecurityIncidentReconciler) recordTransitions(before, after *isms.SecurityIncident) {
	for _, c := range after.Status.Conditions {
		if old := meta.FindStatusCondition(before.Status.Conditions, c.Type); old != nil && old.Status == c.Status {
			continue
		}
		kind := corev1.EventTypeNormal
		if c.Type == isms.ConditionNotificationOverdue && c.Status == "True" {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(after, nil, kind, c.Reason, c.Type, "%s", bounds.Cut(c.Type+" is "+string(c.Status)+": "+c.Message, bounds.EventNote))
	}
}

// SetupWithManager builds the controller; Setup adds its watch of incidents once their
// CRD is served.
func (r *SecurityIncidentReconciler) SetupWithManager(mgr ctrl.Manager) (controller.Controller, error) {
	r.status = newStatusWriter(mgr.GetClient())
	options := controllerOptions()
	options.Reconciler = r
	return controller.New("securityincident", mgr, options)
}

// incidentsOf maps a Risk to the incidents against its asset.
func incidentsOf(reader client.Reader) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		risk := obj.(*isms.Risk)
		if risk.Spec.AssetRef == nil {
			return nil
		}
		incidents, err := incidentsOfAsset(ctx, reader, risk.Namespace, risk.Spec.AssetRef.Name)
		if err != nil {
			log.FromContext(ctx).Error(err, "Could not map a Risk to its asset's incidents")
			return nil
		}
		return requestsFor(incidents)
	}
}

// incidentAssets indexes incidents by the assets they name.
func incidentAssets(o client.Object) []string {
	refs := o.(*isms.SecurityIncident).Spec.AssetRefs
	names := make([]string, len(refs))
	for i, ref := range refs {
		names[i] = ref.Name
	}
	return names
}

// historyChanged lets through the Risk updates an incident reads: a new history entry,
// which is when a Risk's state at a past time can first be known.
var historyChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	return !equality.Semantic.DeepEqual(e.ObjectOld.(*isms.Risk).Status.History, e.ObjectNew.(*isms.Risk).Status.History)
}}

// predicates let through a person's changes and a status anyone else changed.
func (r *SecurityIncidentReconciler) predicates() []predicate.Predicate {
	return []predicate.Predicate{predicate.Or[client.Object](
		r.status.statusChanges(func(o client.Object) any { return o.(*isms.SecurityIncident).Status }),
		predicate.GenerationChangedPredicate{})}
}
