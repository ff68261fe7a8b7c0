package controllers

import (
	"context"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/register"
)

// Field indexes that map a cluster-scoped object back to the namespaces it affects.
const (
	// indexStorageClass indexes PersistentVolumeClaims, PersistentVolumes and workloads by
	// the StorageClasses their volumes use (defaultClassKey for "the default class").
	indexStorageClass = "isms.storageClass"
	// indexClusterRole indexes RoleBindings and ClusterRoleBindings by the ClusterRole they bind.
	indexClusterRole = "isms.clusterRole"
	// defaultClassKey stands for the default StorageClass in indexStorageClass.
	defaultClassKey = "<default>"
	// indexRiskAsset indexes Risks by the asset they name.
	indexRiskAsset = "isms.riskAsset"
	// indexRiskNames indexes InformationAssets by the names of the Risks that record their
	// controls, so a Risk that takes such a name wakes the asset whatever it says.
	indexRiskNames = "isms.riskNames"
)

// SetupWithManager registers the field indexes and the watches: the asset itself, and
// every kind of object its controls read, each mapped to the assets it affects so that
// drift shows at once rather than at a resync.
func (r *InformationAssetReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) (controller.Controller, error) {
	if err := registerIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return nil, err
	}
	r.status = newStatusWriter(mgr.GetClient())
	b := ctrl.NewControllerManagedBy(mgr).Named("informationasset").
		WithOptions(controllerOptions()).
		For(&isms.InformationAsset{}, builder.WithPredicates(predicate.Or[client.Object](
			r.status.statusChanges(func(o client.Object) any { return o.(*isms.InformationAsset).Status }),
			predicate.GenerationChangedPredicate{})))
	for _, workload := range evidence.WorkloadObjects() {
		b = b.Watches(workload, handler.EnqueueRequestsFromMapFunc(r.assetsSelecting), builder.WithPredicates(templateChanged))
	}
	for _, namespaced := range []client.Object{
		&corev1.PersistentVolumeClaim{}, &corev1.Service{}, &corev1.ServiceAccount{},
		&networkingv1.Ingress{}, &networkingv1.NetworkPolicy{}, &rbacv1.Role{},
	} {
		b = b.Watches(namespaced, handler.EnqueueRequestsFromMapFunc(r.assetsInObjectNamespace))
	}
	b = b.Watches(&rbacv1.RoleBinding{}, handler.EnqueueRequestsFromMapFunc(r.assetsOfRoleBinding))
	b = b.Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.assetsInNamespaceObject)).
		Watches(&corev1.PersistentVolume{}, handler.EnqueueRequestsFromMapFunc(r.assetsOfVolume)).
		Watches(&storagev1.StorageClass{}, handler.EnqueueRequestsFromMapFunc(r.assetsOfStorageClass)).
		Watches(&rbacv1.ClusterRole{}, handler.EnqueueRequestsFromMapFunc(r.assetsOfClusterRole)).
		Watches(&rbacv1.ClusterRoleBinding{}, handler.EnqueueRequestsFromMapFunc(r.assetsOfClusterRoleBinding)).
		Watches(&isms.Risk{}, handler.EnqueueRequestsFromMapFunc(r.assetsOfRisk), builder.WithPredicates(riskStateOrAssetChanged)).
		Watches(&isms.ContinuityPlan{}, handler.EnqueueRequestsFromMapFunc(r.assetsInObjectNamespace), builder.WithPredicates(planReadinessChanged))
	return b.Build(r)
}

// templateChanged lets a workload's update through only when what the controls read of it
// changed: its pod template (labels, annotations, spec), its claim templates, or whether
// a controller owns it. Status updates, which are most updates, are dropped.
var templateChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	_, before, wasWorkload := evidence.PodTemplate(e.ObjectOld)
	_, after, isWorkload := evidence.PodTemplate(e.ObjectNew)
	if wasWorkload != isWorkload {
		return true
	}
	if !isWorkload {
		return false
	}
	if oldSTS, ok := e.ObjectOld.(*appsv1.StatefulSet); ok &&
		!equality.Semantic.DeepEqual(oldSTS.Spec.VolumeClaimTemplates, e.ObjectNew.(*appsv1.StatefulSet).Spec.VolumeClaimTemplates) {
		return true
	}
	return !equality.Semantic.DeepEqual(before.Labels, after.Labels) ||
		!equality.Semantic.DeepEqual(before.Annotations, after.Annotations) ||
		!equality.Semantic.DeepEqual(before.Spec, after.Spec)
}}

// classKey is the indexStorageClass key of a claim's storageClassName.
func classKey(name *string) string {
	if name == nil {
		return defaultClassKey
	}
	return *name
}

func registerIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	for _, index := range []struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}{
		{&corev1.PersistentVolumeClaim{}, indexStorageClass, func(o client.Object) []string {
			return []string{classKey(o.(*corev1.PersistentVolumeClaim).Spec.StorageClassName)}
		}},
		{&corev1.PersistentVolume{}, indexStorageClass, func(o client.Object) []string {
			return []string{o.(*corev1.PersistentVolume).Spec.StorageClassName}
		}},

		{&rbacv1.RoleBinding{}, indexClusterRole, func(o client.Object) []string {
			if ref := o.(*rbacv1.RoleBinding).RoleRef; ref.Kind == "ClusterRole" {
				return []string{ref.Name}
			}
			return nil
		}},
		{&rbacv1.ClusterRoleBinding{}, indexClusterRole, func(o client.Object) []string {
			return []string{o.(*rbacv1.ClusterRoleBinding).RoleRef.Name}
		}},
		{&isms.Risk{}, indexRiskAsset, func(o client.Object) []string {
			if ref := o.(*isms.Risk).Spec.AssetRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}},
		{&isms.InformationAsset{}, indexRiskNames, func(o client.Object) []string {
			var names []string
			for _, c := range controls.Catalogue {
				names = append(names, register.Name(o.GetName(), c.ID))
			}
			return names
		}},
	} {
		if err := indexer.IndexField(ctx, index.obj, index.field, index.fn); err != nil {
			return err
		}
	}
	for _, workload := range evidence.WorkloadObjects() {
		if err := indexer.IndexField(ctx, workload, indexStorageClass, templateClasses); err != nil {
			return err
		}
	}
	for _, index := range evidence.Indexes() {
		if err := indexer.IndexField(ctx, index.Object, index.Field, index.Extract); err != nil {
			return err
		}
	}
	return nil
}

// templateClasses indexes a workload by the StorageClasses of the claims its template
// makes: ephemeral volumes, and a StatefulSet's volumeClaimTemplates.
func templateClasses(o client.Object) []string {
	var keys []string
	if _, template, ok := evidence.PodTemplate(o); ok {
		for _, v := range template.Spec.Volumes {
			if v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil {
				keys = append(keys, classKey(v.Ephemeral.VolumeClaimTemplate.Spec.StorageClassName))
			}
		}
	}
	if sts, ok := o.(*appsv1.StatefulSet); ok {
		for _, vct := range sts.Spec.VolumeClaimTemplates {
			keys = append(keys, classKey(vct.Spec.StorageClassName))
		}
	}
	return keys
}

// assetsIn returns a request for every asset in namespace ns ("" for every namespace).
func (r *InformationAssetReconciler) assetsIn(ctx context.Context, ns string) []reconcile.Request {
	var assets isms.InformationAssetList
	if err := r.List(ctx, &assets, client.InNamespace(ns)); err != nil {
		log.FromContext(ctx).Error(err, "Could not list the assets a change affects", "namespace", ns)
		return nil
	}
	requests := make([]reconcile.Request, 0, len(assets.Items))
	for _, a := range assets.Items {
		requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: a.Namespace, Name: a.Name}})
	}
	return requests
}

// assetsInNamespaces returns a request for every asset in any of the namespaces.
func (r *InformationAssetReconciler) assetsInNamespaces(ctx context.Context, namespaces []string) []reconcile.Request {
	slices.Sort(namespaces)
	var requests []reconcile.Request
	for _, ns := range slices.Compact(namespaces) {
		requests = append(requests, r.assetsIn(ctx, ns)...)
	}
	return requests
}

// assetsInObjectNamespace maps a namespaced object (a claim, Service, Ingress,
// NetworkPolicy, ServiceAccount, Role or RoleBinding) to the assets of its namespace.
func (r *InformationAssetReconciler) assetsInObjectNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.assetsIn(ctx, obj.GetNamespace())
}

// assetsOfRoleBinding maps a RoleBinding to the assets of its namespace (ACC-03) and of
// the namespaces of the ServiceAccounts it names, whose tokens it gives a use (ACC-04).
func (r *InformationAssetReconciler) assetsOfRoleBinding(ctx context.Context, obj client.Object) []reconcile.Request {
	namespaces := []string{obj.GetNamespace()}
	for _, key := range evidence.ServiceAccountSubjects(obj) {
		ns, _, _ := strings.Cut(key, "/")
		namespaces = append(namespaces, ns)
	}
	return r.assetsInNamespaces(ctx, namespaces)
}

// assetsInNamespaceObject maps a Namespace to its assets (its labels and annotations
// decide mesh membership and attestation).
func (r *InformationAssetReconciler) assetsInNamespaceObject(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.assetsIn(ctx, obj.GetName())
}

// assetsSelecting maps a workload to the assets of its namespace whose selector matches
// its pod template.
func (r *InformationAssetReconciler) assetsSelecting(ctx context.Context, obj client.Object) []reconcile.Request {
	_, template, ok := evidence.PodTemplate(obj)
	if !ok {
		return nil
	}
	var assets isms.InformationAssetList
	if err := r.List(ctx, &assets, client.InNamespace(obj.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "Could not list the assets a workload change affects", "namespace", obj.GetNamespace())
		return nil
	}
	var requests []reconcile.Request
	for _, a := range assets.Items {
		selector, err := metav1.LabelSelectorAsSelector(&a.Spec.Selector)
		if err == nil && selector.Matches(labels.Set(template.Labels)) {
			requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: a.Namespace, Name: a.Name}})
		}
	}
	return requests
}

// assetsOfRisk maps a Risk to the asset it names, whose status counts its open and
// accepted risks (and raises again a Detected risk a person deleted), and to the asset
// whose control it would record by its name, whose status shows a Risk that took that
// name without being its record.
func (r *InformationAssetReconciler) assetsOfRisk(ctx context.Context, obj client.Object) []reconcile.Request {
	var requests []reconcile.Request
	if ref := obj.(*isms.Risk).Spec.AssetRef; ref != nil {
		requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}})
	}
	var assets isms.InformationAssetList
	if err := r.List(ctx, &assets, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexRiskNames: obj.GetName()}); err != nil {
		log.FromContext(ctx).Error(err, "Could not find the asset a Risk's name records", "risk", obj.GetName())
		return requests
	}
	for _, a := range assets.Items {
		if ref := obj.(*isms.Risk).Spec.AssetRef; ref == nil || ref.Name != a.Name {
			requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: a.Namespace, Name: a.Name}})
		}
	}
	return requests
}

// riskStateOrAssetChanged lets through Risk updates that change what an asset's status
// shows of it: its state or the asset it names.
var riskStateOrAssetChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	before, after := e.ObjectOld.(*isms.Risk), e.ObjectNew.(*isms.Risk)
	return before.Status.State != after.Status.State || !equality.Semantic.DeepEqual(before.Spec.AssetRef, after.Spec.AssetRef)
}}

// assetsOfVolume maps a PersistentVolume to the assets of the namespace of its claim.
func (r *InformationAssetReconciler) assetsOfVolume(ctx context.Context, obj client.Object) []reconcile.Request {
	if ref := obj.(*corev1.PersistentVolume).Spec.ClaimRef; ref != nil {
		return r.assetsIn(ctx, ref.Namespace)
	}
	return nil
}

// assetsOfStorageClass maps a StorageClass to the assets of the namespaces whose claims,
// volumes or workload templates use it (or use the default class, when it is the default).
func (r *InformationAssetReconciler) assetsOfStorageClass(ctx context.Context, obj client.Object) []reconcile.Request {
	keys := []string{obj.GetName()}
	if obj.GetAnnotations()["storageclass.kubernetes.io/is-default-class"] == "true" {
		keys = append(keys, defaultClassKey)
	}
	var namespaces []string
	users := func(key string) error {
		var volumes corev1.PersistentVolumeList // cluster-scoped: their claims' namespaces count
		if err := r.List(ctx, &volumes, client.MatchingFields{indexStorageClass: key}); err != nil {
			return err
		}
		for _, v := range volumes.Items {
			if v.Spec.ClaimRef != nil {
				namespaces = append(namespaces, v.Spec.ClaimRef.Namespace)
			}
		}
		for _, list := range append([]client.ObjectList{&corev1.PersistentVolumeClaimList{}}, evidence.WorkloadKinds()...) {
			if err := r.List(ctx, list, client.MatchingFields{indexStorageClass: key}); err != nil {
				return err
			}
			_ = meta.EachListItem(list, func(item runtime.Object) error {
				namespaces = append(namespaces, item.(client.Object).GetNamespace())
				return nil
			})
		}
		return nil
	}
	for _, key := range keys {
		if err := users(key); err != nil {
			log.FromContext(ctx).Error(err, "Could not find what uses a StorageClass", "storageClass", obj.GetName())
			return nil
		}
	}
	return r.assetsInNamespaces(ctx, namespaces)
}

// assetsOfClusterRole maps a ClusterRole to the assets its bindings affect: every asset
// when a ClusterRoleBinding binds it and its rules could grant what ACC-03 guards, else
// those of the namespaces whose RoleBindings bind it.
func (r *InformationAssetReconciler) assetsOfClusterRole(ctx context.Context, obj client.Object) []reconcile.Request {
	var clusterBindings rbacv1.ClusterRoleBindingList
	var bindings rbacv1.RoleBindingList
	for _, list := range []client.ObjectList{&clusterBindings, &bindings} {
		if err := r.List(ctx, list, client.MatchingFields{indexClusterRole: obj.GetName()}); err != nil {
			log.FromContext(ctx).Error(err, "Could not find the bindings of a ClusterRole", "clusterRole", obj.GetName())
			return nil
		}
	}
	if len(clusterBindings.Items) > 0 && controls.MayGrantGuardedRights(obj.(*rbacv1.ClusterRole).Rules) {
		return r.assetsIn(ctx, "") // both old and new are mapped, so a grant removed is seen too
	}
	var namespaces []string
	for _, b := range bindings.Items {
		namespaces = append(namespaces, b.Namespace)
	}
	return r.assetsInNamespaces(ctx, namespaces)
}

// assetsOfClusterRoleBinding maps a ClusterRoleBinding to the assets it affects: every
// asset when its role could grant what ACC-03 guards (in every namespace), else those of
// the namespaces of the ServiceAccounts it names (ACC-04).
func (r *InformationAssetReconciler) assetsOfClusterRoleBinding(ctx context.Context, obj client.Object) []reconcile.Request {
	binding := obj.(*rbacv1.ClusterRoleBinding)
	role := &rbacv1.ClusterRole{}
	err := r.Get(ctx, types.NamespacedName{Name: binding.RoleRef.Name}, role)
	if client.IgnoreNotFound(err) != nil || controls.MayGrantGuardedRights(role.Rules) {
		return r.assetsIn(ctx, "")
	}
	var namespaces []string
	for _, s := range binding.Subjects {
		if s.Kind == rbacv1.ServiceAccountKind {
			namespaces = append(namespaces, s.Namespace)
		}
	}
	return r.assetsInNamespaces(ctx, namespaces)
}
