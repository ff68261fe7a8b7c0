package controllers

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

// The estate the mapping tests share, in namespace ward (and a look-alike in another):
//   - asset a selects app=a: Deployment a-web (tier=web, ServiceAccount a-sa, claim
//     a-data) and StatefulSet a-db (claims data-a-db-N from its template "data");
//   - asset b selects app=b: Deployment b-web (tier=api, ServiceAccount b-sa, claim b-data);
//   - asset web selects tier In (web): a-web only;
//   - asset other/a selects app=a in namespace other, where no workload is.
const ward = "ward"

func labelled(labels map[string]string, sa, claim string) corev1.PodTemplateSpec {
	spec := corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "c", Image: "i"}}}
	if claim != "" {
		spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}}
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

func mappingEstate() []client.Object {
	asset := func(ns, name string, selector metav1.LabelSelector, plan string) *isms.InformationAsset {
		a := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: isms.InformationAssetSpec{Selector: selector}}
		if plan != "" {
			a.Spec.ContinuityPlanRef = &isms.LocalObjectReference{Name: plan}
		}
		return a
	}
	return []client.Object{
		asset(ward, "a", metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}, "epr-continuity"),
		asset(ward, "b", metav1.LabelSelector{MatchLabels: map[string]string{"app": "b"}}, ""),
		asset(ward, "web", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web"}}}}, ""),
		asset("other", "a", metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}, ""),
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "a-web"},
			Spec: appsv1.DeploymentSpec{Template: labelled(map[string]string{"app": "a", "tier": "web"}, "a-sa", "a-data")}},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "a-db"},
			Spec: appsv1.StatefulSetSpec{Template: labelled(map[string]string{"app": "a"}, "a-sa", ""),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"},
					Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("encrypted")}}}}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b-web"},
			Spec: appsv1.DeploymentSpec{Template: labelled(map[string]string{"app": "b", "tier": "api"}, "b-sa", "b-data")}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "a-data"},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("plain")}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b-data"},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("encrypted")}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "a"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "a"}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "b"}}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "secret-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "config-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "secret-admin"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "node-viewer"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "secret-admins"},
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "secret-admin"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "admins"}}},
		&isms.ContinuityPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b-continuity"},
			Spec: isms.ContinuityPlanSpec{Assets: []isms.LocalObjectReference{{Name: "b"}}}},
	}
}

func mappingReconciler(t *testing.T) *InformationAssetReconciler {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(mappingEstate()...)
	for _, index := range indexes() {
		b = b.WithIndex(index.Object, index.Field, index.Extract)
	}
	return &InformationAssetReconciler{Client: b.Build()}
}

// TestEachWatchedKindMapsToTheAssetsItAffects: a change maps to the assets whose evidence
// the object is part of, and only to them (architecture.md: an asset's evaluation costs
// what it selects, never what its namespace holds).
func TestEachWatchedKindMapsToTheAssetsItAffects(t *testing.T) {
	r := mappingReconciler(t)
	cases := []struct {
		name string
		fn   handler.MapFunc
		obj  client.Object
		want []string
	}{
		{"a workload: the assets selecting its template", r.assetsOfWorkload,
			&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "a-web"},
				Spec: appsv1.DeploymentSpec{Template: labelled(map[string]string{"app": "a", "tier": "web"}, "a-sa", "")}},
			[]string{"ward/a", "ward/web"}},
		{"a workload selected by none", r.assetsOfWorkload,
			&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "cron"},
				Spec: appsv1.DeploymentSpec{Template: labelled(map[string]string{"app": "cron"}, "", "")}}, nil},
		{"a Pod a ReplicaSet controls: judged through its owner, mapped to none", r.assetsOfWorkload,
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "a-web-x", Labels: map[string]string{"app": "a"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "a-web-5d", Controller: ptr.To(true)}}}}, nil},
		{"a claim: the assets whose workloads mount it", r.assetsOfClaim,
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b-data"}}, []string{"ward/b"}},
		{"a StatefulSet's claim: the assets of the StatefulSet", r.assetsOfClaim,
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "data-a-db-2"}}, []string{"ward/a"}},
		{"a claim no workload mounts", r.assetsOfClaim,
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "spare"}}, nil},
		{"a volume: the assets of its claim", r.assetsOfVolume,
			&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-1"},
				Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: ward, Name: "a-data"}}}, []string{"ward/a", "ward/web"}},
		{"a StorageClass: the assets whose claims and templates use it", r.assetsOfStorageClass,
			&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "encrypted"}}, []string{"ward/a", "ward/b"}},
		{"a Service: the assets whose pods it selects", r.assetsOfService,
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "b"}}},
			[]string{"ward/b"}},
		{"a Service without a selector", r.assetsOfService,
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "external"}}, nil},
		{"an Ingress: the assets of the Services it routes to", r.assetsOfIngress,
			&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b"}, Spec: networkingv1.IngressSpec{
				DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "b"}}}},
			[]string{"ward/b"}},
		{"a Gateway API route: the assets of the Services it routes to", r.assetsOfRoute,
			&gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "edge", Name: "r"}, Spec: gatewayv1.HTTPRouteSpec{
				Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
					BackendObjectReference: gatewayv1.BackendObjectReference{Name: "a", Namespace: ptr.To(gatewayv1.Namespace(ward))}}}}}}}},
			[]string{"ward/a", "ward/web"}},
		{"a NetworkPolicy: the assets whose pods it selects", r.assetsOfNetworkPolicy,
			&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "api"},
				Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tier": "api"}}}},
			[]string{"ward/b"}},
		{"a NetworkPolicy selecting every pod: every asset of its namespace with a workload", r.assetsOfNetworkPolicy,
			&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "default-deny"}},
			[]string{"ward/a", "ward/b", "ward/web"}},
		{"a ServiceAccount: the assets whose pods run as it", r.assetsOfServiceAccount,
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b-sa"}}, []string{"ward/b"}},
		{"a Role that can grant access: every asset of its namespace", r.assetsOfRole,
			&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "secret-reader"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}},
			[]string{"ward/a", "ward/b", "ward/web"}},
		{"a Role that cannot", r.assetsOfRole,
			&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "config-reader"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}}}, nil},
		{"a RoleBinding of a harmless role naming a ServiceAccount: the assets running as it", r.assetsOfRoleBinding,
			&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "shared", Name: "config"},
				RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "node-viewer"},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ward, Name: "a-sa"}}},
			[]string{"ward/a", "ward/web"}},
		{"a RoleBinding of a role that can grant access: every asset of its namespace", r.assetsOfRoleBinding,
			&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "readers"},
				RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "secret-reader"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "g"}}},
			[]string{"ward/a", "ward/b", "ward/web"}},
		{"a RoleBinding of a harmless role naming no ServiceAccount", r.assetsOfRoleBinding,
			&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "config"},
				RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "config-reader"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "g"}}}, nil},
		{"a ClusterRole a ClusterRoleBinding binds, that can grant access: every asset", r.assetsOfClusterRole,
			&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "secret-admin"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}}}},
			[]string{"other/a", "ward/a", "ward/b", "ward/web"}},
		{"a ClusterRole that cannot", r.assetsOfClusterRole,
			&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "node-viewer"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}}}}, nil},
		{"a ClusterRoleBinding of a harmless role naming a ServiceAccount", r.assetsOfClusterRoleBinding,
			&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "nodes"},
				RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "node-viewer"},
				Subjects: []rbacv1.Subject{{Kind: "User", Name: "system:serviceaccount:ward:b-sa"}}},
			[]string{"ward/b"}},
		{"a Namespace: its assets", r.assetsOfNamespace, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, []string{"other/a"}},
		{"a ContinuityPlan: the assets it covers and those naming it", r.assetsOfPlan,
			&isms.ContinuityPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "epr-continuity"},
				Spec: isms.ContinuityPlanSpec{Assets: []isms.LocalObjectReference{{Name: "web"}}}},
			[]string{"ward/a", "ward/web"}},
		{"a Risk: the asset it names, and the asset whose record its name is", r.assetsOfRisk,
			&isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: "b-acc-01"},
				Spec: isms.RiskSpec{Source: isms.SourceDeclared, AssetRef: &isms.LocalObjectReference{Name: "web"}}},
			[]string{"ward/b", "ward/web"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range tc.fn(context.Background(), tc.obj) {
				got = append(got, r.String())
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("assets (-want +got):\n%s", diff)
			}
		})
	}
}

// A change that affects many assets (a workload 500 assets select) queues behind a change
// that affects one, even when those assets were last reconciled at normal priority and wait
// on their recheck timers: the queue keeps a waiting item's priority when it is added again.
func TestABurstQueuesBehindDriftElsewhere(t *testing.T) {
	ctx := context.Background()
	q := priorityqueue.New[reconcile.Request]("assets")
	defer q.ShutDown()
	request := func(name string) reconcile.Request {
		return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ward, Name: name}}
	}
	var burst []reconcile.Request
	for i := range fanOut + 1 {
		burst = append(burst, request(fmt.Sprintf("burst-%02d", i)))
	}
	drift := request("drifted")

	// Each burst asset was woken by a change of its own and requeued on its recheck timer,
	// as the controller requeues a result.
	for _, r := range burst {
		q.Add(r)
		got, priority, _ := q.GetWithPriority()
		result := recheckAfter(time.Hour)
		q.AddWithOpts(priorityqueue.AddOpts{After: result.RequeueAfter, Priority: ptr.To(ptr.Deref(result.Priority, priority))}, got)
		q.Done(got)
	}

	changed := func(name string) event.UpdateEvent {
		old := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ward, Name: name, ResourceVersion: "1"}}
		updated := old.DeepCopy()
		updated.ResourceVersion = "2"
		return event.UpdateEvent{ObjectOld: old, ObjectNew: updated}
	}
	h := enqueueMapped(func(_ context.Context, obj client.Object) []reconcile.Request {
		if obj.GetName() == "shared" {
			return burst
		}
		return []reconcile.Request{drift}
	})
	h.Update(ctx, changed("shared"), q)
	h.Update(ctx, changed("drifted-web"), q)

	if got, _, _ := q.GetWithPriority(); got != drift {
		t.Errorf("first reconcile after the burst and the drift = %s, want %s", got, drift)
	}
}
