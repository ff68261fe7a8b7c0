package main

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// estate is the shape of the trust-sized cluster the benchmark builds.
type estate struct {
	assets, workloads, namespaces int
	// driftShare is the share of assets that start with a failing Required control.
	driftShare float64
	// backups is the number of Velero Backups (none: no Velero, and the backup controls off).
	backups int
	// burst is the number of extra assets, in the first namespace, that all select one
	// shared workload: a change to it is a burst of reconciles.
	burst int
	// openReports runs the operator with --openreports, OpenReports' CRDs installed.
	openReports bool
}

// assetRef names one asset of the estate.
type assetRef struct {
	namespace, name string
	index           int
}

func (e estate) namespace(i int) string { return fmt.Sprintf("trust-%03d", i%e.namespaces) }

func (e estate) asset(i int) assetRef {
	return assetRef{namespace: e.namespace(i), name: fmt.Sprintf("asset-%04d", i), index: i}
}

// drifting reports whether asset i starts with a failing control (a privileged workload).
func (e estate) drifting(i int) bool {
	return e.driftShare > 0 && i%int(1/e.driftShare) == 0
}

const (
	encryptedClass = "bench-encrypted"
	plainClass     = "bench-plain"
)

// objects returns every object of the estate, cluster-scoped and namespaces first.
func (e estate) objects() []client.Object {
	objs := []client.Object{
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: encryptedClass}, Provisioner: "ebs.csi.aws.com",
			Parameters: map[string]string{"encrypted": "true"}},
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: plainClass}, Provisioner: "rancher.io/local-path"},
	}
	for n := 0; n < e.namespaces; n++ {
		ns := e.namespace(n)
		objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
			&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "auditors-view"},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "auditors"}}})
	}
	perAsset := max(e.workloads/e.assets, 1)
	for i := 0; i < e.assets; i++ {
		a := e.asset(i)
		labels := map[string]string{"isms.bench/asset": a.name}
		objs = append(objs,
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: a.name}, AutomountServiceAccountToken: ptr.To(false)},
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: a.name + "-data"},
				Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To(encryptedClass), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}},
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: a.name},
				// Headless: the local control plane's service range is too small for a trust.
				Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: labels, Ports: []corev1.ServicePort{{Port: 8443}}}},
			ingress(a, false),
			networkPolicy(a),
		)
		for w := 0; w < perAsset; w++ {
			objs = append(objs, deployment(a, w, e.drifting(i) && w == 0))
		}
		objs = append(objs, &isms.InformationAsset{
			ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: a.name},
			Spec: isms.InformationAssetSpec{
				Owner:          isms.Person{Name: "Bench Owner", Email: "owner@nhs.net"},
				Classification: isms.ClassificationOfficialSensitive, DataCategories: []isms.DataCategory{isms.DataPersonal},
				Criticality: isms.CriticalityMedium, Selector: metav1.LabelSelector{MatchLabels: labels},
				Controls: e.controls(),
			},
		})
	}
	if e.burst > 0 {
		shared := deployment(assetRef{namespace: e.namespace(0), name: "shared"}, 0, false)
		shared.Spec.Template.Labels[sharedLabel] = "true"
		objs = append(objs, shared)
		for i := 0; i < e.burst; i++ {
			objs = append(objs, &isms.InformationAsset{
				ObjectMeta: metav1.ObjectMeta{Namespace: e.namespace(0), Name: fmt.Sprintf("burst-%04d", i)},
				Spec: isms.InformationAssetSpec{Owner: isms.Person{Name: "Bench Owner"}, Classification: isms.ClassificationOfficial,
					Criticality: isms.CriticalityLow, Selector: metav1.LabelSelector{MatchLabels: map[string]string{sharedLabel: "true"}}},
			})
		}
	}
	return objs
}

// sharedLabel marks the workload every burst asset selects.
const sharedLabel = "isms.bench/shared"

// controls are the estate's assets' control levels: with Velero Backups, the backup
// controls are on; without, they are off (every control then reads workloads).
func (e estate) controls() *isms.ControlsSpec {
	if e.backups > 0 {
		return &isms.ControlsSpec{Backup: &isms.BackupControls{Recency: isms.LevelRequired, RestoreTest: isms.LevelRequired}}
	}
	return &isms.ControlsSpec{Backup: &isms.BackupControls{Recency: isms.LevelNotRequired, RestoreTest: isms.LevelNotRequired}}
}

func deployment(a assetRef, w int, privileged bool) *appsv1.Deployment {
	labels := map[string]string{"isms.bench/asset": a.name, "isms.bench/workload": fmt.Sprint(w)}
	container := corev1.Container{Name: "app", Image: "registry.example.nhs.uk/app:1",
		VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
		SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), RunAsNonRoot: ptr.To(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}
	spec := corev1.PodSpec{ServiceAccountName: a.name, Containers: []corev1.Container{container},
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Volumes:         []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: a.name + "-data"}}}}}
	if privileged {
		spec.Containers = append(spec.Containers, privilegedContainer())
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: fmt.Sprintf("%s-w%02d", a.name, w)},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
	}
}

func privilegedContainer() corev1.Container {
	return corev1.Container{Name: "debug", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}
}

func ingress(a assetRef, extraHostWithoutTLS bool) *networkingv1.Ingress {
	pathType := networkingv1.PathTypePrefix
	rule := func(host string) networkingv1.IngressRule {
		return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pathType, Backend: networkingv1.IngressBackend{
				Service: &networkingv1.IngressServiceBackend{Name: a.name, Port: networkingv1.ServiceBackendPort{Number: 8443}}}}}}}}
	}
	host := a.name + "." + a.namespace + ".example.nhs.uk"
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: a.name},
		Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: a.name + "-tls"}},
			Rules: []networkingv1.IngressRule{rule(host)}}}
	if extraHostWithoutTLS {
		ing.Spec.Rules = append(ing.Spec.Rules, rule("plain-"+host))
	}
	return ing
}

func networkPolicy(a assetRef) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: a.namespace, Name: a.name},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"isms.bench/asset": a.name}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "frontend"}}}}}}}}
}

// create creates objects with a pool of workers, cluster-scoped and namespaces first.
func create(ctx context.Context, c client.Client, objs []client.Object, workers int) error {
	var first, rest []client.Object
	for _, o := range objs {
		if o.GetNamespace() == "" {
			first = append(first, o)
		} else {
			rest = append(rest, o)
		}
	}
	for _, batch := range [][]client.Object{first, rest} {
		g, ctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for _, o := range batch {
			g.Go(func() error {
				if err := c.Create(ctx, o); err != nil {
					return fmt.Errorf("creating %T %s/%s: %w", o, o.GetNamespace(), o.GetName(), err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}
