package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// drift is how long a change may take to show on the asset: generous for a loaded CI
// machine; it normally shows in well under a second (make bench measures it).
const drift = 15 * time.Second

// estate is a compliant EPR database and everything around it, in namespace ns.
type estate struct {
	ns                   string
	encryptedSC, plainSC string
	deployment           *appsv1.Deployment
	claim                *corev1.PersistentVolumeClaim
	ingress              *networkingv1.Ingress
	policy               *networkingv1.NetworkPolicy
	asset                *isms.InformationAsset
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
		}
	}
}

func restrictedContainer() corev1.Container {
	return corev1.Container{
		Name: "postgres", Image: "postgres:17",
		EnvFrom:      []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "epr-db-credentials"}}}},
		VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/var/lib/postgresql"}},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			RunAsNonRoot:             ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
}

// newEstate creates a compliant estate and waits until the asset is Compliant.
func newEstate(t *testing.T) *estate {
	t.Helper()
	ns := env.Namespace(t)
	e := &estate{ns: ns, encryptedSC: ns + "-encrypted", plainSC: ns + "-plain"}
	labels := map[string]string{"app.kubernetes.io/name": "epr-db"}
	create(t,
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: e.encryptedSC}, Provisioner: "ebs.csi.aws.com",
			Parameters: map[string]string{"encrypted": "true", "type": "gp3"}},
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: e.plainSC}, Provisioner: "rancher.io/local-path"},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "epr-db"}, AutomountServiceAccountToken: ptr.To(false)},
	)
	t.Cleanup(func() {
		for _, name := range []string{e.encryptedSC, e.plainSC} {
			_ = env.Client.Delete(context.Background(), &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}})
		}
	})
	e.claim = claim(ns, e.encryptedSC)
	e.deployment = &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "epr-db"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: "epr-db",
					SecurityContext:    &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers:         []corev1.Container{restrictedContainer()},
					Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
						PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "epr-data"}}}},
				},
			},
		},
	}
	pathType := networkingv1.PathTypePrefix
	e.ingress = &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "epr"},
		Spec: networkingv1.IngressSpec{
			TLS: []networkingv1.IngressTLS{{Hosts: []string{"epr.example.nhs.uk"}, SecretName: "epr-tls"}},
			Rules: []networkingv1.IngressRule{{Host: "epr.example.nhs.uk", IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pathType,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "epr-db", Port: networkingv1.ServiceBackendPort{Number: 5432}}}}}}}}},
		},
	}
	e.policy = &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "epr-db"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: labels},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "epr-api"}}}}}},
		},
	}
	e.asset = &isms.InformationAsset{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "patient-records"},
		Spec: isms.InformationAssetSpec{
			Owner:          isms.Person{Name: "Jane Smith", Email: "jane.smith@nhs.net"},
			Classification: isms.ClassificationOfficialSensitive,
			DataCategories: []isms.DataCategory{isms.DataPatientIdentifiable},
			Criticality:    isms.CriticalityHigh,
			Selector:       metav1.LabelSelector{MatchLabels: labels},
			Review:         &isms.AssetReview{LastReviewed: &metav1.Time{Time: time.Now().Add(-24 * time.Hour)}},
			// Backups and continuity have their own tests (continuityplan_controller_test.go).
			Controls: &isms.ControlsSpec{
				Backup:         &isms.BackupControls{Recency: isms.LevelNotRequired, RestoreTest: isms.LevelNotRequired},
				ContinuityPlan: isms.LevelNotRequired,
			},
		},
	}
	create(t, e.claim, e.deployment, e.ingress, e.policy,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "epr-db"},
			Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 5432}}}},
		e.asset)
	waitFor(t, e, isms.ConditionCompliant, metav1.ConditionTrue)
	return e
}

func claim(ns, class string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "epr-data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: ptr.To(class),
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
		},
	}
}

// current reads the asset from the API server.
func (e *estate) current(t *testing.T) *isms.InformationAsset {
	t.Helper()
	asset := &isms.InformationAsset{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(e.asset), asset); err != nil {
		t.Fatal(err)
	}
	return asset
}

// waitFor waits until the asset's condition has status, and returns the asset.
func waitFor(t *testing.T, e *estate, conditionType string, status metav1.ConditionStatus) *isms.InformationAsset {
	t.Helper()
	var asset *isms.InformationAsset
	eventually(t, drift, func() error {
		asset = e.current(t)
		c := meta.FindStatusCondition(asset.Status.Conditions, conditionType)
		if c == nil || c.Status != status || c.ObservedGeneration != asset.Generation {
			return fmt.Errorf("condition %s = %+v, want %s; findings: %+v", conditionType, c, status, asset.Status.Findings)
		}
		return nil
	})
	return asset
}

// finding returns the asset's Required finding for control, if it has one.
func finding(asset *isms.InformationAsset, control isms.ControlID) (isms.Finding, bool) {
	for _, f := range asset.Status.Findings {
		if f.Control == control && f.Level == isms.LevelRequired {
			return f, true
		}
	}
	return isms.Finding{}, false
}

// update reads obj afresh, changes it and writes it back, retrying when the operator's
// writes (status, finalizers) race the update.
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	if err := updateAs(t, env.Client, obj, mutate); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Delete(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// recreate deletes obj and creates it again from a fresh copy (for immutable fields). It
// removes finalizers (a claim's pvc-protection) that no controller removes in envtest.
func recreate(t *testing.T, obj client.Object) {
	t.Helper()
	old := obj.DeepCopyObject().(client.Object)
	remove(t, old)
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(old), old); err == nil && len(old.GetFinalizers()) > 0 {
		old.SetFinalizers(nil)
		if err := env.Client.Update(context.Background(), old); err != nil {
			t.Fatal(err)
		}
	}
	fresh := obj.DeepCopyObject().(client.Object)
	fresh.SetResourceVersion("")
	fresh.SetUID("")
	eventually(t, drift, func() error { return env.Client.Create(context.Background(), fresh) })
}

func TestCompliantAssetStatus(t *testing.T) {
	e := newEstate(t)
	asset := e.current(t)
	if got := asset.Status.Workloads; got == nil || got.Count != 1 || got.Names[0] != "Deployment/epr-db" {
		t.Errorf("workloads = %+v, want Deployment/epr-db", got)
	}
	if asset.Status.Compliance == "" || asset.Status.Summary == nil || asset.Status.Summary.Failing != 0 {
		t.Errorf("compliance %q, summary %+v", asset.Status.Compliance, asset.Status.Summary)
	}
	for family, want := range map[string]metav1.ConditionStatus{
		isms.ConditionEncryptedAtRest: metav1.ConditionTrue, isms.ConditionEncryptedInTransit: metav1.ConditionTrue,
		isms.ConditionAccessControlled: metav1.ConditionTrue, isms.ConditionReviewed: metav1.ConditionTrue,
		isms.ConditionBackedUp: metav1.ConditionTrue, isms.ConditionContinuityPlanned: metav1.ConditionTrue,
		isms.ConditionReady: metav1.ConditionTrue,
	} {
		c := meta.FindStatusCondition(asset.Status.Conditions, family)
		if c == nil || c.Status != want {
			t.Errorf("condition %s = %+v, want %s", family, c, want)
		}
	}
	if c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionBackedUp); c == nil || c.Reason != isms.ReasonNotRequired {
		t.Errorf("BackedUp = %+v, want reason NotRequired (the estate opts out of backup controls)", c)
	}
	// ENC-03 is Recommended for sensitive assets: no mesh is a finding, not a failure.
	if c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionEncryptedInTransit); c.Reason != isms.ReasonRecommendedControlsFailing {
		t.Errorf("EncryptedInTransit reason = %s, want %s (ENC-03 is Recommended)", c.Reason, isms.ReasonRecommendedControlsFailing)
	}
}

func TestDriftShowsAndRecovers(t *testing.T) {
	e := newEstate(t)
	cases := []struct {
		name      string
		condition string
		control   isms.ControlID
		resource  string
		mentions  string
		drift     func(t *testing.T)
		revert    func(t *testing.T)
	}{
		{
			name: "a privileged container", condition: isms.ConditionAccessControlled, control: isms.ControlPodSecurity,
			resource: "Deployment/epr-db", mentions: "privileged",
			drift: func(t *testing.T) {
				update(t, e.deployment, func(d *appsv1.Deployment) {
					d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{
						Name: "debug", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}})
				})
			},
			revert: func(t *testing.T) {
				update(t, e.deployment, func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers = d.Spec.Template.Spec.Containers[:1] })
			},
		},
		{
			name: "an Ingress host without TLS", condition: isms.ConditionEncryptedInTransit, control: isms.ControlIngressTLS,
			resource: "Ingress/epr", mentions: "records.example.nhs.uk",
			drift: func(t *testing.T) {
				update(t, e.ingress, func(i *networkingv1.Ingress) {
					rule := *i.Spec.Rules[0].DeepCopy()
					rule.Host = "records.example.nhs.uk"
					i.Spec.Rules = append(i.Spec.Rules, rule)
				})
			},
			revert: func(t *testing.T) {
				update(t, e.ingress, func(i *networkingv1.Ingress) { i.Spec.Rules = i.Spec.Rules[:1] })
			},
		},
		{
			name: "the claim moved to an unencrypted StorageClass", condition: isms.ConditionEncryptedAtRest, control: isms.ControlEncryptedVolumes,
			resource: "PersistentVolumeClaim/epr-data", mentions: e.plainSC,
			drift:  func(t *testing.T) { recreate(t, claim(e.ns, e.plainSC)) },
			revert: func(t *testing.T) { recreate(t, claim(e.ns, e.encryptedSC)) },
		},
		{
			name: "its NetworkPolicy deleted", condition: isms.ConditionAccessControlled, control: isms.ControlNetworkIsolation,
			resource: "Deployment/epr-db", mentions: "no NetworkPolicy",
			drift: func(t *testing.T) { remove(t, e.policy.DeepCopy()) },
			revert: func(t *testing.T) {
				policy := e.policy.DeepCopy()
				policy.ResourceVersion, policy.UID = "", ""
				create(t, policy)
			},
		},
		{
			name: "a new Group bound to a Role that reads its Secret", condition: isms.ConditionAccessControlled, control: isms.ControlSecretAccess,
			resource: "RoleBinding/contractors-read-secrets", mentions: `Group "contractors"`,
			drift: func(t *testing.T) {
				create(t,
					&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "secret-reader"},
						Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: []string{"epr-db-credentials"}}}},
					&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "contractors-read-secrets"},
						RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"},
						Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "contractors"}}})
			},
			revert: func(t *testing.T) {
				remove(t, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "contractors-read-secrets"}})
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.drift(t)
			// Wait for the finding itself: a drift made of several writes (a claim deleted,
			// then created again) may show an intermediate finding first.
			var asset *isms.InformationAsset
			eventually(t, drift, func() error {
				asset = e.current(t)
				c := meta.FindStatusCondition(asset.Status.Conditions, tc.condition)
				f, found := finding(asset, tc.control)
				if c == nil || c.Status != metav1.ConditionFalse || !found || f.Resource != tc.resource || !strings.Contains(f.Message, tc.mentions) {
					return fmt.Errorf("condition %+v, finding %+v; want %s False and a finding on %s that mentions %q", c, f, tc.condition, tc.resource, tc.mentions)
				}
				return nil
			})
			if c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionCompliant); c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, string(tc.control)) {
				t.Errorf("Compliant = %+v, want False naming %s", c, tc.control)
			}
			waitForEvent(t, e.ns, "InformationAsset", e.asset.Name, corev1.EventTypeWarning, "ControlFailing", string(tc.control))

			tc.revert(t)
			waitFor(t, e, tc.condition, metav1.ConditionTrue)
			waitFor(t, e, isms.ConditionCompliant, metav1.ConditionTrue)
			waitForEvent(t, e.ns, "InformationAsset", e.asset.Name, corev1.EventTypeNormal, "ControlPassing", string(tc.control))
		})
	}
}

func TestIdleAssetCausesNoStatusWrites(t *testing.T) {
	e := newEstate(t)
	asset := e.current(t)
	w, err := env.Client.Watch(context.Background(), &isms.InformationAssetList{},
		client.InNamespace(e.ns), client.MatchingFields{"metadata.name": asset.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// A change to an object the asset's controls read, that changes no result, makes the
	// operator reconcile the asset; it must not write.
	update(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "epr-db"}}, func(s *corev1.Service) {
		s.Annotations = map[string]string{"touched-by": "test"}
	})
	update(t, e.policy, func(p *networkingv1.NetworkPolicy) { p.Labels = map[string]string{"touched-by": "test"} })
	quiet := time.After(3 * time.Second)
	writes := 0
	for done := false; !done; {
		select {
		case ev := <-w.ResultChan():
			if ev.Type == watch.Modified {
				writes++
				t.Logf("status written: %+v", ev.Object.(*isms.InformationAsset).Status)
			}
		case <-quiet:
			done = true
		}
	}
	if writes != 0 {
		t.Errorf("the operator wrote the idle asset %d times; want none", writes)
	}
	if after := e.current(t); after.ResourceVersion != asset.ResourceVersion {
		t.Errorf("resourceVersion changed from %s to %s while idle", asset.ResourceVersion, after.ResourceVersion)
	}
}

func TestCacheHoldsStrippedObjects(t *testing.T) {
	e := newEstate(t)
	deployment := &appsv1.Deployment{}
	if err := cached.Get(context.Background(), client.ObjectKeyFromObject(e.deployment), deployment); err != nil {
		t.Fatal(err)
	}
	if len(deployment.ManagedFields) != 0 {
		t.Errorf("the cached Deployment keeps %d managedFields entries", len(deployment.ManagedFields))
	}
	err := cached.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: "epr-db-credentials"}, &corev1.Secret{})
	if notCached := (&cache.ErrResourceNotCached{}); !errors.As(err, &notCached) {
		t.Errorf("reading a Secret from the cache: got %v, want ErrResourceNotCached (no kind is cached unless watched)", err)
	}
}
