package evidence_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// env is the real kube-apiserver and etcd, with the CRDs installed, that these tests use.
// No controllers run: nothing creates pods, binds claims or makes service accounts.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{}, &env))
}

// indexed answers the gatherer's field-index questions (client.MatchingFields over
// evidence.Indexes and OptionalIndexes) from the API server, which knows no such fields: it
// lists and keeps what the kind's index function gives the value asked, as the operator's
// cache would.
type indexed struct{ client.Client }

func (r indexed) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := client.ListOptions{}
	o.ApplyOptions(opts)
	if o.FieldSelector == nil || o.FieldSelector.Empty() {
		return r.Client.List(ctx, list, opts...)
	}
	req := o.FieldSelector.Requirements()[0]
	indexes := evidence.Indexes()
	for _, gvk := range evidence.OptionalKinds {
		indexes = append(indexes, evidence.OptionalIndexes(gvk)...)
	}
	if err := r.Client.List(ctx, list, client.InNamespace(o.Namespace)); err != nil {
		return err
	}
	var kept []runtime.Object
	err := meta.EachListItem(list, func(item runtime.Object) error {
		obj := item.(client.Object)
		for _, index := range indexes {
			if index.Field == req.Field && reflect.TypeOf(obj) == reflect.TypeOf(index.Object) && slices.Contains(index.Extract(obj), req.Value) {
				kept = append(kept, obj)
				break
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return meta.SetList(list, kept)
}

// readSecrets are rules that grant what ACC-03 guards.
var readSecrets = []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}

// runningAs sets the ServiceAccount a pod spec runs as.
func runningAs(sa string, spec corev1.PodSpec) corev1.PodSpec {
	spec.ServiceAccountName = sa
	return spec
}

// assetLabels are the pod template labels the test asset selects.
var assetLabels = map[string]string{"app": "epr-db"}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
		}
	}
}

// createClusterScoped creates cluster-scoped objects and deletes them when the test ends.
func createClusterScoped(t *testing.T, objs ...client.Object) {
	t.Helper()
	create(t, objs...)
	for _, obj := range objs {
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj) })
	}
}

func newAsset(ns string, selector metav1.LabelSelector) *isms.InformationAsset {
	return &isms.InformationAsset{
		ObjectMeta: metav1.ObjectMeta{Name: "epr-records", Namespace: ns},
		Spec: isms.InformationAssetSpec{
			Owner:          isms.Person{Name: "Jane Smith"},
			Classification: isms.ClassificationOfficialSensitive,
			Criticality:    isms.CriticalityMedium,
			Selector:       selector,
		},
	}
}

func podSpec(volumes ...corev1.Volume) corev1.PodSpec {
	return corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyAlways,
		Containers:    []corev1.Container{{Name: "app", Image: "registry.example/app:1"}},
		Volumes:       volumes,
	}
}

func jobPodSpec() corev1.PodSpec {
	spec := podSpec()
	spec.RestartPolicy = corev1.RestartPolicyNever
	return spec
}

func claimVolume(name, claim string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}
}

func labelled(labels map[string]string, spec corev1.PodSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

func claimSpec(class string) corev1.PersistentVolumeClaimSpec {
	spec := corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources: corev1.VolumeResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
	}
	if class != "" {
		spec.StorageClassName = &class
	}
	return spec
}

func pvc(ns, name, class, volume string) *corev1.PersistentVolumeClaim {
	spec := claimSpec(class)
	spec.VolumeName = volume
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
}

func pv(name, class, driver string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:         corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: class,
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				CSI: &corev1.CSIPersistentVolumeSource{Driver: driver, VolumeHandle: "vol-" + name}},
		},
	}
}

func controlledBy(apiVersion, kind, name string) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name,
		UID: types.UID("uid-" + kind + "-" + name), Controller: new(true)}}
}

// claimSummary is what the test checks of a controls.Claim.
type claimSummary struct {
	Name string
	// Spec is false when Spec is nil (a claim that does not exist).
	Spec bool
	// Class is the spec's storageClassName.
	Class string
	// Volume is the name of the bound volume read, "" when Volume is nil.
	Volume string
	// VolumeDriver is the bound volume's CSI driver.
	VolumeDriver string
}

func summarise(claims []controls.Claim) []claimSummary {
	var out []claimSummary
	for _, c := range claims {
		s := claimSummary{Name: c.Name, Spec: c.Spec != nil}
		if c.Spec != nil && c.Spec.StorageClassName != nil {
			s.Class = *c.Spec.StorageClassName
		}
		if c.Volume != nil {
			s.Volume = c.Volume.Name
			if c.Volume.Spec.CSI != nil {
				s.VolumeDriver = c.Volume.Spec.CSI.Driver
			}
		}
		out = append(out, s)
	}
	return out
}

func names[T any](items []T, name func(T) string) []string {
	var out []string
	for _, item := range items {
		out = append(out, name(item))
	}
	return out
}

// TestGather creates, in one namespace, an asset selecting app=epr-db and the workloads,
// claims and other objects its controls read, and checks what Gather reads of them.
func TestGather(t *testing.T) {
	ctx := context.Background()
	ns := env.Namespace(t)
	other := map[string]string{"app": "other"}
	// Cluster-scoped names carry the namespace, which is unique to this test.
	class, encryptedVolume, ghostVolume := "encrypted-"+ns, "pv-archive-"+ns, "pv-data-0-"+ns

	asset := newAsset(ns, metav1.LabelSelector{MatchLabels: assetLabels})
	create(t, asset)
	createClusterScoped(t,
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: class}, Provisioner: "ebs.csi.aws.com",
			Parameters: map[string]string{"encrypted": "true"}},
		pv(encryptedVolume, class, "ebs.csi.aws.com"),
		pv(ghostVolume, class, "ebs.csi.aws.com"),
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "reader-" + ns}, Rules: readSecrets},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "reader-" + ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "reader-" + ns},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "epr-db", Namespace: ns}}},
	)
	create(t,
		// Claims: two the StatefulSet made from its template (one bound), one of another
		// StatefulSet, one of a StatefulSet whose name starts with epr-db, one bound that a
		// Deployment mounts, one bound to a volume that does not exist, and one only a
		// skipped Pod mounts.
		pvc(ns, "data-epr-db-0", class, ghostVolume),
		pvc(ns, "data-epr-db-1", class, ""),
		pvc(ns, "data-other-0", class, ""),
		pvc(ns, "data-epr-db-backup-0", class, ""),
		pvc(ns, "epr-archive", class, encryptedVolume),
		pvc(ns, "epr-lost", "", "no-such-volume-"+ns),
		pvc(ns, "rs-only", class, ""),

		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "epr-web", Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: assetLabels},
				Template: labelled(assetLabels, podSpec(
					claimVolume("archive", "epr-archive"),
					claimVolume("lost", "epr-lost"),
					corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
						VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: claimSpec("scratch-class")}}}},
				)),
			}},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "epr-db", Namespace: ns},
			Spec: appsv1.StatefulSetSpec{
				Selector:    &metav1.LabelSelector{MatchLabels: assetLabels},
				ServiceName: "epr-db",
				Template:    labelled(assetLabels, runningAs("epr-db", podSpec())),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{
					{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: claimSpec(class)}},
			}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "epr-agent", Namespace: ns},
			Spec: appsv1.DaemonSetSpec{
				Selector: &metav1.LabelSelector{MatchLabels: assetLabels},
				Template: labelled(assetLabels, podSpec()),
			}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "epr-backup", Namespace: ns},
			Spec: batchv1.CronJobSpec{Schedule: "0 1 * * *", JobTemplate: batchv1.JobTemplateSpec{
				Spec: batchv1.JobSpec{Template: labelled(assetLabels, jobPodSpec())}}}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "epr-migrate", Namespace: ns},
			Spec: batchv1.JobSpec{Template: labelled(assetLabels, jobPodSpec())}},
		// A Job the CronJob made: its CronJob is evaluated instead.
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "epr-backup-29000000", Namespace: ns,
			OwnerReferences: controlledBy("batch/v1", "CronJob", "epr-backup")},
			Spec: batchv1.JobSpec{Template: labelled(assetLabels, jobPodSpec())}},
		// A Deployment that is not the asset's, mounting a claim that is not either.
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "other-web", Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: other},
				Template: labelled(other, podSpec(claimVolume("data", "data-other-0"))),
			}},
		// A replica of epr-web: the Deployment is evaluated instead.
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "epr-web-5d8f-x2x", Namespace: ns, Labels: assetLabels,
			OwnerReferences: controlledBy("apps/v1", "ReplicaSet", "epr-web-5d8f")},
			Spec: podSpec(claimVolume("data", "rs-only"))},
		// A Pod nothing owns, mounting a claim that does not exist.
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "epr-debug", Namespace: ns, Labels: assetLabels},
			Spec: podSpec(claimVolume("missing", "epr-missing"))},
		// A Pod nothing owns that is not the asset's.
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "other-debug", Namespace: ns, Labels: other},
			Spec: podSpec(claimVolume("data", "data-other-0"))},

		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "epr-db", Namespace: ns},
			Spec: corev1.ServiceSpec{Selector: assetLabels, Ports: []corev1.ServicePort{{Port: 5432}}}},
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "epr-web", Namespace: ns},
			Spec: networkingv1.IngressSpec{DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
				Name: "epr-db", Port: networkingv1.ServiceBackendPort{Number: 5432}}}}},
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default-deny", Namespace: ns},
			Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "epr-db", Namespace: ns}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "epr-reader", Namespace: ns}, Rules: readSecrets},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "epr-reader", Namespace: ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "epr-reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "epr-db", Namespace: ns}}},
		// A binding of a role that grants nothing ACC-03 guards, naming no ServiceAccount of
		// the asset: not the asset's evidence.
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "epr-viewer", Namespace: ns},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "epr-viewer", Namespace: ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "epr-viewer"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "viewers"}}},
	)

	exempt := []isms.Subject{{Kind: "ServiceAccount", Namespace: "kube-system", Name: "*"}}
	g := &evidence.Gatherer{Reader: indexed{env.Client}, Exempt: exempt}
	now := time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)
	e, err := g.Gather(ctx, asset, now)
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}

	if e.Asset != asset {
		t.Errorf("Asset = %p, want the asset gathered for (%p)", e.Asset, asset)
	}
	if !e.Now.Equal(now) {
		t.Errorf("Now = %v, want %v", e.Now, now)
	}
	if diff := cmp.Diff(exempt, e.Exempt); diff != "" {
		t.Errorf("Exempt (-want +got):\n%s", diff)
	}
	if e.Namespace == nil || e.Namespace.Name != ns {
		t.Errorf("Namespace = %+v, want namespace %s", e.Namespace, ns)
	}

	wantWorkloads := []string{
		"CronJob/epr-backup", "DaemonSet/epr-agent", "Deployment/epr-web",
		"Job/epr-migrate", "Pod/epr-debug", "StatefulSet/epr-db",
	}
	if diff := cmp.Diff(wantWorkloads, names(e.Workloads, controls.Workload.Ref)); diff != "" {
		t.Errorf("Workloads (-want +got):\n%s", diff)
	}
	for _, w := range e.Workloads {
		if got := w.Template.Labels["app"]; got != "epr-db" {
			t.Errorf("%s template label app = %q, want epr-db", w.Ref(), got)
		}
		if len(w.Template.Spec.Containers) != 1 || w.Template.Spec.Containers[0].Image != "registry.example/app:1" {
			t.Errorf("%s template containers = %+v, want the workload's pod spec", w.Ref(), w.Template.Spec.Containers)
		}
		var templates []string
		for _, vct := range w.VolumeClaimTemplates {
			templates = append(templates, vct.Name)
		}
		var want []string
		if w.Kind == "StatefulSet" {
			want = []string{"data"}
		}
		if diff := cmp.Diff(want, templates); diff != "" {
			t.Errorf("%s VolumeClaimTemplates (-want +got):\n%s", w.Ref(), diff)
		}
		if w.Kind == "Pod" && w.Template.Name != "epr-debug" {
			t.Errorf("Pod template name = %q, want the Pod's metadata (epr-debug)", w.Template.Name)
		}
	}

	wantClaims := []claimSummary{
		{Name: "Deployment/epr-web ephemeral volume scratch", Spec: true, Class: "scratch-class"},
		{Name: "PersistentVolumeClaim/data-epr-db-0", Spec: true, Class: class, Volume: ghostVolume, VolumeDriver: "ebs.csi.aws.com"},
		{Name: "PersistentVolumeClaim/data-epr-db-1", Spec: true, Class: class},
		{Name: "PersistentVolumeClaim/epr-archive", Spec: true, Class: class, Volume: encryptedVolume, VolumeDriver: "ebs.csi.aws.com"},
		{Name: "PersistentVolumeClaim/epr-lost", Spec: true}, // its volume does not exist
		{Name: "PersistentVolumeClaim/epr-missing"},          // the claim does not exist
		{Name: "StatefulSet/epr-db volumeClaimTemplate data", Spec: true, Class: class},
	}
	if diff := cmp.Diff(wantClaims, summarise(e.Claims)); diff != "" {
		t.Errorf("Claims (-want +got):\n%s", diff)
	}
	for _, c := range e.Claims {
		if c.Name == "PersistentVolumeClaim/epr-lost" && (c.Spec == nil || c.Spec.VolumeName != "no-such-volume-"+ns) {
			t.Errorf("claim epr-lost spec = %+v, want its own spec naming its volume", c.Spec)
		}
	}

	if sc := e.StorageClasses[class]; sc == nil || sc.Provisioner != "ebs.csi.aws.com" || sc.Parameters["encrypted"] != "true" {
		t.Errorf("StorageClasses[%s] = %+v, want the class created", class, sc)
	}
	if diff := cmp.Diff([]string{"epr-db"}, names(e.Services, func(s corev1.Service) string { return s.Name })); diff != "" {
		t.Errorf("Services (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"epr-web"}, names(e.Ingresses, func(i networkingv1.Ingress) string { return i.Name })); diff != "" {
		t.Errorf("Ingresses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"default-deny"}, names(e.NetworkPolicies, func(p networkingv1.NetworkPolicy) string { return p.Name })); diff != "" {
		t.Errorf("NetworkPolicies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"epr-db"}, slices.Sorted(maps.Keys(e.ServiceAccounts))); diff != "" {
		t.Errorf("ServiceAccounts (-want +got):\n%s", diff)
	}
	if sa := e.ServiceAccounts["epr-db"]; sa == nil || sa.Name != "epr-db" || sa.Namespace != ns {
		t.Errorf(`ServiceAccounts["epr-db"] = %+v, want the account created`, sa)
	}
	// RBAC through the indexes: the bindings of roles that could grant what ACC-03 guards,
	// and those naming the asset's ServiceAccounts; not epr-viewer.
	if diff := cmp.Diff([]string{"epr-reader"}, names(e.RBAC.RoleBindings, func(b rbacv1.RoleBinding) string { return b.Name })); diff != "" {
		t.Errorf("RBAC.RoleBindings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"epr-reader"}, names(e.RBAC.ServiceAccountBindings, func(b rbacv1.RoleBinding) string { return b.Name })); diff != "" {
		t.Errorf("RBAC.ServiceAccountBindings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"epr-reader"}, slices.Sorted(maps.Keys(e.RBAC.Roles))); diff != "" {
		t.Errorf("RBAC.Roles (-want +got):\n%s", diff)
	}
	if r := e.RBAC.ClusterRoles["reader-"+ns]; r == nil || r.Name != "reader-"+ns {
		t.Errorf("RBAC.ClusterRoles[reader-%s] = %+v, want the ClusterRole created", ns, r)
	}
	if !slices.ContainsFunc(e.RBAC.ClusterRoleBindings, func(b rbacv1.ClusterRoleBinding) bool { return b.Name == "reader-"+ns }) {
		t.Errorf("RBAC.ClusterRoleBindings = %v, want reader-%s among them", names(e.RBAC.ClusterRoleBindings,
			func(b rbacv1.ClusterRoleBinding) string { return b.Name }), ns)
	}

	wantMesh := controls.Mesh{IstioRootNamespace: controls.DefaultIstioRootNamespace}
	if diff := cmp.Diff(wantMesh, e.Mesh); diff != "" {
		t.Errorf("Mesh with Installed nil (-want +got):\n%s", diff)
	}
}

// TestGatherWithoutIstio checks that no PeerAuthentication is read, and no error raised
// although the CRD is not installed, when Istio is not installed or not known to be.
func TestGatherWithoutIstio(t *testing.T) {
	ns := env.Namespace(t)
	asset := newAsset(ns, metav1.LabelSelector{MatchLabels: assetLabels})
	create(t, asset)
	for _, tc := range []struct {
		name      string
		gatherer  evidence.Gatherer
		wantRoots string
	}{
		{"Installed nil", evidence.Gatherer{}, controls.DefaultIstioRootNamespace},
		{"Installed false", evidence.Gatherer{Installed: func(schema.GroupVersionKind) bool { return false }}, controls.DefaultIstioRootNamespace},
		{"root namespace set", evidence.Gatherer{IstioRootNamespace: "mesh-root"}, "mesh-root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.gatherer
			g.Reader = indexed{env.Client}
			e, err := g.Gather(context.Background(), asset, time.Now())
			if err != nil {
				t.Fatalf("Gather: %v", err)
			}
			if diff := cmp.Diff(controls.Mesh{IstioRootNamespace: tc.wantRoots}, e.Mesh); diff != "" {
				t.Errorf("Mesh (-want +got):\n%s", diff)
			}
		})
	}
}

// installPeerAuthenticationCRD serves security.istio.io/v1 PeerAuthentication, schemaless.
func installPeerAuthenticationCRD(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "peerauthentications.security.istio.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "security.istio.io",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "peerauthentications",
				Singular: "peerauthentication", Kind: "PeerAuthentication", ListKind: "PeerAuthenticationList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: new(true)}}}},
		},
	}
	if err := env.Client.Create(ctx, crd); err != nil {
		t.Fatalf("creating the PeerAuthentication CRD: %v", err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), crd) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(evidence.PeerAuthentication.GroupVersion().WithKind("PeerAuthenticationList"))
		err := env.Client.List(ctx, list)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PeerAuthentications are not served: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func peerAuthentication(ns, name, body string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON([]byte(`{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "spec": ` + body + `}`)); err != nil {
		panic(err)
	}
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// TestGatherReadsPeerAuthentications checks that with Istio installed, the
// PeerAuthentications of the asset's namespace and the root namespace are read, each once,
// and no others.
func TestGatherReadsPeerAuthentications(t *testing.T) {
	installPeerAuthenticationCRD(t)
	ctx := context.Background()
	ns, root, unrelated := env.Namespace(t), env.Namespace(t), env.Namespace(t)
	asset := newAsset(ns, metav1.LabelSelector{MatchLabels: assetLabels})
	create(t, asset,
		peerAuthentication(ns, "epr-db", `{"selector": {"matchLabels": {"app": "epr-db"}}, "mtls": {"mode": "STRICT"}, "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}}}`),
		peerAuthentication(root, "default", `{"mtls": {"mode": "STRICT"}}`),
		peerAuthentication(unrelated, "default", `{"mtls": {"mode": "DISABLE"}}`),
	)

	type summary struct {
		Namespace, Name, Mode string
		Selector              map[string]string
		PortModes             map[uint32]string
		Created               bool
	}
	summarise := func(pas []controls.PeerAuthentication) []summary {
		var out []summary
		for _, pa := range pas {
			out = append(out, summary{pa.Namespace, pa.Name, pa.Mode, pa.Selector, pa.PortModes, !pa.Created.IsZero()})
		}
		slices.SortFunc(out, func(a, b summary) int { return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
		return out
	}
	installed := func(gvk schema.GroupVersionKind) bool { return gvk == evidence.PeerAuthentication }

	g := &evidence.Gatherer{Reader: indexed{env.Client}, IstioRootNamespace: root, Installed: installed}
	e, err := g.Gather(ctx, asset, time.Now())
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	if !e.Mesh.IstioInstalled || e.Mesh.IstioRootNamespace != root {
		t.Errorf("Mesh IstioInstalled, IstioRootNamespace = %v, %q, want true, %q", e.Mesh.IstioInstalled, e.Mesh.IstioRootNamespace, root)
	}
	want := []summary{
		{Namespace: root, Name: "default", Mode: "STRICT", Created: true},
		{Namespace: ns, Name: "epr-db", Mode: "STRICT", Selector: map[string]string{"app": "epr-db"},
			PortModes: map[uint32]string{8080: "PERMISSIVE"}, Created: true},
	}
	slices.SortFunc(want, func(a, b summary) int { return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
	if diff := cmp.Diff(want, summarise(e.Mesh.PeerAuthentications)); diff != "" {
		t.Errorf("PeerAuthentications (-want +got):\n%s", diff)
	}

	// The asset in the root namespace: its policies once, not twice.
	g.IstioRootNamespace = ns
	e, err = g.Gather(ctx, asset, time.Now())
	if err != nil {
		t.Fatalf("Gather with the asset in the root namespace: %v", err)
	}
	want = []summary{{Namespace: ns, Name: "epr-db", Mode: "STRICT", Selector: map[string]string{"app": "epr-db"},
		PortModes: map[uint32]string{8080: "PERMISSIVE"}, Created: true}}
	if diff := cmp.Diff(want, summarise(e.Mesh.PeerAuthentications)); diff != "" {
		t.Errorf("PeerAuthentications with the asset in the root namespace (-want +got):\n%s", diff)
	}
}

// TestGatherInvalidSelector checks that a selector that cannot select anything is reported
// as an InvalidSelectorError, which the controller does not retry. The API server refuses
// what the CRD's rules can see; the rest it accepts, and manifests audited offline never
// met it at all, so the gatherer checks every selector itself.
func TestGatherInvalidSelector(t *testing.T) {
	ns := env.Namespace(t)
	cases := []struct {
		name       string
		selector   metav1.LabelSelector
		apiRefuses bool
	}{
		{"unknown operator", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: "Like", Values: []string{"epr-db"}}}}, true},
		{"In without values", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: metav1.LabelSelectorOpIn}}}, true},
		{"invalid label value", metav1.LabelSelector{MatchLabels: map[string]string{"app": "epr db!"}}, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asset := newAsset(ns, tc.selector)
			asset.Name = "invalid-" + string(rune('a'+i))
			if err := env.Client.Create(context.Background(), asset.DeepCopy()); tc.apiRefuses != apierrors.IsInvalid(err) {
				t.Fatalf("creating the asset: %v; want the API server to refuse it: %v", err, tc.apiRefuses)
			}
			g := &evidence.Gatherer{Reader: indexed{env.Client}}
			e, err := g.Gather(context.Background(), asset, time.Now())
			var invalid evidence.InvalidSelectorError
			if !errors.As(err, &invalid) {
				t.Fatalf("Gather = %v, %v; want an InvalidSelectorError", e, err)
			}
			if e != nil {
				t.Errorf("Gather evidence = %+v, want nil with the error", e)
			}
			if !strings.HasPrefix(err.Error(), "spec.selector is invalid: ") || invalid.Err == nil {
				t.Errorf("error = %q (Err %v), want it to say spec.selector is invalid and why", err, invalid.Err)
			}
		})
	}
}

// TestGatherNamespaceMissing checks that an asset whose namespace cannot be read is an
// error, and not an InvalidSelectorError (it may be retried).
func TestGatherNamespaceMissing(t *testing.T) {
	asset := newAsset("no-such-namespace", metav1.LabelSelector{MatchLabels: assetLabels})
	g := &evidence.Gatherer{Reader: indexed{env.Client}}
	e, err := g.Gather(context.Background(), asset, time.Now())
	if err == nil {
		t.Fatalf("Gather = %+v, nil; want an error for the missing namespace", e)
	}
	if invalid := (evidence.InvalidSelectorError{}); errors.As(err, &invalid) {
		t.Errorf("Gather error %v is an InvalidSelectorError; want another error", err)
	}
}

// TestGatherPodsOfOtherControllers: controls.md skips only pods "owned by a matched
// workload"; the pods of an operator that creates Pods itself (CloudNativePG, say) must be
// evaluated, or the asset would seem to hold no workload at all.
func TestGatherPodsOfOtherControllers(t *testing.T) {
	ns := env.Namespace(t)
	asset := newAsset(ns, metav1.LabelSelector{MatchLabels: assetLabels})
	create(t, asset,
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "epr-pg-1", Namespace: ns, Labels: assetLabels,
			OwnerReferences: controlledBy("postgresql.cnpg.io/v1", "Cluster", "epr-pg")},
			Spec: podSpec(claimVolume("pgdata", "epr-pg-1"))},
		&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "epr-rs", Namespace: ns},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: assetLabels},
				Template: labelled(assetLabels, podSpec())}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "epr-rs-x2x", Namespace: ns, Labels: assetLabels,
			OwnerReferences: controlledBy("apps/v1", "ReplicaSet", "epr-rs")},
			Spec: podSpec()},
	)
	g := &evidence.Gatherer{Reader: indexed{env.Client}}
	e, err := g.Gather(context.Background(), asset, time.Now())
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	if !slices.ContainsFunc(e.Workloads, func(w controls.Workload) bool { return w.Ref() == "Pod/epr-pg-1" }) {
		t.Errorf("Workloads = %v, want Pod/epr-pg-1 among them: its controller is not a workload that is evaluated",
			names(e.Workloads, controls.Workload.Ref))
	}
}
