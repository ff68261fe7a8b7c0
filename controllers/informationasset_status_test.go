package controllers

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

func result(id isms.ControlID, family string, level isms.ControlLevel, status controls.Status, findings ...isms.Finding) controls.Result {
	for i := range findings {
		findings[i].Control = id
		if findings[i].Level == "" {
			findings[i].Level = level
		}
	}
	return controls.Result{Control: id, Family: family, Level: level, Status: status, Findings: findings,
		Reason: map[controls.Status]string{controls.StatusNotEvaluated: "not evaluated yet"}[status]}
}

var (
	encPass    = result(isms.ControlEncryptedVolumes, isms.ConditionEncryptedAtRest, isms.LevelRequired, controls.StatusPass)
	encFail    = result(isms.ControlEncryptedVolumes, isms.ConditionEncryptedAtRest, isms.LevelRequired, controls.StatusFail, isms.Finding{Resource: "PersistentVolumeClaim/data", Message: "not encrypted"})
	tlsPass    = result(isms.ControlIngressTLS, isms.ConditionEncryptedInTransit, isms.LevelRequired, controls.StatusPass)
	meshFail   = result(isms.ControlMeshMTLS, isms.ConditionEncryptedInTransit, isms.LevelRecommended, controls.StatusFail, isms.Finding{Resource: "Deployment/db", Message: "no mesh"})
	meshOff    = result(isms.ControlMeshMTLS, isms.ConditionEncryptedInTransit, isms.LevelNotRequired, controls.StatusNotEvaluated)
	backupNot  = result(isms.ControlBackupRecent, isms.ConditionBackedUp, isms.LevelRequired, controls.StatusNotEvaluated)
	netAdvised = result(isms.ControlNetworkIsolation, isms.ConditionAccessControlled, isms.LevelRequired, controls.StatusPass,
		isms.Finding{Resource: "NetworkPolicy/db", Level: isms.LevelRecommended, Message: "open to all namespaces"})
	reviewFail = result(isms.ControlReviewed, isms.ConditionReviewed, isms.LevelRequired, controls.StatusFail, isms.Finding{Resource: "InformationAsset/a", Message: "overdue"})
)

// evaluatedAt is when the tests' evaluations happen.
var evaluatedAt = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// assessed is an assessment of the workloads with the evaluation, and no Risk in the register.
func assessed(workloads []controls.Workload, eval controls.Evaluation) assessment {
	return assessment{evidence: &controls.Evidence{Workloads: workloads}, eval: eval}
}

func TestFamilyCondition(t *testing.T) {
	cases := []struct {
		name    string
		family  string
		results []controls.Result
		status  metav1.ConditionStatus
		reason  string
		message string // words the message must hold
	}{
		{"required control passes", isms.ConditionEncryptedAtRest, []controls.Result{encPass},
			metav1.ConditionTrue, isms.ReasonControlsPassing, "ENC-01 passes"},
		{"required control fails, quoting the finding", isms.ConditionEncryptedAtRest, []controls.Result{encFail},
			metav1.ConditionFalse, isms.ReasonControlsFailing, "ENC-01 (Required) fails: PersistentVolumeClaim/data: not encrypted"},
		{"recommended failure keeps the family True", isms.ConditionEncryptedInTransit, []controls.Result{tlsPass, meshFail},
			metav1.ConditionTrue, isms.ReasonRecommendedControlsFailing, "ENC-03 (Recommended) fails"},
		{"not required controls are left out", isms.ConditionEncryptedInTransit, []controls.Result{tlsPass, meshOff},
			metav1.ConditionTrue, isms.ReasonControlsPassing, "ENC-02 passes"},
		{"nothing applies", isms.ConditionEncryptedInTransit, []controls.Result{meshOff},
			metav1.ConditionTrue, isms.ReasonNotRequired, "No control"},
		{"not evaluated yet is Unknown", isms.ConditionBackedUp, []controls.Result{backupNot},
			metav1.ConditionUnknown, isms.ReasonNotEvaluated, "BAK-01 not evaluated yet"},
		{"an advisory finding does not fail a Required control", isms.ConditionAccessControlled, []controls.Result{netAdvised},
			metav1.ConditionTrue, isms.ReasonControlsPassing, "ACC-02 passes"},
		{"other families' results are ignored", isms.ConditionEncryptedAtRest, []controls.Result{encPass, reviewFail},
			metav1.ConditionTrue, isms.ReasonControlsPassing, "ENC-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := familyCondition(tc.family, tc.results)
			if got.Type != tc.family || got.Status != tc.status || got.Reason != tc.reason || !strings.Contains(got.Message, tc.message) {
				t.Errorf("got %s=%s (%s) %q, want %s (%s) with %q", got.Type, got.Status, got.Reason, got.Message, tc.status, tc.reason, tc.message)
			}
		})
	}
}

func TestAssetStatus(t *testing.T) {
	evaluated := metav1.NewTime(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	asset := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 4}}
	asset.Status.LastEvaluated = &evaluated
	workloads := []controls.Workload{{Kind: "Deployment", Name: "api"}, {Kind: "StatefulSet", Name: "db"}}
	eval := controls.Evaluation{Results: []controls.Result{encFail, tlsPass, meshFail, backupNot, netAdvised, reviewFail}}

	got := assetStatus(asset, assessed(workloads, eval), evaluatedAt)

	if diff := cmp.Diff(&isms.ComplianceSummary{Required: 4, Passing: 2, Failing: 2}, got.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if got.Compliance != "2/4" {
		t.Errorf("compliance = %q, want 2/4", got.Compliance)
	}
	if diff := cmp.Diff(&isms.WorkloadSummary{Count: 2, Names: []string{"Deployment/api", "StatefulSet/db"}}, got.Workloads); diff != "" {
		t.Errorf("workloads (-want +got):\n%s", diff)
	}
	wantControls := []isms.ControlOutcome{
		{Control: isms.ControlEncryptedVolumes, Level: isms.LevelRequired, Status: isms.OutcomeFail},
		{Control: isms.ControlIngressTLS, Level: isms.LevelRequired, Status: isms.OutcomePass},
		{Control: isms.ControlMeshMTLS, Level: isms.LevelRecommended, Status: isms.OutcomeFail},
		{Control: isms.ControlBackupRecent, Level: isms.LevelRequired, Status: isms.OutcomeNotEvaluated},
		{Control: isms.ControlNetworkIsolation, Level: isms.LevelRequired, Status: isms.OutcomePass}, // an advisory does not fail it
		{Control: isms.ControlReviewed, Level: isms.LevelRequired, Status: isms.OutcomeFail},
	}
	if diff := cmp.Diff(wantControls, got.Controls); diff != "" {
		t.Errorf("controls (-want +got):\n%s", diff)
	}
	if len(got.Findings) != 4 {
		t.Errorf("findings = %+v, want the 4 failing and advisory findings", got.Findings)
	}
	if !got.LastEvaluated.Equal(&metav1.Time{Time: evaluatedAt}) || got.ObservedGeneration != 4 {
		t.Errorf("lastEvaluated %v, observedGeneration %d: want the new result stamped %s, and 4", got.LastEvaluated, got.ObservedGeneration, evaluatedAt)
	}
	compliant := meta.FindStatusCondition(got.Conditions, isms.ConditionCompliant)
	if compliant.Status != metav1.ConditionFalse || compliant.Message != "2 required controls are failing: ENC-01, GOV-01." || compliant.ObservedGeneration != 4 {
		t.Errorf("Compliant = %+v", compliant)
	}
	ready := meta.FindStatusCondition(got.Conditions, isms.ConditionReady)
	if ready.Status != metav1.ConditionTrue || !strings.Contains(ready.Message, "BAK-01") {
		t.Errorf("Ready = %+v, want True saying BAK-01 is not evaluated yet", ready)
	}
	// The failing Required controls have no Risk in the register yet.
	reconciling := meta.FindStatusCondition(got.Conditions, isms.ConditionReconciling)
	if reconciling == nil || reconciling.Status != metav1.ConditionTrue || !strings.Contains(reconciling.Message, "a-enc-01, a-gov-01") {
		t.Errorf("Reconciling = %+v, want True naming the Risks being raised", reconciling)
	}
	if n := len(got.Conditions); n != len(controls.Families)+3 {
		t.Errorf("%d conditions, want one per family plus Compliant, Ready and Reconciling", n)
	}
}

func TestAssetStatusIsStableWhenNothingChanged(t *testing.T) {
	asset := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 1}}
	eval := controls.Evaluation{Results: []controls.Result{encFail, tlsPass}}
	first := assetStatus(asset, assessed(nil, eval), evaluatedAt)
	asset.Status = first
	// Condition times are kept when nothing changed, so the second pass equals the first.
	if diff := cmp.Diff(first, assetStatus(asset, assessed(nil, eval), evaluatedAt)); diff != "" {
		t.Errorf("a second evaluation of the same results changed the status (-first +second):\n%s", diff)
	}
}

func TestAssetStatusBoundsFindingsAndWorkloads(t *testing.T) {
	var findings []isms.Finding
	var workloads []controls.Workload
	for i := range 100 {
		findings = append(findings, isms.Finding{Resource: "Deployment/d", Message: strings.Repeat("x", i)})
		workloads = append(workloads, controls.Workload{Kind: "Deployment", Name: strings.Repeat("d", i+1)})
	}
	eval := controls.Evaluation{Results: []controls.Result{result(isms.ControlPodSecurity, isms.ConditionAccessControlled, isms.LevelRequired, controls.StatusFail, findings...)}}
	got := assetStatus(&isms.InformationAsset{}, assessed(workloads, eval), evaluatedAt)
	if len(got.Findings) != maxFindingsPerControl+1 || len(got.Workloads.Names) != maxWorkloadNames || got.Workloads.Count != 100 {
		t.Errorf("%d findings, %d workload names, count %d: want %d, %d, 100", len(got.Findings), len(got.Workloads.Names), got.Workloads.Count, maxFindingsPerControl+1, maxWorkloadNames)
	}
	if last := got.Findings[len(got.Findings)-1]; last.Message != "and 92 more findings of ACC-01" || last.Level != isms.LevelRequired {
		t.Errorf("the last finding is %+v, want one that counts the other 92 at level Required", last)
	}
}

func TestUntilRecheck(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		at   time.Time
		want time.Duration
	}{
		"no time-based result": {time.Time{}, 0},
		"due in an hour":       {now.Add(time.Hour), time.Hour + time.Second},
		"already due":          {now.Add(-time.Hour), time.Second},
	}
	for name, tc := range cases {
		if got := untilRecheck(tc.at, now); got != tc.want {
			t.Errorf("%s: untilRecheck = %s, want %s", name, got, tc.want)
		}
	}
}

func TestAssetWithoutWorkloadsIsNotCompliantOnNothing(t *testing.T) {
	noEvidence := controls.Result{Control: isms.ControlEncryptedVolumes, Family: isms.ConditionEncryptedAtRest, Level: isms.LevelRequired,
		Status: controls.StatusNotEvaluated, Reason: controls.NoWorkloads}
	got := assetStatus(&isms.InformationAsset{}, assessed(nil, controls.Evaluation{Results: []controls.Result{noEvidence}}), evaluatedAt)
	compliant := meta.FindStatusCondition(got.Conditions, isms.ConditionCompliant)
	if compliant.Status != metav1.ConditionUnknown || !strings.Contains(compliant.Message, "no workload") {
		t.Errorf("Compliant = %+v, want Unknown saying no workload matches", compliant)
	}
	if family := meta.FindStatusCondition(got.Conditions, isms.ConditionEncryptedAtRest); family.Status != metav1.ConditionUnknown {
		t.Errorf("EncryptedAtRest = %+v, want Unknown", family)
	}
	if got.Summary.Required != 0 || got.Compliance != "not evaluated" {
		t.Errorf("summary %+v, compliance %s: controls with no evidence are neither passing nor failing, and the column says so", got.Summary, got.Compliance)
	}
}
