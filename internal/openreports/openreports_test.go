package openreports

import (
	"fmt"
	"testing"
	"time"

	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

var since = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func staffRecords() *isms.InformationAsset {
	return &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "staff-records"},
		Spec: isms.InformationAssetSpec{Owner: isms.Person{Name: "Sam Patel"}, Classification: isms.ClassificationOfficialSensitive,
			Criticality: isms.CriticalityMedium}}
}

func detected(asset string, control isms.ControlID, state isms.RiskState, rating isms.Rating) isms.Risk {
	return isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: register.Name(asset, control)},
		Spec:   isms.RiskSpec{Source: isms.SourceDetected, Control: control},
		Status: isms.RiskStatus{State: state, Rating: rating}}
}

func TestResultOfEachOutcome(t *testing.T) {
	privileged := isms.Finding{Control: isms.ControlPodSecurity, Level: isms.LevelRequired, Resource: "Deployment/hr-app",
		Message: `violates PodSecurity "restricted:latest": privileged`}
	unencrypted := isms.Finding{Control: isms.ControlEncryptedVolumes, Level: isms.LevelRequired, Resource: "StorageClass/local-path",
		Message: "StorageClass local-path does not declare encryption at rest"}
	accepted := detected("staff-records", isms.ControlPodSecurity, isms.StateAccepted, isms.RatingModerate)
	accepted.Annotations = map[string]string{register.AnnotationAcceptedBy: "risk.owner@nhs.net"}
	accepted.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTolerate,
		Acceptance: &isms.Acceptance{Expires: metav1.NewTime(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))}}

	for name, tc := range map[string]struct {
		outcome  Outcome
		risks    []isms.Risk
		result   orv1alpha1.Result
		severity orv1alpha1.ResultSeverity
		message  string
		props    map[string]string
		subjects int
	}{
		"pass": {outcome: Outcome{Control: isms.ControlPodSecurity, Level: isms.LevelRequired, Status: isms.OutcomePass},
			result: "pass", severity: "high", message: "Every pod template meets the Pod Security Standard asked", subjects: 1},
		"required failure rated by its Risk": {
			outcome: Outcome{Control: isms.ControlPodSecurity, Level: isms.LevelRequired, Status: isms.OutcomeFail, Findings: []isms.Finding{privileged}},
			risks:   []isms.Risk{detected("staff-records", isms.ControlPodSecurity, isms.StateOpen, isms.RatingExtreme)},
			result:  "fail", severity: "critical", message: privileged.Message, subjects: 2,
			props: map[string]string{"risk": "staff-records-acc-01", "riskState": "Open", "iso27001-2022": "A.8.2, A.8.9", "caf-3.2": "B4.b"}},
		"required failure without a Risk yet, rated as its Risk would be": {
			outcome: Outcome{Control: isms.ControlPodSecurity, Level: isms.LevelRequired, Status: isms.OutcomeFail, Findings: []isms.Finding{privileged, privileged}},
			result:  "fail", severity: "high", message: privileged.Message + " (and 1 more findings)", subjects: 2},
		"cluster-scoped evidence": {
			outcome: Outcome{Control: isms.ControlEncryptedVolumes, Level: isms.LevelRequired, Status: isms.OutcomeFail, Findings: []isms.Finding{unencrypted}},
			result:  "fail", severity: "medium", message: unencrypted.Message, subjects: 2},
		"recommended failure": {
			outcome: Outcome{Control: isms.ControlPodSecurity, Level: isms.LevelRecommended, Status: isms.OutcomeFail, Findings: []isms.Finding{privileged}},
			result:  "warn", severity: "high", message: privileged.Message, subjects: 2},
		"not evaluated": {
			outcome: Outcome{Control: isms.ControlBackupRecent, Level: isms.LevelRequired, Status: isms.OutcomeNotEvaluated, Reason: "no Velero Backup"},
			result:  "skip", severity: "high", message: "no Velero Backup", subjects: 1},
		"not required": {
			outcome: Outcome{Control: isms.ControlBackupRecent, Level: isms.LevelNotRequired, Status: isms.OutcomeNotEvaluated},
			result:  "skip", severity: "high", message: "not required for this asset", subjects: 1},
		"accepted risk": {
			outcome: Outcome{Control: isms.ControlPodSecurity, Level: isms.LevelRequired, Status: isms.OutcomeFail, Findings: []isms.Finding{privileged}},
			risks:   []isms.Risk{accepted}, result: "skip", severity: "medium",
			message: "accepted risk staff-records-acc-01: " + privileged.Message, subjects: 2,
			props: map[string]string{"riskState": "Accepted", "acceptedBy": "risk.owner@nhs.net", "acceptanceExpires": "2027-03-01T00:00:00Z"}},
	} {
		t.Run(name, func(t *testing.T) {
			tc.outcome.Since = since
			report := Build("hr", []Asset{{Asset: staffRecords(), Outcomes: []Outcome{tc.outcome}, Risks: tc.risks}}, riskmatrix.NPSA)
			if len(report.Results) != 1 {
				t.Fatalf("%d results, want 1", len(report.Results))
			}
			r := report.Results[0]
			if r.Result != tc.result || r.Severity != tc.severity || r.Description != tc.message || len(r.Subjects) != tc.subjects {
				t.Errorf("got %s/%s %q with %d resources, want %s/%s %q with %d", r.Result, r.Severity, r.Description, len(r.Subjects),
					tc.result, tc.severity, tc.message, tc.subjects)
			}
			if r.Policy != string(tc.outcome.Control) || r.Source != Source || r.Subjects[0].Kind != "InformationAsset" ||
				r.Properties["asset"] != "staff-records" || r.Timestamp.Seconds != since.Unix() {
				t.Errorf("result %+v does not name its control, source, asset and time", r)
			}
			for key, want := range tc.props {
				if r.Properties[key] != want {
					t.Errorf("property %s = %q, want %q", key, r.Properties[key], want)
				}
			}
			if len(r.Subjects) > 1 && r.Subjects[1].Kind == "StorageClass" && r.Subjects[1].Namespace != "" {
				t.Errorf("a StorageClass is given namespace %q", r.Subjects[1].Namespace)
			}
			summary := report.Summary
			if summary.Pass+summary.Fail+summary.Warn+summary.Skip+summary.Error != 1 {
				t.Errorf("summary %+v does not count the result", summary)
			}
		})
	}
}

func TestReportIsBoundedAndStable(t *testing.T) {
	var assets []Asset
	for i := range 60 {
		asset := staffRecords()
		asset.Name = fmt.Sprintf("asset-%02d", i)
		var outcomes []Outcome
		for _, c := range []isms.ControlID{isms.ControlPodSecurity, isms.ControlEncryptedVolumes, isms.ControlNetworkIsolation,
			isms.ControlServiceAccount, isms.ControlBackupRecent, isms.ControlRestoreTested, isms.ControlReviewed, isms.ControlIngressTLS, isms.ControlMeshMTLS} {
			status := isms.OutcomePass
			if i%10 == 0 {
				status = isms.OutcomeFail
			}
			outcomes = append(outcomes, Outcome{Control: c, Level: isms.LevelRequired, Status: status})
		}
		assets = append(assets, Asset{Asset: asset, Outcomes: outcomes})
	}
	report := Build("hr", assets, riskmatrix.NPSA)
	if len(report.Results) != MaxResults || report.Annotations[AnnotationOmitted] != "40" {
		t.Fatalf("%d results, %q omitted; want %d and 40", len(report.Results), report.Annotations[AnnotationOmitted], MaxResults)
	}
	if report.Summary.Fail != 54 || report.Summary.Pass != 486 {
		t.Errorf("summary %+v; want every result counted, 54 fail and 486 pass", report.Summary)
	}
	fails := 0
	for _, r := range report.Results {
		if r.Result == "fail" {
			fails++
		}
	}
	if fails != 54 {
		t.Errorf("the truncated report keeps %d of 54 failures; want them all", fails)
	}
	// Reversed input, same report: nothing changes when nothing changed.
	reversed := make([]Asset, len(assets))
	for i, a := range assets {
		reversed[len(assets)-1-i] = a
	}
	again := Build("hr", reversed, riskmatrix.NPSA)
	for i := range report.Results {
		if report.Results[i].Policy != again.Results[i].Policy || report.Results[i].Properties["asset"] != again.Results[i].Properties["asset"] {
			t.Fatalf("result %d differs with the assets in another order", i)
		}
	}
}
