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
// likelihood 2, score 10, rating High (review every 90 days), within the default appetite
// of 12.

// t0 is when the first drift is seen and the Risk created; later steps are offsets from it.
var t0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

const (
	testNamespace = "epr"
	testAssetName = "patient-records"
	enc01Risk     = "patient-records-enc-01"
	enc02Risk     = "patient-records-enc-02"
	acc01Risk     = "patient-records-acc-01"

	day30 = 30 * day

	// janeUser is the username admission records as the acceptor; acceptedAtText is when.
	janeUser       = "jane.smith@nhs.net"
	acceptedAtText = "2026-03-01T14:30:00Z"
)

var (
	// rules are the default trust settings: the NPSA bands and an appetite of 12.
	rules = Rules{Matrix: riskmatrix.NPSA, Appetite: DefaultAppetite}

	jane = isms.Person{Name: "Jane Smith", Email: "jane.smith@nhs.net"}

	// janeAccepted is the acceptedBy the annotations of acceptor record.
	janeAccepted = &isms.AcceptedBy{Username: janeUser, At: metav1.Time{Time: time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)}}

	// ignoreTransitionTime drops the wall-clock time SetStatusCondition writes.
	ignoreTransitionTime = cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")

	// Two findings of ENC-01 on different volumes.
	volume0 = finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/data-epr-0", "StorageClass standard does not encrypt volumes")
	volume1 = finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/data-epr-1", "StorageClass standard does not encrypt volumes")
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

// Detections, as the risk controller builds them from the asset's status.

// failing: the control fails at level Required with the findings.
func failing(evidence ...isms.Finding) *Detection {
	return &Detection{Level: isms.LevelRequired, Outcome: isms.OutcomeFail, Evidence: evidence}
}

// passing: the control passes at level Required.
func passing() *Detection { return &Detection{Level: isms.LevelRequired, Outcome: isms.OutcomePass} }

// removed: the asset no longer exists.
func removed() *Detection { return &Detection{AssetRemoved: true} }

// atLevel: the control is at level with the outcome (and no Required findings).
func atLevel(level isms.ControlLevel, outcome isms.ControlOutcomeStatus) *Detection {
	return &Detection{Level: level, Outcome: outcome}
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
	failingTrue          = condition{metav1.ConditionTrue, isms.ReasonDriftDetected}
	failingCorrected     = condition{metav1.ConditionFalse, isms.ReasonDriftCorrected}
	failingRemoved       = condition{metav1.ConditionFalse, isms.ReasonAssetRemoved}
	failingNotRequired   = condition{metav1.ConditionFalse, isms.ReasonControlNoLongerRequired}
	notApplicable        = condition{metav1.ConditionFalse, isms.ReasonNotApplicable}
	notTolerated         = notApplicable
	acceptedOK           = condition{metav1.ConditionFalse, isms.ReasonRiskAccepted}
	expired              = condition{metav1.ConditionTrue, isms.ReasonAcceptanceExpired}
	refusedAbove         = condition{metav1.ConditionTrue, isms.ReasonAboveAppetite}
	refusedNoAcceptor    = condition{metav1.ConditionTrue, isms.ReasonAcceptorNotRecorded}
	readyEvaluated       = condition{metav1.ConditionTrue, isms.ReasonEvaluated}
	readyNotRecord       = condition{metav1.ConditionFalse, isms.ReasonNotRegisterRecord}
	stalledNotRecord     = condition{metav1.ConditionTrue, isms.ReasonNotRegisterRecord}
	reviewCurrent        = condition{metav1.ConditionFalse, isms.ReasonReviewCurrent}
	reviewDue            = condition{metav1.ConditionTrue, isms.ReasonReviewDue}
	actionsOnTrack       = condition{metav1.ConditionFalse, isms.ReasonActionsOnTrack}
	actionsPastDue       = condition{metav1.ConditionTrue, isms.ReasonActionsPastDue}
	noCondition          = condition{}
	failingNotApplicable = noCondition // a Declared risk or a risk that is not a record has no ControlFailing
)

// tolerate is a Tolerate decision whose acceptance expires at expires.
func tolerate(expires time.Time) *isms.Treatment {
	return &isms.Treatment{Decision: isms.DecisionTolerate, Plan: "Replacement system due in Q3",
		Acceptance: &isms.Acceptance{Justification: "Legacy volume, migration planned", Expires: metav1.Time{Time: expires}}}
}

// withAcceptor records jane as the acceptor, as admission does when she tolerates r.
func withAcceptor(r *isms.Risk) {
	if r.Annotations == nil {
		r.Annotations = map[string]string{}
	}
	r.Annotations[AnnotationAcceptedBy] = janeUser
	r.Annotations[AnnotationAcceptedAt] = acceptedAtText
}

// tolerated is jane's Tolerate decision until expires, with the acceptor admission records.
func tolerated(expires time.Time) func(*isms.Risk) {
	return func(r *isms.Risk) {
		r.Spec.Treatment = tolerate(expires)
		withAcceptor(r)
	}
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

// entry is what the tests assert of a history entry.
type entry struct {
	At     time.Time
	State  isms.RiskState
	Reason string
}

func entriesOf(history []isms.HistoryEntry) []entry {
	var out []entry
	for _, h := range history {
		out = append(out, entry{At: h.At.Time, State: h.State, Reason: h.Reason})
	}
	return out
}

// newEntries are the entries of after that before did not have (after extends before).
func newEntries(before, after []isms.HistoryEntry) []entry {
	return entriesOf(after[min(len(before), len(after)):])
}

// Risks and the edits people and the risk controller make to them.

// declared is a Risk a person wrote at t0: likelihood 3 x consequence 4, score 12 (exactly
// the default appetite), High (review every 90 days). change, if not nil, adjusts it
// before it is first recorded.
func declared(change func(*isms.Risk)) *isms.Risk {
	r := &isms.Risk{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "epr-supplier-exit", Generation: 1,
			CreationTimestamp: metav1.Time{Time: t0}},
		Spec: isms.RiskSpec{Title: "EPR supplier leaves the market", Source: isms.SourceDeclared, Owner: jane,
			Likelihood: 3, Consequence: 4},
	}
	if change != nil {
		change(r)
	}
	return r
}

// declaredRisk is a Risk a person wrote about the asset's encryption, naming the asset and
// the control, recorded a day before t0.
func declaredRisk() *isms.Risk {
	r := &isms.Risk{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "patient-records-key-escrow", Generation: 1,
			CreationTimestamp: metav1.Time{Time: t0.Add(-day)}},
		Spec: isms.RiskSpec{Title: "Encryption keys held by one administrator", Source: isms.SourceDeclared,
			AssetRef: &isms.LocalObjectReference{Name: testAssetName}, Control: isms.ControlEncryptedVolumes,
			Owner: jane, Likelihood: 2, Consequence: 4},
	}
	return recorded(r, t0.Add(-day))
}

// newRecord is the ENC-01 Risk as the asset controller creates it at t0 (NewRisk, then the
// API server's creationTimestamp and generation), with no status yet.
func newRecord() *isms.Risk {
	r := NewRisk(testAsset(), isms.ControlEncryptedVolumes, false)
	r.CreationTimestamp, r.Generation = metav1.Time{Time: t0}, 1
	return r
}

// recorded gives r the status the risk controller computes for it at when with no news of
// any drift, as it would write it.
func recorded(r *isms.Risk, when time.Time) *isms.Risk { return observed(r, nil, when) }

// observed gives r the status the risk controller computes for it at when from d.
func observed(r *isms.Risk, d *Detection, when time.Time) *isms.Risk {
	r.Status = Status(r, d, when, rules)
	return r
}

// edited is a person's change of r's spec; the API server bumps the generation.
func edited(r *isms.Risk, change func(*isms.RiskSpec)) *isms.Risk {
	change(&r.Spec)
	r.Generation++
	return r
}

// editedRisk is a person's change of r (spec and annotations, as admission leaves them).
func editedRisk(r *isms.Risk, change func(*isms.Risk)) *isms.Risk {
	change(r)
	r.Generation++
	return r
}

func closure(s *isms.RiskSpec) { s.Closure = &isms.Closure{Reason: "Contract extended to 2030"} }
func unclose(s *isms.RiskSpec) { s.Closure = nil }
func treatInstead(s *isms.RiskSpec) {
	s.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Plan: "Escrow agreement"}
}

// mustState fails the test unless r is in state; it returns r.
func mustState(t *testing.T, r *isms.Risk, state isms.RiskState) *isms.Risk {
	t.Helper()
	fatalIf(t, r.Status.State != state, "setting up: %s is %q, want %q", r.Name, r.Status.State, state)
	return r
}

// The ENC-01 records the drift cases start from, each built as the controllers would.

// openRecord: ENC-01 failed at t0 (volume0); its Risk was created and recorded at t0.
func openRecord(t *testing.T) *isms.Risk {
	return mustState(t, observed(newRecord(), failing(volume0), t0), isms.StateOpen)
}

// resolvedRecord: then ENC-01 passed at t0+2h.
func resolvedRecord(t *testing.T) *isms.Risk {
	return mustState(t, observed(openRecord(t), passing(), at(2*time.Hour)), isms.StateResolved)
}

// acceptedRecord: jane tolerated it until t0+30d; at t0+1h it was still failing.
func acceptedRecord(t *testing.T) *isms.Risk {
	r := editedRisk(openRecord(t), tolerated(at(day30)))
	return mustState(t, observed(r, failing(volume0), at(time.Hour)), isms.StateAccepted)
}

// acceptedResolvedRecord: the tolerated drift was corrected at t0+2h.
func acceptedResolvedRecord(t *testing.T) *isms.Risk {
	return mustState(t, observed(acceptedRecord(t), passing(), at(2*time.Hour)), isms.StateResolved)
}

// closedRecord: a person closed the open Risk; at t0+1h ENC-01 still failed.
func closedRecord(t *testing.T) *isms.Risk {
	r := edited(openRecord(t), func(s *isms.RiskSpec) { s.Closure = &isms.Closure{Reason: "Volume scheduled for deletion"} })
	return mustState(t, observed(r, failing(volume0), at(time.Hour)), isms.StateClosed)
}

// closedCorrectedRecord: the closed Risk's drift was corrected at t0+2h.
func closedCorrectedRecord(t *testing.T) *isms.Risk {
	return mustState(t, observed(closedRecord(t), passing(), at(2*time.Hour)), isms.StateClosed)
}

// notRequiredRecord: at t0+2h ENC-01 was only Recommended for the asset, still failing.
func notRequiredRecord(t *testing.T) *isms.Risk {
	r := observed(openRecord(t), atLevel(isms.LevelRecommended, isms.OutcomeFail), at(2*time.Hour))
	return mustState(t, r, isms.StateResolved)
}
