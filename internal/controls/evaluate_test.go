package controls

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// compliantEvidence is a High, sensitive asset that meets every evaluated control: an
// encrypted volume, an Ingress with TLS, Istio STRICT, restricted pods, a restricting
// NetworkPolicy, no other subject with access, its own ServiceAccount without a token,
// and a review 30 days ago. Mutators then break what a case needs.
func compliantEvidence(mutate ...func(*Evidence)) *Evidence {
	return newEvidence(append([]func(*Evidence){func(e *Evidence) {
		e.Asset = newAsset(func(a *isms.InformationAsset) {
			a.Spec.Criticality = isms.CriticalityHigh
			a.Spec.Review = &isms.AssetReview{LastReviewed: ptr(metav1.NewTime(daysAgo(30)))}
		})
		e.Namespace = namespace(map[string]string{"istio-injection": "enabled"}, nil)
		e.Workloads = []Workload{deployment("epr-api", restrictedPod, apiWithSecret,
			podSpec(func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr(false) }))}
		e.Claims = []Claim{pvc("data", ptr("gp3-encrypted"))}
		e.StorageClasses = classMap(ebsEncrypted)
		e.Services = []corev1.Service{service("epr-api", map[string]string{"app": "epr"})}
		e.Ingresses = []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("records.trust.nhs.uk")}, rule("records.trust.nhs.uk", "epr-api"))}
		e.NetworkPolicies = []networkingv1.NetworkPolicy{netpol("epr-api", matchLabels(map[string]string{"app": "epr"}),
			[]networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			from(networkingv1.NetworkPolicyPeer{PodSelector: ptr(matchLabels(map[string]string{"app": "epr-frontend"}))}))}
		e.Mesh = Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{
			{Namespace: testNamespace, Name: "default", Created: daysAgo(100), Mode: "STRICT"}}}
	}}, mutate...)...)
}

// resultSummary is what the Evaluate cases assert of a Result: everything but the wording.
type resultSummary struct {
	Level  isms.ControlLevel
	Status Status
	// HasReason: a NotEvaluated result says why.
	HasReason bool
	Findings  []findingSummary
}

type findingSummary struct {
	Control  isms.ControlID
	Level    isms.ControlLevel
	Resource string
}

func summarise(r Result) resultSummary {
	s := resultSummary{Level: r.Level, Status: r.Status, HasReason: r.Reason != ""}
	for _, f := range r.Findings {
		s.Findings = append(s.Findings, findingSummary{f.Control, f.Level, f.Resource})
	}
	return s
}

func TestEvaluate(t *testing.T) {
	passing := func(level isms.ControlLevel) resultSummary { return resultSummary{Level: level, Status: StatusPass} }
	notEvaluated := func(level isms.ControlLevel) resultSummary {
		return resultSummary{Level: level, Status: StatusNotEvaluated, HasReason: true}
	}
	// With no backup, restore or plan in the evidence, BAK-01, BAK-02 and BCP-01 fail on the asset.
	failingOnAsset := func(id isms.ControlID, level isms.ControlLevel) resultSummary {
		return resultSummary{Level: level, Status: StatusFail, Findings: []findingSummary{{id, level, "InformationAsset/" + testAsset}}}
	}
	openToAllNamespaces := func(e *Evidence) {
		e.NetworkPolicies = []networkingv1.NetworkPolicy{netpol("epr-api", matchLabels(map[string]string{"app": "epr"}),
			[]networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			from(networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}}))}
	}
	officialLow := func(e *Evidence) {
		official(e.Asset)
		e.Asset.Spec.Controls = &isms.ControlsSpec{ContinuityPlan: isms.LevelNotRequired}
	}

	cases := []struct {
		name     string
		reason   string
		evidence *Evidence
		// want holds the results asserted, by control.
		want map[isms.ControlID]resultSummary
	}{
		{
			name:     "a sensitive High asset compliant but for backups and continuity",
			evidence: compliantEvidence(),
			want: map[isms.ControlID]resultSummary{
				isms.ControlEncryptedVolumes: passing(isms.LevelRequired),
				isms.ControlIngressTLS:       passing(isms.LevelRequired),
				isms.ControlMeshMTLS:         passing(isms.LevelRecommended),
				isms.ControlBackupRecent:     failingOnAsset(isms.ControlBackupRecent, isms.LevelRequired),
				isms.ControlRestoreTested:    failingOnAsset(isms.ControlRestoreTested, isms.LevelRequired),
				isms.ControlPodSecurity:      passing(isms.LevelRequired),
				isms.ControlNetworkIsolation: passing(isms.LevelRequired),
				isms.ControlSecretAccess:     passing(isms.LevelRequired),
				isms.ControlServiceAccount:   passing(isms.LevelRequired),
				isms.ControlReviewed:         passing(isms.LevelRequired),
				isms.ControlContinuityPlan:   failingOnAsset(isms.ControlContinuityPlan, isms.LevelRequired),
			},
		},
		{
			name:     "NotRequired controls are not evaluated, even when their check would fail",
			reason:   "ENC-03 is NotRequired for OFFICIAL; no mesh here would fail it",
			evidence: compliantEvidence(officialLow, func(e *Evidence) { e.Namespace = namespace(nil, nil) }),
			want: map[isms.ControlID]resultSummary{
				isms.ControlMeshMTLS:       notEvaluated(isms.LevelNotRequired),
				isms.ControlBackupRecent:   failingOnAsset(isms.ControlBackupRecent, isms.LevelRecommended),
				isms.ControlRestoreTested:  failingOnAsset(isms.ControlRestoreTested, isms.LevelRecommended),
				isms.ControlContinuityPlan: notEvaluated(isms.LevelNotRequired),
			},
		},
		{
			name: "a NotRequired override is not evaluated",
			evidence: compliantEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api", restrictedPod, podSpec(func(s *corev1.PodSpec) { s.ServiceAccountName = "" }))}
				e.Asset.Spec.Controls = &isms.ControlsSpec{Access: &isms.AccessControls{ServiceAccount: isms.LevelNotRequired}}
			}),
			want: map[isms.ControlID]resultSummary{
				isms.ControlServiceAccount: notEvaluated(isms.LevelNotRequired),
			},
		},
		{
			name:     "a failing Required control carries its findings with Control and Level",
			evidence: compliantEvidence(func(e *Evidence) { e.Workloads[0].Template.Spec.ServiceAccountName = "" }),
			want: map[isms.ControlID]resultSummary{
				isms.ControlServiceAccount: {Level: isms.LevelRequired, Status: StatusFail, Findings: []findingSummary{
					{isms.ControlServiceAccount, isms.LevelRequired, "Deployment/epr-api"}}},
			},
		},
		{
			name:     "a failing Recommended control fails at Recommended",
			evidence: compliantEvidence(officialLow, func(e *Evidence) { e.Workloads[0].Template.Spec.ServiceAccountName = "" }),
			want: map[isms.ControlID]resultSummary{
				isms.ControlServiceAccount: {Level: isms.LevelRecommended, Status: StatusFail, Findings: []findingSummary{
					{isms.ControlServiceAccount, isms.LevelRecommended, "Deployment/epr-api"}}},
			},
		},
		{
			name:     "an advisory finding below the control's level does not fail it",
			reason:   "a NetworkPolicy open to all namespaces is a Recommended-level finding",
			evidence: compliantEvidence(openToAllNamespaces),
			want: map[isms.ControlID]resultSummary{
				isms.ControlNetworkIsolation: {Level: isms.LevelRequired, Status: StatusPass, Findings: []findingSummary{
					{isms.ControlNetworkIsolation, isms.LevelRecommended, "NetworkPolicy/epr-api"}}},
			},
		},
		{
			name:     "an advisory finding fails a Recommended control",
			evidence: compliantEvidence(officialLow, openToAllNamespaces),
			want: map[isms.ControlID]resultSummary{
				isms.ControlNetworkIsolation: {Level: isms.LevelRecommended, Status: StatusFail, Findings: []findingSummary{
					{isms.ControlNetworkIsolation, isms.LevelRecommended, "NetworkPolicy/epr-api"}}},
			},
		},
		{
			name: "an advisory finding beside a failing one: the control fails",
			evidence: compliantEvidence(openToAllNamespaces, func(e *Evidence) {
				e.NetworkPolicies = append(e.NetworkPolicies, netpol("allow-all", metav1.LabelSelector{},
					[]networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, networkingv1.NetworkPolicyIngressRule{}))
			}),
			want: map[isms.ControlID]resultSummary{
				isms.ControlNetworkIsolation: {Level: isms.LevelRequired, Status: StatusFail, Findings: []findingSummary{
					{isms.ControlNetworkIsolation, isms.LevelRequired, "NetworkPolicy/allow-all"},
					{isms.ControlNetworkIsolation, isms.LevelRecommended, "NetworkPolicy/epr-api"},
				}},
			},
		},
		{
			name: "findings are sorted by resource",
			evidence: compliantEvidence(func(e *Evidence) {
				e.Claims = []Claim{pvc("wal", ptr("local-path")), pvc("archive", ptr("nfs-client")), pvc("data", ptr("gp3-encrypted")), pvc("cache", ptr("local-path"))}
				e.StorageClasses = classMap(ebsEncrypted, localPath, nfsClient)
				e.RBAC = RBAC{Roles: roleMap(role("secret-reader", readSecrets)), ClusterRoles: clusterRoleMap(),
					RoleBindings: []rbacv1.RoleBinding{
						roleBinding("zz-oncall", "Role", "secret-reader", group("oncall")),
						roleBinding("aa-support", "Role", "secret-reader", user("support")),
					}}
			}),
			want: map[isms.ControlID]resultSummary{
				isms.ControlEncryptedVolumes: {Level: isms.LevelRequired, Status: StatusFail, Findings: []findingSummary{
					{isms.ControlEncryptedVolumes, isms.LevelRequired, "PersistentVolumeClaim/archive"},
					{isms.ControlEncryptedVolumes, isms.LevelRequired, "PersistentVolumeClaim/cache"},
					{isms.ControlEncryptedVolumes, isms.LevelRequired, "PersistentVolumeClaim/wal"},
				}},
				isms.ControlSecretAccess: {Level: isms.LevelRequired, Status: StatusFail, Findings: []findingSummary{
					{isms.ControlSecretAccess, isms.LevelRequired, "RoleBinding/aa-support"},
					{isms.ControlSecretAccess, isms.LevelRequired, "RoleBinding/zz-oncall"},
				}},
			},
		},
		{
			name:     "an overdue review fails GOV-01",
			evidence: compliantEvidence(func(e *Evidence) { e.Asset.Spec.Review.LastReviewed = ptr(metav1.NewTime(daysAgo(400))) }),
			want: map[isms.ControlID]resultSummary{
				isms.ControlReviewed: {Level: isms.LevelRequired, Status: StatusFail, Findings: []findingSummary{
					{isms.ControlReviewed, isms.LevelRequired, "InformationAsset/" + testAsset}}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eval := Evaluate(tc.evidence)
			got := map[isms.ControlID]resultSummary{}
			for _, r := range eval.Results {
				if _, asserted := tc.want[r.Control]; asserted {
					got[r.Control] = summarise(r)
				}
				if !slices.IsSorted(r.Passed) {
					t.Errorf("%s: passed sentences are not sorted: %q", r.Control, r.Passed)
				}
				if r.Status == StatusPass && len(r.Passed) == 0 && r.Control != isms.ControlIngressTLS {
					t.Errorf("%s passes without naming its evidence", r.Control)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateOrder(t *testing.T) {
	eval := Evaluate(compliantEvidence())
	type entry struct {
		Control isms.ControlID
		Family  string
	}
	want := []entry{
		{isms.ControlEncryptedVolumes, isms.ConditionEncryptedAtRest},
		{isms.ControlIngressTLS, isms.ConditionEncryptedInTransit},
		{isms.ControlMeshMTLS, isms.ConditionEncryptedInTransit},
		{isms.ControlBackupRecent, isms.ConditionBackedUp},
		{isms.ControlRestoreTested, isms.ConditionBackedUp},
		{isms.ControlPodSecurity, isms.ConditionAccessControlled},
		{isms.ControlNetworkIsolation, isms.ConditionAccessControlled},
		{isms.ControlSecretAccess, isms.ConditionAccessControlled},
		{isms.ControlServiceAccount, isms.ConditionAccessControlled},
		{isms.ControlReviewed, isms.ConditionReviewed},
		{isms.ControlContinuityPlan, isms.ConditionContinuityPlanned},
	}
	var got []entry
	for _, r := range eval.Results {
		got = append(got, entry{r.Control, r.Family})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results, in catalogue order (-want +got):\n%s", diff)
	}
}

func TestEvaluateRecheckAt(t *testing.T) {
	const day = 24 * time.Hour
	cases := []struct {
		name     string
		evidence *Evidence
		want     time.Time
	}{
		{
			name:     "the next review falls due",
			evidence: compliantEvidence(),
			want:     daysAgo(30).Add(365 * day),
		},
		{
			name: "the next review on a 90-day interval",
			evidence: compliantEvidence(func(e *Evidence) {
				e.Asset.Spec.Review.Interval = &metav1.Duration{Duration: 90 * day}
			}),
			want: daysAgo(30).Add(90 * day),
		},
		{
			name: "a never reviewed asset: the end of the grace period",
			evidence: compliantEvidence(func(e *Evidence) {
				e.Asset.Spec.Review = nil
				e.Asset.CreationTimestamp = metav1.NewTime(daysAgo(5))
			}),
			want: daysAgo(5).Add(30 * day),
		},
		{
			name: "nothing depends on time when GOV-01 is not required",
			evidence: compliantEvidence(func(e *Evidence) {
				e.Asset.Spec.Controls = &isms.ControlsSpec{Review: isms.LevelNotRequired}
			}),
			want: time.Time{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Evaluate(tc.evidence).RecheckAt); diff != "" {
				t.Errorf("RecheckAt (-want +got):\n%s", diff)
			}
		})
	}
}

func TestControlsThatJudgeWorkloadsAreNotEvaluatedWithoutAny(t *testing.T) {
	asset := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns", CreationTimestamp: metav1.Now()},
		Spec: isms.InformationAssetSpec{Classification: isms.ClassificationOfficialSensitive, Criticality: isms.CriticalityLow}}
	eval := Evaluate(&Evidence{Asset: asset, Now: time.Now()})
	for _, r := range eval.Results {
		c, _ := Lookup(r.Control)
		switch {
		case r.Level == isms.LevelNotRequired:
			continue
		case c.judgesWorkloads && (r.Status != StatusNotEvaluated || r.Reason != NoWorkloads):
			t.Errorf("%s with no workloads: %s (%s), want NotEvaluated: %s", r.Control, r.Status, r.Reason, NoWorkloads)
		case !c.judgesWorkloads && r.Status == StatusNotEvaluated:
			t.Errorf("%s does not judge workloads but was not evaluated: %s", r.Control, r.Reason)
		}
	}
}
