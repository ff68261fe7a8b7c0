package controls

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// The fixtures below describe one asset, "epr-records" in namespace "epr", whose workloads
// carry the label app=epr. Each builder returns a value the case may change further.

// now is the time of every evaluation in these tests.
var now = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

const (
	testNamespace = "epr"
	testAsset     = "epr-records"
)

func ptr[T any](v T) *T { return &v }

func daysAgo(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }

// newAsset returns a sensitive asset (OFFICIAL-SENSITIVE, patient identifiable, Medium),
// created 400 days ago; mutators change it.
func newAsset(mutate ...func(*isms.InformationAsset)) *isms.InformationAsset {
	a := &isms.InformationAsset{
		ObjectMeta: metav1.ObjectMeta{Name: testAsset, Namespace: testNamespace,
			CreationTimestamp: metav1.NewTime(daysAgo(400))},
		Spec: isms.InformationAssetSpec{
			Owner:          isms.Person{Name: "Jane Smith", Email: "jane.smith@nhs.net"},
			Classification: isms.ClassificationOfficialSensitive,
			DataCategories: []isms.DataCategory{isms.DataPatientIdentifiable},
			Criticality:    isms.CriticalityMedium,
			Selector:       metav1.LabelSelector{MatchLabels: map[string]string{"app": "epr"}},
		},
	}
	for _, m := range mutate {
		m(a)
	}
	return a
}

// official makes the asset OFFICIAL with no sensitive data categories, criticality Low.
func official(a *isms.InformationAsset) {
	a.Spec.Classification = isms.ClassificationOfficial
	a.Spec.DataCategories = []isms.DataCategory{isms.DataCorporate}
	a.Spec.Criticality = isms.CriticalityLow
}

// withControls sets the asset's spec.controls.
func withControls(c isms.ControlsSpec) func(*isms.InformationAsset) {
	return func(a *isms.InformationAsset) { a.Spec.Controls = &c }
}

// newEvidence returns evidence for newAsset() with no workloads and empty cluster state.
func newEvidence(mutate ...func(*Evidence)) *Evidence {
	e := &Evidence{
		Asset:           newAsset(),
		Now:             now,
		Namespace:       namespace(nil, nil),
		StorageClasses:  map[string]*storagev1.StorageClass{},
		ServiceAccounts: map[string]*corev1.ServiceAccount{},
		RBAC: RBAC{
			Roles:        map[string]*rbacv1.Role{},
			ClusterRoles: map[string]*rbacv1.ClusterRole{},
		},
		Exempt: DefaultExemptSubjects,
	}
	for _, m := range mutate {
		m(e)
	}
	return e
}

func namespace(labels, annotations map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNamespace, Labels: labels, Annotations: annotations}}
}

// deployment returns a Deployment whose pods carry app=epr and component=name and run as
// their own ServiceAccount (named like the workload), with one container "app".
func deployment(name string, mutate ...func(*corev1.PodTemplateSpec)) Workload {
	return workload("Deployment", name, mutate...)
}

func workload(kind, name string, mutate ...func(*corev1.PodTemplateSpec)) Workload {
	w := Workload{Kind: kind, Name: name, Template: corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "epr", "component": name}},
		Spec: corev1.PodSpec{
			ServiceAccountName: name,
			Containers:         []corev1.Container{{Name: "app", Image: "registry.example.nhs.uk/epr:1.4.2"}},
		},
	}}
	for _, m := range mutate {
		m(&w.Template)
	}
	return w
}

func podLabels(kv map[string]string) func(*corev1.PodTemplateSpec) {
	return func(t *corev1.PodTemplateSpec) {
		for k, v := range kv {
			t.Labels[k] = v
		}
	}
}

func podAnnotations(kv map[string]string) func(*corev1.PodTemplateSpec) {
	return func(t *corev1.PodTemplateSpec) { t.Annotations = kv }
}

func podSpec(mutate func(*corev1.PodSpec)) func(*corev1.PodTemplateSpec) {
	return func(t *corev1.PodTemplateSpec) { mutate(&t.Spec) }
}

func storageClass(name, provisioner string, params map[string]string, mutate ...func(*storagev1.StorageClass)) *storagev1.StorageClass {
	c := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(daysAgo(700))},
		Provisioner: provisioner,
		Parameters:  params,
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func annotate(kv map[string]string) func(*storagev1.StorageClass) {
	return func(c *storagev1.StorageClass) { c.Annotations = kv }
}

func asDefault(c *storagev1.StorageClass) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations["storageclass.kubernetes.io/is-default-class"] = "true"
}

func createdAt(t time.Time) func(*storagev1.StorageClass) {
	return func(c *storagev1.StorageClass) { c.CreationTimestamp = metav1.NewTime(t) }
}

func classMap(classes ...*storagev1.StorageClass) map[string]*storagev1.StorageClass {
	m := map[string]*storagev1.StorageClass{}
	for _, c := range classes {
		m[c.Name] = c
	}
	return m
}

// pvc is an unbound PersistentVolumeClaim; class nil means spec.storageClassName unset.
func pvc(name string, class *string) Claim {
	return Claim{Name: "PersistentVolumeClaim/" + name, Spec: &corev1.PersistentVolumeClaimSpec{
		StorageClassName: class,
		AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
	}}
}

// bound binds a claim to a PersistentVolume.
func bound(c Claim, pv *corev1.PersistentVolume) Claim {
	c.Spec.VolumeName = pv.Name
	c.Volume = pv
	return c
}

// csiVolume is a PersistentVolume provisioned by a CSI driver from a StorageClass.
func csiVolume(name, driver, class string, attributes map[string]string, created time.Time) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec: corev1.PersistentVolumeSpec{
			StorageClassName: class,
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: driver, VolumeHandle: "vol-" + name, VolumeAttributes: attributes,
			}},
		},
	}
}

// hostPathVolume is a PersistentVolume such as the local-path provisioner makes.
func hostPathVolume(name, class string, created time.Time) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec: corev1.PersistentVolumeSpec{
			StorageClassName: class,
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: "/opt/local-path-provisioner/" + name,
			}},
		},
	}
}

func service(name string, selector map[string]string) corev1.Service {
	return corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec: corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
}

func ingress(name string, tls []networkingv1.IngressTLS, rules ...networkingv1.IngressRule) networkingv1.Ingress {
	return networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr("nginx"), TLS: tls, Rules: rules}}
}

func tls(hosts ...string) networkingv1.IngressTLS {
	return networkingv1.IngressTLS{Hosts: hosts, SecretName: "epr-tls"}
}

func backend(svc string) networkingv1.IngressBackend {
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}
}

func rule(host string, services ...string) networkingv1.IngressRule {
	var paths []networkingv1.HTTPIngressPath
	for _, svc := range services {
		paths = append(paths, networkingv1.HTTPIngressPath{
			Path: "/" + svc, PathType: ptr(networkingv1.PathTypePrefix), Backend: backend(svc)})
	}
	return networkingv1.IngressRule{Host: host,
		IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}
}

func netpol(name string, selector metav1.LabelSelector, types []networkingv1.PolicyType, ingress ...networkingv1.NetworkPolicyIngressRule) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: selector, PolicyTypes: types, Ingress: ingress}}
}

func matchLabels(kv map[string]string) metav1.LabelSelector {
	return metav1.LabelSelector{MatchLabels: kv}
}

func from(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{From: peers,
		Ports: []networkingv1.NetworkPolicyPort{{Port: ptr(intstr.FromInt32(8080))}}}
}

func role(name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace}, Rules: rules}
}

func clusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func roleMap(roles ...*rbacv1.Role) map[string]*rbacv1.Role {
	m := map[string]*rbacv1.Role{}
	for _, r := range roles {
		m[r.Name] = r
	}
	return m
}

func clusterRoleMap(roles ...*rbacv1.ClusterRole) map[string]*rbacv1.ClusterRole {
	m := map[string]*rbacv1.ClusterRole{}
	for _, r := range roles {
		m[r.Name] = r
	}
	return m
}

func roleBinding(name, roleKind, roleName string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	return rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName},
		Subjects: subjects}
}

func clusterRoleBinding(name, roleName string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName},
		Subjects: subjects}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func serviceAccount(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

// wantFinding is what a case asserts of one finding: the resource, the level the check
// gave it ("" means the control's level), and words its message must contain
// (case-insensitive), such as the names and hosts it must name.
type wantFinding struct {
	Resource string
	Level    isms.ControlLevel
	Words    []string
}

// expect is what a case asserts of a check's outcome.
type expect struct {
	// findings are the failing findings, in any order; none means the check passes.
	findings []wantFinding
	// passed are words that some passed sentence must contain.
	passed []string
	// notPassed are words that no passed sentence may contain.
	notPassed []string
	// notEvaluated are words the reason must contain when the evidence cannot decide.
	notEvaluated []string
}

// pass is the expectation of a passing check whose evidence names the given words.
func pass(words ...string) expect { return expect{passed: words} }

// fail is the expectation of a check that fails with exactly these findings.
func fail(findings ...wantFinding) expect { return expect{findings: findings} }

// undecided is the expectation of a check whose evidence cannot decide yet, giving a
// reason with the words.
func undecided(words ...string) expect { return expect{notEvaluated: words} }

// assertOutcome compares a check's findings (resource and level) with the expectation
// and checks the words of their messages and of the passed sentences.
func assertOutcome(t *testing.T, out outcome, want expect) {
	t.Helper()
	if (out.notEvaluated != "") != (len(want.notEvaluated) > 0) {
		t.Fatalf("notEvaluated = %q, want words %q (findings %+v)", out.notEvaluated, want.notEvaluated, out.findings)
	}
	for _, word := range want.notEvaluated {
		if !strings.Contains(out.notEvaluated, word) {
			t.Errorf("notEvaluated = %q, want it to mention %q", out.notEvaluated, word)
		}
	}
	type key struct {
		Resource string
		Level    isms.ControlLevel
	}
	var wantKeys, gotKeys []key
	for _, f := range want.findings {
		wantKeys = append(wantKeys, key{f.Resource, f.Level})
	}
	var messages []string
	for _, f := range out.findings {
		gotKeys = append(gotKeys, key{f.Resource, f.Level})
		messages = append(messages, f.Resource+": "+f.Message)
	}
	sortKeys := cmpopts.SortSlices(func(a, b key) bool {
		return a.Resource < b.Resource || (a.Resource == b.Resource && a.Level < b.Level)
	})
	if diff := cmp.Diff(wantKeys, gotKeys, sortKeys, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("findings (-want +got):\n%s\nmessages:\n  %s\npassed:\n  %s", diff,
			strings.Join(messages, "\n  "), strings.Join(out.passed, "\n  "))
	}
	for _, w := range want.findings {
		found := false
		for _, f := range out.findings {
			if f.Resource == w.Resource && f.Level == w.Level && containsAll(f.Message, w.Words) {
				found = true
				break
			}
		}
		if !found && len(w.Words) > 0 {
			t.Errorf("no finding for %s whose message contains %q; messages:\n  %s", w.Resource, w.Words, strings.Join(messages, "\n  "))
		}
	}
	passed := strings.Join(out.passed, "\n")
	for _, word := range want.passed {
		if !containsAll(passed, []string{word}) {
			t.Errorf("no passed sentence contains %q; passed:\n  %s", word, strings.Join(out.passed, "\n  "))
		}
	}
	for _, word := range want.notPassed {
		if containsAll(passed, []string{word}) {
			t.Errorf("a passed sentence contains %q, which it must not; passed:\n  %s", word, strings.Join(out.passed, "\n  "))
		}
	}
}

func containsAll(s string, words []string) bool {
	s = strings.ToLower(s)
	for _, w := range words {
		if !strings.Contains(s, strings.ToLower(w)) {
			return false
		}
	}
	return true
}

// The backup and continuity fixtures: Velero runs in namespace "velero", the asset's
// database epr-db mounts the claim "data", and its continuity plan is "epr-continuity".
const (
	veleroNamespace = "velero"
	testPlan        = "epr-continuity"
)

func hoursAgo(hours float64) time.Time { return now.Add(-time.Duration(hours * float64(time.Hour))) }

// mountsClaims gives a pod template one volume per claim, named like the claim.
func mountsClaims(claims ...string) func(*corev1.PodTemplateSpec) {
	return func(t *corev1.PodTemplateSpec) {
		for _, c := range claims {
			t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: c, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
		}
	}
}

// backupEvidence is newEvidence with one workload, Deployment epr-db, mounting the claim
// "data"; Velero and CSI snapshots installed; and Velero's default BackupStorageLocation
// "default" Available. There is no backup, schedule, snapshot, restore or plan.
func backupEvidence(mutate ...func(*Evidence)) *Evidence {
	return newEvidence(append([]func(*Evidence){func(e *Evidence) {
		e.Workloads = []Workload{deployment("epr-db", mountsClaims("data"))}
		e.Claims = []Claim{pvc("data", ptr("gp3-encrypted"))}
		e.Backups = Backups{VeleroInstalled: true, SnapshotsInstalled: true,
			StorageLocations: []StorageLocation{backupLocation("default", true, "Available")}}
	}}, mutate...)...)
}

// offline marks evidence read from manifests, as `isms-operator audit` gathers it.
func offline(e *Evidence) { e.Offline = true }

// backupLocation is a BackupStorageLocation in Velero's namespace.
func backupLocation(name string, isDefault bool, phase string) StorageLocation {
	return StorageLocation{Namespace: veleroNamespace, Name: name, Default: isDefault, Phase: phase}
}

// veleroBackup is a Backup in Velero's namespace of every namespace, snapshotting volumes
// (the Velero defaults), to the default location.
func veleroBackup(name, phase string, completed time.Time, spec ...func(*VeleroBackupSpec)) VeleroBackup {
	b := VeleroBackup{Namespace: veleroNamespace, Name: name, Phase: phase, Completed: completed}
	for _, m := range spec {
		m(&b.Spec)
	}
	return b
}

func completedBackup(name string, completed time.Time, spec ...func(*VeleroBackupSpec)) VeleroBackup {
	return veleroBackup(name, "Completed", completed, spec...)
}

func includesNamespaces(ns ...string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) { s.IncludedNamespaces = ns }
}

func excludesNamespaces(ns ...string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) { s.ExcludedNamespaces = ns }
}

func backupLabelSelector(kv map[string]string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) { s.LabelSelector = &metav1.LabelSelector{MatchLabels: kv} }
}

func backupOrLabelSelectors(kvs ...map[string]string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) {
		for _, kv := range kvs {
			s.OrLabelSelectors = append(s.OrLabelSelectors, &metav1.LabelSelector{MatchLabels: kv})
		}
	}
}

// noVolumeSnapshots sets snapshotVolumes: false.
func noVolumeSnapshots(s *VeleroBackupSpec) { s.SnapshotVolumes = ptr(false) }

// fsBackupByDefault sets defaultVolumesToFsBackup: true.
func fsBackupByDefault(s *VeleroBackupSpec) { s.DefaultVolumesToFsBackup = ptr(true) }

func toStorageLocation(name string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) { s.StorageLocation = name }
}

func veleroSchedule(name string, template ...func(*VeleroBackupSpec)) VeleroSchedule {
	s := VeleroSchedule{Namespace: veleroNamespace, Name: name}
	for _, m := range template {
		m(&s.Template)
	}
	return s
}

func veleroRestore(name, backupName, phase string, errors int, started, completed time.Time) VeleroRestore {
	return VeleroRestore{Namespace: veleroNamespace, Name: name, Backup: backupName, Phase: phase,
		Errors: errors, Started: started, Completed: completed}
}

func volumeSnapshot(name, claim string, ready bool, created time.Time) VolumeSnapshot {
	return VolumeSnapshot{Name: name, Claim: claim, Ready: ready, Created: created}
}

// continuityPlan is a plan of the asset's namespace at generation 2, listing the named
// assets, whose Ready condition is True for generation 2.
func continuityPlan(name string, assets []string, mutate ...func(*isms.ContinuityPlan)) isms.ContinuityPlan {
	p := isms.ContinuityPlan{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace, Generation: 2},
		Spec:       isms.ContinuityPlanSpec{Owner: isms.Person{Name: "Jane Smith", Email: "jane.smith@nhs.net"}},
	}
	for _, a := range assets {
		p.Spec.Assets = append(p.Spec.Assets, isms.LocalObjectReference{Name: a})
		// The plan has been evaluated with each asset it lists.
		p.Status.Assets = append(p.Status.Assets, isms.AssetContinuityStatus{Name: a, State: isms.AssetWithinRPO})
	}
	planReady(metav1.ConditionTrue, 2, "the plan is met")(&p)
	for _, m := range mutate {
		m(&p)
	}
	return p
}

// planReady sets the plan's Ready condition.
func planReady(status metav1.ConditionStatus, observedGeneration int64, message string) func(*isms.ContinuityPlan) {
	return func(p *isms.ContinuityPlan) {
		p.Status.Conditions = []metav1.Condition{{Type: isms.ConditionReady, Status: status,
			ObservedGeneration: observedGeneration, Reason: "Evaluated", Message: message,
			LastTransitionTime: metav1.NewTime(daysAgo(1))}}
	}
}

func planRPO(rpo time.Duration) func(*isms.ContinuityPlan) {
	return func(p *isms.ContinuityPlan) {
		p.Spec.Objectives = &isms.RecoveryObjectives{RPO: &metav1.Duration{Duration: rpo}}
	}
}

func planExercises(records ...isms.ExerciseRecord) func(*isms.ContinuityPlan) {
	return func(p *isms.ContinuityPlan) { p.Spec.Exercises = &isms.Exercises{Records: records} }
}

func exerciseRecord(typ isms.ExerciseType, result isms.ExerciseResult, date time.Time) isms.ExerciseRecord {
	return isms.ExerciseRecord{Date: metav1.NewTime(date), Type: typ, Result: result}
}

// withPlans sets the ContinuityPlans of the asset's namespace.
func withPlans(plans ...isms.ContinuityPlan) func(*Evidence) {
	return func(e *Evidence) { e.Plans = plans }
}

// continuityPlanRef sets the asset's spec.continuityPlanRef.
func continuityPlanRef(name string) func(*isms.InformationAsset) {
	return func(a *isms.InformationAsset) { a.Spec.ContinuityPlanRef = &isms.LocalObjectReference{Name: name} }
}

// The Gateway API fixtures: Gateways live in namespace "infra"; a route lives in the
// asset's namespace unless a case says otherwise.
const gatewayNamespace = "infra"

// gatewayAPI is the evidence of a cluster serving every Gateway API kind ENC-02 reads,
// holding the given Gateways and the namespaces epr, infra and shared (team=shared).
func gatewayAPI(gateways ...*gatewayv1.Gateway) GatewayAPI {
	g := GatewayAPI{Installed: true, GRPCRoutesServed: true, TLSRoutesServed: true, ReferenceGrantsServed: true,
		Gateways: map[types.NamespacedName]*gatewayv1.Gateway{},
		Namespaces: map[string]*corev1.Namespace{
			testNamespace:    {ObjectMeta: metav1.ObjectMeta{Name: testNamespace, Labels: map[string]string{"kubernetes.io/metadata.name": testNamespace}}},
			gatewayNamespace: {ObjectMeta: metav1.ObjectMeta{Name: gatewayNamespace, Labels: map[string]string{"kubernetes.io/metadata.name": gatewayNamespace}}},
			"shared":         {ObjectMeta: metav1.ObjectMeta{Name: "shared", Labels: map[string]string{"kubernetes.io/metadata.name": "shared", "team": "shared"}}},
		}}
	for _, gw := range gateways {
		g.Gateways[types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}] = gw
	}
	return g
}

func gatewayIn(namespace, name string, listeners ...gatewayv1.Listener) *gatewayv1.Gateway {
	return &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: gatewayv1.GatewaySpec{GatewayClassName: "nginx", Listeners: listeners}}
}

// listener returns a listener admitting routes from all namespaces; hostname "" leaves
// it unset. HTTPS listeners terminate TLS with the certificate epr-tls.
func listener(name string, protocol gatewayv1.ProtocolType, port int32, hostname string, mutate ...func(*gatewayv1.Listener)) gatewayv1.Listener {
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: protocol, Port: gatewayv1.PortNumber(port),
		AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromAll)}}}
	if hostname != "" {
		l.Hostname = ptr(gatewayv1.Hostname(hostname))
	}
	if protocol == gatewayv1.HTTPSProtocolType {
		l.TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr(gatewayv1.TLSModeTerminate),
			CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "epr-tls"}}}
	}
	for _, m := range mutate {
		m(&l)
	}
	return l
}

func httpListener(hostname string, mutate ...func(*gatewayv1.Listener)) gatewayv1.Listener {
	return listener("http", gatewayv1.HTTPProtocolType, 80, hostname, mutate...)
}

func httpsListener(hostname string, mutate ...func(*gatewayv1.Listener)) gatewayv1.Listener {
	return listener("https", gatewayv1.HTTPSProtocolType, 443, hostname, mutate...)
}

// tlsListener is a listener of protocol TLS with the given tls.mode.
func tlsListener(hostname string, mode gatewayv1.TLSModeType) gatewayv1.Listener {
	return listener("tls", gatewayv1.TLSProtocolType, 443, hostname, func(l *gatewayv1.Listener) {
		l.TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr(mode)}
	})
}

// routesFrom sets a listener's allowedRoutes.namespaces; a nil AllowedRoutes when from is "".
func routesFrom(from gatewayv1.FromNamespaces, selector *metav1.LabelSelector) func(*gatewayv1.Listener) {
	return func(l *gatewayv1.Listener) {
		if from == "" {
			l.AllowedRoutes = nil
			return
		}
		l.AllowedRoutes.Namespaces = &gatewayv1.RouteNamespaces{From: ptr(from), Selector: selector}
	}
}

// routeKinds sets a listener's allowedRoutes.kinds (group gateway.networking.k8s.io).
func routeKinds(kinds ...string) func(*gatewayv1.Listener) {
	return func(l *gatewayv1.Listener) {
		for _, k := range kinds {
			l.AllowedRoutes.Kinds = append(l.AllowedRoutes.Kinds, gatewayv1.RouteGroupKind{Kind: gatewayv1.Kind(k)})
		}
	}
}

// parentRef names a Gateway; namespace "" and section "" leave those unset.
func parentRef(namespace, name, section string) gatewayv1.ParentReference {
	p := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(name)}
	if namespace != "" {
		p.Namespace = ptr(gatewayv1.Namespace(namespace))
	}
	if section != "" {
		p.SectionName = ptr(gatewayv1.SectionName(section))
	}
	return p
}

// infraGateway is parentRef of the Gateway "public" of namespace infra.
func infraGateway(section string) gatewayv1.ParentReference {
	return parentRef(gatewayNamespace, "public", section)
}

// serviceRef is a backendRef to a Service; namespace "" leaves it unset (the route's).
func serviceRef(namespace, name string) gatewayv1.BackendObjectReference {
	b := gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr(gatewayv1.PortNumber(80))}
	if namespace != "" {
		b.Namespace = ptr(gatewayv1.Namespace(namespace))
	}
	return b
}

// httpRoute returns an HTTPRoute with the given parents, hostnames and rules.
func httpRoute(namespace, name string, parents []gatewayv1.ParentReference, hostnames []string, rules ...gatewayv1.HTTPRouteRule) gatewayv1.HTTPRoute {
	r := gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	r.Spec.ParentRefs = parents
	for _, h := range hostnames {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	r.Spec.Rules = rules
	return r
}

// forward is an HTTPRoute rule sending requests to the backends.
func forward(backends ...gatewayv1.BackendObjectReference) gatewayv1.HTTPRouteRule {
	var rule gatewayv1.HTTPRouteRule
	for _, b := range backends {
		rule.BackendRefs = append(rule.BackendRefs, gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: b}})
	}
	return rule
}

// redirect is an HTTPRoute rule answering with a RequestRedirect to the scheme, listing
// the backends beside it (which the v1 CRD refuses, and manifests may hold).
func redirect(scheme string, backends ...gatewayv1.BackendObjectReference) gatewayv1.HTTPRouteRule {
	rule := forward(backends...)
	rule.Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestRedirect,
		RequestRedirect: &gatewayv1.HTTPRequestRedirectFilter{Scheme: ptr(scheme), StatusCode: ptr(301)}}}
	return rule
}

func grpcRoute(namespace, name string, parents []gatewayv1.ParentReference, hostnames []string, backends ...gatewayv1.BackendObjectReference) gatewayv1.GRPCRoute {
	r := gatewayv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	r.Spec.ParentRefs = parents
	for _, h := range hostnames {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	var rule gatewayv1.GRPCRouteRule
	for _, b := range backends {
		rule.BackendRefs = append(rule.BackendRefs, gatewayv1.GRPCBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: b}})
	}
	r.Spec.Rules = []gatewayv1.GRPCRouteRule{rule}
	return r
}

func tlsRoute(namespace, name string, parents []gatewayv1.ParentReference, hostnames []string, backends ...gatewayv1.BackendObjectReference) gatewayv1.TLSRoute {
	r := gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	r.Spec.ParentRefs = parents
	for _, h := range hostnames {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	var rule gatewayv1.TLSRouteRule
	for _, b := range backends {
		rule.BackendRefs = append(rule.BackendRefs, gatewayv1.BackendRef{BackendObjectReference: b})
	}
	r.Spec.Rules = []gatewayv1.TLSRouteRule{rule}
	return r
}

// referenceGrant is a ReferenceGrant of the asset's namespace letting routes of kind
// fromKind in fromNamespace reference its Services (the one named, when toName is set).
func referenceGrant(fromKind, fromNamespace, toName string) gatewayv1.ReferenceGrant {
	to := gatewayv1.ReferenceGrantTo{Group: "", Kind: "Service"}
	if toName != "" {
		to.Name = ptr(gatewayv1.ObjectName(toName))
	}
	return gatewayv1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "from-" + fromNamespace},
		Spec: gatewayv1.ReferenceGrantSpec{
			From: []gatewayv1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: gatewayv1.Kind(fromKind), Namespace: gatewayv1.Namespace(fromNamespace)}},
			To:   []gatewayv1.ReferenceGrantTo{to},
		}}
}

// exposedService is a Service of the given type selecting app=epr, with the ports.
func exposedService(name string, serviceType corev1.ServiceType, ports ...corev1.ServicePort) corev1.Service {
	svc := service(name, map[string]string{"app": "epr"})
	svc.Spec.Type = serviceType
	svc.Spec.Ports = ports
	return svc
}

// servicePort is a TCP port; name and appProtocol "" leave them unset.
func servicePort(port int32, name, appProtocol string) corev1.ServicePort {
	p := corev1.ServicePort{Name: name, Port: port, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8443)}
	if appProtocol != "" {
		p.AppProtocol = ptr(appProtocol)
	}
	return p
}
