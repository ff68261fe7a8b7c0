package controllers

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/register"
)

// Field indexes of the controllers', besides the gatherer's (evidence.Indexes): they
// answer which assets a change affects.
const (
	// indexAssetSelector indexes InformationAssets by what their selector requires
	// (evidence.SelectorTerms), to find the assets selecting a pod template by its labels.
	indexAssetSelector = "isms.assetSelector"
	// indexAssetPlan indexes InformationAssets by the ContinuityPlan they name.
	indexAssetPlan = "isms.assetPlan"
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
	// indexIncidentAsset indexes SecurityIncidents by the assets they name.
	indexIncidentAsset = "isms.incidentAsset"
)

// SetupWithManager registers the field indexes and the watches: the asset itself, and
// every kind of object its controls read, each mapped to the assets whose evidence it is
// part of (before or after the change), so that drift shows at once rather than at a
// resync, and a change costs what it affects.
func (r *InformationAssetReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) (controller.Controller, error) {
	for _, index := range indexes() {
		if err := mgr.GetFieldIndexer().IndexField(ctx, index.Object, index.Field, index.Extract); err != nil {
			return nil, err
		}
	}
	r.status = newStatusWriter(mgr.GetClient())
	b := ctrl.NewControllerManagedBy(mgr).Named("informationasset").
		WithOptions(controllerOptions()).
		For(&isms.InformationAsset{}, builder.WithPredicates(predicate.Or[client.Object](
			r.status.statusChanges(func(o client.Object) any { return o.(*isms.InformationAsset).Status }),
			predicate.GenerationChangedPredicate{})))
	for _, workload := range evidence.WorkloadObjects() {
		b = b.Watches(workload, enqueueMapped(r.assetsOfWorkload), builder.WithPredicates(templateChanged))
	}
	return b.
		Watches(&corev1.PersistentVolumeClaim{}, enqueueMapped(r.assetsOfClaim)).
		Watches(&corev1.PersistentVolume{}, enqueueMapped(r.assetsOfVolume)).
		Watches(&storagev1.StorageClass{}, enqueueMapped(r.assetsOfStorageClass)).
		Watches(&corev1.Service{}, enqueueMapped(r.assetsOfService)).
		Watches(&networkingv1.Ingress{}, enqueueMapped(r.assetsOfIngress)).
		Watches(&networkingv1.NetworkPolicy{}, enqueueMapped(r.assetsOfNetworkPolicy)).
		Watches(&corev1.ServiceAccount{}, enqueueMapped(r.assetsOfServiceAccount)).
		Watches(&rbacv1.Role{}, enqueueMapped(r.assetsOfRole)).
		Watches(&rbacv1.RoleBinding{}, enqueueMapped(r.assetsOfRoleBinding)).
		Watches(&rbacv1.ClusterRole{}, enqueueMapped(r.assetsOfClusterRole)).
		Watches(&rbacv1.ClusterRoleBinding{}, enqueueMapped(r.assetsOfClusterRoleBinding)).
		Watches(&corev1.Namespace{}, enqueueMapped(r.assetsOfNamespace)).
		Watches(&isms.Risk{}, enqueueMapped(r.assetsOfRisk), builder.WithPredicates(riskStateOrAssetChanged)).
		Watches(&isms.ContinuityPlan{}, enqueueMapped(r.assetsOfPlan), builder.WithPredicates(planReadinessChanged)).
		Build(r)
}

// indexes are every field index the asset controller reads through: the gatherer's and its own.
func indexes() []evidence.Index {
	own := []evidence.Index{
		{Object: &isms.InformationAsset{}, Field: indexAssetSelector, Extract: func(o client.Object) []string {
			return evidence.SelectorTerms(&o.(*isms.InformationAsset).Spec.Selector)
		}},
		{Object: &isms.InformationAsset{}, Field: indexAssetPlan, Extract: func(o client.Object) []string {
			if ref := o.(*isms.InformationAsset).Spec.ContinuityPlanRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}},
		{Object: &isms.InformationAsset{}, Field: indexRiskNames, Extract: func(o client.Object) []string {
			var names []string
			for _, c := range controls.Catalogue {
				names = append(names, register.Name(o.GetName(), c.ID))
			}
			return names
		}},
		{Object: &isms.Risk{}, Field: indexRiskAsset, Extract: func(o client.Object) []string {
			if ref := o.(*isms.Risk).Spec.AssetRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}},
		{Object: &corev1.PersistentVolumeClaim{}, Field: indexStorageClass, Extract: func(o client.Object) []string {
			return []string{classKey(o.(*corev1.PersistentVolumeClaim).Spec.StorageClassName)}
		}},
		{Object: &corev1.PersistentVolume{}, Field: indexStorageClass, Extract: func(o client.Object) []string {
			return []string{o.(*corev1.PersistentVolume).Spec.StorageClassName}
		}},
		{Object: &rbacv1.RoleBinding{}, Field: indexClusterRole, Extract: func(o client.Object) []string {
			if ref := o.(*rbacv1.RoleBinding).RoleRef; ref.Kind == "ClusterRole" {
				return []string{ref.Name}
			}
			return nil
		}},
		{Object: &rbacv1.ClusterRoleBinding{}, Field: indexClusterRole, Extract: func(o client.Object) []string {
			return []string{o.(*rbacv1.ClusterRoleBinding).RoleRef.Name}
		}},
	}
	for _, workload := range evidence.WorkloadObjects() {
		own = append(own, evidence.Index{Object: workload, Field: indexStorageClass, Extract: templateClasses})
	}
	return append(own, evidence.Indexes()...)
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

// riskStateOrAssetChanged lets through Risk updates that change what an asset's status
// shows of it: its state or the asset it names.
var riskStateOrAssetChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	before, after := e.ObjectOld.(*isms.Risk), e.ObjectNew.(*isms.Risk)
	return before.Status.State != after.Status.State || !equality.Semantic.DeepEqual(before.Spec.AssetRef, after.Spec.AssetRef)
}}

// classKey is the indexStorageClass key of a claim's storageClassName.
func classKey(name *string) string {
	if name == nil {
		return defaultClassKey
	}
	return *name
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
