package register

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// The fixtures describe one asset, "patient-records" in namespace "epr": High criticality
// holding confidential patient information, so its consequence is 5. Its ENC-01 risk has
// likelihood 2, score 10, rating High (review every 90 days).

// t0 is when the first drift is seen and the Risk created; later steps are offsets from it.
var t0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

const (
	testNamespace = "epr"
	testAssetName = "patient-records"
	enc01Risk     = "patient-records-enc-01"
)

var (
	npsa = riskmatrix.NPSA

	jane = isms.Person{Name: "Jane Smith", Email: "jane.smith@nhs.net"}

	// ignoreTransitionTime drops the wall-clock time SetStatusCondition writes.
	ignoreTransitionTime = cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")
)

func at(d time.Duration) time.Time { return t0.Add(d) }

func mt(t time.Time) *metav1.Time { return &metav1.Time{Time: t} }

func testAsset() *isms.InformationAsset {
	return &isms.InformationAsset{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: testAssetName},
		Spec: isms.InformationAssetSpec{
			Owner:          jane,
			Classification: isms.ClassificationOfficialSensitive,
			DataCategories: []isms.DataCategory{isms.DataPatientIdentifiable},
			Criticality:    isms.CriticalityHigh,
			Selector:       metav1.LabelSelector{MatchLabels: map[string]string{"app": "epr"}},
		},
	}
}

func finding(control isms.ControlID, resource, message string) isms.Finding {
	return isms.Finding{Control: control, Level: isms.LevelRequired, Resource: resource, Message: message}
}

// conditionOf returns the status and reason of a condition ("" when absent).
func conditionOf(st isms.RiskStatus, conditionType string) condition {
	c := meta.FindStatusCondition(st.Conditions, conditionType)
	if c == nil {
		return condition{}
	}
	return condition{Status: c.Status, Reason: c.Reason}
}

type condition struct {
	Status metav1.ConditionStatus
	Reason string
}

var (
	failingTrue      = condition{metav1.ConditionTrue, isms.ReasonDriftDetected}
	failingCorrected = condition{metav1.ConditionFalse, isms.ReasonDriftCorrected}
	failingRemoved   = condition{metav1.ConditionFalse, isms.ReasonAssetRemoved}
)

// tolerate is a Tolerate decision whose acceptance expires at expires.
func tolerate(expires time.Time) *isms.Treatment {
	return &isms.Treatment{Decision: isms.DecisionTolerate, Plan: "Replacement system due in Q3",
		Acceptance: &isms.Acceptance{Justification: "Legacy volume, migration planned", Expires: metav1.Time{Time: expires}}}
}

// timeOf is the time of t, or the zero time when t is nil.
func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func fatalIf(t *testing.T, err bool, format string, args ...any) {
	t.Helper()
	if err {
		t.Fatalf(format, args...)
	}
}
