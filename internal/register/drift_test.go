package register

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// driftOutcome is what the drift cases assert of a status.
type driftOutcome struct {
	State       isms.RiskState
	Score       int32
	Rating      isms.Rating
	Occurrences int32

	FirstDetected, LastDetected, ResolvedAt, ClosedAt time.Time

	Evidence []isms.Finding
	// NewHistory are the entries the status adds to the Risk's history.
	NewHistory []entry

	ControlFailing    condition
	AcceptanceExpired condition
}

func driftOutcomeOf(before []isms.HistoryEntry, st isms.RiskStatus) driftOutcome {
	return driftOutcome{
		State: st.State, Score: st.Score, Rating: st.Rating, Occurrences: st.Occurrences,
		FirstDetected: timeOf(st.FirstDetected), LastDetected: timeOf(st.LastDetected), ResolvedAt: timeOf(st.ResolvedAt),
		ClosedAt: timeOf(st.ClosedAt), Evidence: st.Evidence, NewHistory: newEntries(before, st.History),
		ControlFailing:    conditionOf(st, isms.ConditionControlFailing),
		AcceptanceExpired: conditionOf(st, isms.ConditionAcceptanceExpired),
	}
}

type driftCase struct {
	name   string
	reason string
	// risk builds the Risk, with the status the risk controller last wrote.
	risk func(t *testing.T) *isms.Risk
	// detection is what the risk controller observed of the asset (nil: no news).
	detection *Detection
	now       time.Time
	want      driftOutcome
}

// runDriftCases runs each case, compares its outcome, and checks what holds of every
// status: the Risk is not modified, the history is only appended to, a record is Ready and
// not Stalled, a Declared risk has no drift fields, every new history entry has a message,
// and the same detection a minute later changes nothing (no write when nothing changed).
func runDriftCases(t *testing.T, cases []driftCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk(t)
			before := risk.DeepCopy()
			st := Status(risk, tc.detection, tc.now, rules)
			if diff := cmp.Diff(before, risk); diff != "" {
				t.Errorf("Status modified the Risk (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, driftOutcomeOf(before.Status.History, st), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Status() (-want +got):\n%s", diff)
			}
			old := before.Status.History
			fatalIf(t, len(st.History) < len(old), "Status dropped history: %d entries, had %d", len(st.History), len(old))
			if diff := cmp.Diff(old, st.History[:len(old)], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Status rewrote the history (-before +after):\n%s", diff)
			}
			for _, h := range st.History[len(old):] {
				if h.Message == "" {
					t.Errorf("history entry %s/%s has no message", h.State, h.Reason)
				}
			}
			if got := recordedState(st.History); got != st.State {
				t.Errorf("state %s, but the history last recorded %s", st.State, got)
			}
			if st.ObservedGeneration != risk.Generation {
				t.Errorf("observedGeneration = %d, want %d", st.ObservedGeneration, risk.Generation)
			}
			if IsRecord(risk) {
				if got := conditionOf(st, isms.ConditionReady); got != readyEvaluated {
					t.Errorf("a record's Ready = %+v, want %+v", got, readyEvaluated)
				}
				if got := conditionOf(st, isms.ConditionStalled); got != noCondition {
					t.Errorf("a record is Stalled: %+v", got)
				}
			}
			if risk.Spec.Source == isms.SourceDeclared && (st.FirstDetected != nil || st.LastDetected != nil || st.ResolvedAt != nil ||
				st.Occurrences != 0 || len(st.Evidence) != 0 || conditionOf(st, isms.ConditionControlFailing) != noCondition) {
				t.Errorf("a Declared risk got drift fields: %+v", st)
			}

			next := risk.DeepCopy()
			next.Status = st
			if again := Status(next, tc.detection, tc.now.Add(time.Minute), rules); !equality.Semantic.DeepEqual(st, again) {
				t.Errorf("the same detection a minute later changes the status (-first +second):\n%s", cmp.Diff(st, again))
			}
		})
	}
}

// TestStatusDrift: how a register record follows the drift the risk controller detects
// (risk.md "Lifecycle" and "Reasons are true"), ported from the asset-level decisions the
// register used to make.
func TestStatusDrift(t *testing.T) {
	open := driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
		FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
		ControlFailing: failingTrue, AcceptanceExpired: notTolerated}
	// resolvedAt2h is the open record resolved at t0+2h for reason, the condition saying why.
	resolvedAt2h := func(reason string, failingCondition condition) driftOutcome {
		return driftOutcome{State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
			FirstDetected: t0, LastDetected: t0, ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume0},
			NewHistory:     []entry{{at(2 * time.Hour), isms.StateResolved, reason}},
			ControlFailing: failingCondition, AcceptanceExpired: notApplicable}
	}
	accepted := driftOutcome{State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
		FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
		ControlFailing: failingTrue, AcceptanceExpired: acceptedOK}
	closed := driftOutcome{State: isms.StateClosed, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
		FirstDetected: t0, LastDetected: t0, ClosedAt: at(time.Hour), Evidence: []isms.Finding{volume0},
		ControlFailing: failingTrue, AcceptanceExpired: notApplicable}
	declaredOpen := driftOutcome{State: isms.StateOpen, Score: 8, Rating: isms.RatingHigh,
		ControlFailing: failingNotApplicable, AcceptanceExpired: notTolerated}
	with := func(o driftOutcome, change func(*driftOutcome)) driftOutcome {
		change(&o)
		return o
	}
	declaredRegister := func(*testing.T) *isms.Risk { return declaredRisk() }

	cases := []driftCase{
		// An Open record.
		{
			name: "Open, still failing with the same evidence: nothing changes",
			risk: openRecord, detection: failing(volume0), now: at(time.Hour), want: open,
		},
		{
			name: "Open, no news: nothing changes",
			risk: openRecord, now: at(time.Hour), want: open,
		},
		{
			name:   "Open, failing with different findings: the evidence is updated",
			reason: "new evidence is no transition: no history entry, lastDetected and occurrences unchanged",
			risk:   openRecord, detection: failing(volume0, volume1), now: at(time.Hour),
			want: with(open, func(o *driftOutcome) { o.Evidence = []isms.Finding{volume0, volume1} }),
		},
		{
			name: "Open, the control passes: Resolved, DriftCorrected",
			risk: openRecord, detection: passing(), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonDriftCorrected, failingCorrected),
		},
		{
			name: "Open, the asset is gone: Resolved, AssetRemoved",
			risk: openRecord, detection: removed(), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonAssetRemoved, failingRemoved),
		},
		{
			name:   "Open, the asset is gone while its last outcome was a failure: AssetRemoved wins",
			reason: "the risk controller decides asset removal level-based, whatever the asset said before",
			risk:   openRecord, now: at(2 * time.Hour),
			detection: &Detection{AssetRemoved: true, Level: isms.LevelRequired, Outcome: isms.OutcomeFail, Evidence: []isms.Finding{volume1}},
			want:      resolvedAt2h(isms.ReasonAssetRemoved, failingRemoved),
		},
		{
			name:   "Open, the control is only Recommended and still fails: Resolved, ControlNoLongerRequired",
			reason: "a drift that is no longer Required is resolved, with its own reason, not DriftCorrected",
			risk:   openRecord, detection: atLevel(isms.LevelRecommended, isms.OutcomeFail), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonControlNoLongerRequired, failingNotRequired),
		},
		{
			name: "Open, the control is Recommended and not evaluated: ControlNoLongerRequired",
			risk: openRecord, detection: atLevel(isms.LevelRecommended, isms.OutcomeNotEvaluated), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonControlNoLongerRequired, failingNotRequired),
		},
		{
			name: "Open, the control is NotRequired (not evaluated): ControlNoLongerRequired",
			risk: openRecord, detection: atLevel(isms.LevelNotRequired, isms.OutcomeNotEvaluated), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonControlNoLongerRequired, failingNotRequired),
		},
		{
			name:   "Open, the control is Recommended and passes: DriftCorrected",
			reason: "the drift is gone: that it is also no longer Required does not change why",
			risk:   openRecord, detection: atLevel(isms.LevelRecommended, isms.OutcomePass), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonDriftCorrected, failingCorrected),
		},
		{
			name:   "a person's edit of likelihood is kept; the score follows it",
			reason: "Status writes only the status: the generic check asserts the Risk, spec included, is untouched",
			risk: func(t *testing.T) *isms.Risk {
				return edited(openRecord(t), func(s *isms.RiskSpec) { s.Likelihood = 5 })
			},
			detection: failing(volume0), now: at(time.Hour),
			want: with(open, func(o *driftOutcome) { o.Score, o.Rating = 25, isms.RatingExtreme }),
		},
		{
			name: "a person's edit of likelihood and consequence is kept when the drift is corrected",
			risk: func(t *testing.T) *isms.Risk {
				return edited(openRecord(t), func(s *isms.RiskSpec) { s.Likelihood, s.Consequence = 1, 2 })
			},
			detection: passing(), now: at(2 * time.Hour),
			want: with(resolvedAt2h(isms.ReasonDriftCorrected, failingCorrected), func(o *driftOutcome) { o.Score, o.Rating = 2, isms.RatingLow }),
		},

		// A Resolved record (corrected at t0+2h).
		{
			name: "Resolved, still passing: nothing changes",
			risk: resolvedRecord, detection: passing(), now: at(3 * time.Hour),
			want: with(resolvedAt2h(isms.ReasonDriftCorrected, failingCorrected), func(o *driftOutcome) { o.NewHistory = nil }),
		},
		{
			name: "Resolved, the control fails again: Open, DriftRecurred, occurrence 2",
			risk: resolvedRecord, detection: failing(volume1), now: at(3 * time.Hour),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(3 * time.Hour), ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateOpen, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},
		{
			name:   "Resolved, the asset is gone: no transition, resolvedAt kept",
			reason: "a Resolved risk has no drift to end: the history must not say the removal ended it",
			risk:   resolvedRecord, detection: removed(), now: at(3 * time.Hour),
			want: with(resolvedAt2h(isms.ReasonDriftCorrected, failingRemoved), func(o *driftOutcome) { o.NewHistory = nil }),
		},

		// An Accepted record (tolerated until t0+30d, accepted at t0+1h).
		{
			name: "Accepted, still failing: nothing changes",
			risk: acceptedRecord, detection: failing(volume0), now: at(2 * time.Hour), want: accepted,
		},
		{
			name: "Accepted, failing with new evidence: the evidence is updated, the Risk stays Accepted",
			risk: acceptedRecord, detection: failing(volume1), now: at(2 * time.Hour),
			want: with(accepted, func(o *driftOutcome) { o.Evidence = []isms.Finding{volume1} }),
		},
		{
			name: "Accepted, the acceptance expired: Open, AcceptanceExpired",
			risk: acceptedRecord, detection: failing(volume0), now: at(day30 + day),
			want: with(accepted, func(o *driftOutcome) {
				o.State, o.AcceptanceExpired = isms.StateOpen, expired
				o.NewHistory = []entry{{at(day30 + day), isms.StateOpen, isms.ReasonAcceptanceExpired}}
			}),
		},
		{
			name: "Accepted: at the expiry instant the acceptance has lapsed",
			risk: acceptedRecord, detection: failing(volume0), now: at(day30),
			want: with(accepted, func(o *driftOutcome) {
				o.State, o.AcceptanceExpired = isms.StateOpen, expired
				o.NewHistory = []entry{{at(day30), isms.StateOpen, isms.ReasonAcceptanceExpired}}
			}),
		},
		{
			name: "Accepted, the control passes: Resolved, DriftCorrected",
			risk: acceptedRecord, detection: passing(), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonDriftCorrected, failingCorrected),
		},
		{
			name: "Accepted, the asset is gone: Resolved, AssetRemoved",
			risk: acceptedRecord, detection: removed(), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonAssetRemoved, failingRemoved),
		},
		{
			name: "Accepted, the control is no longer Required: Resolved, ControlNoLongerRequired",
			risk: acceptedRecord, detection: atLevel(isms.LevelNotRequired, isms.OutcomeNotEvaluated), now: at(2 * time.Hour),
			want: resolvedAt2h(isms.ReasonControlNoLongerRequired, failingNotRequired),
		},

		// A tolerated record whose drift was corrected at t0+2h.
		{
			name: "tolerated and Resolved, the drift recurs: Accepted again, DriftRecurred",
			risk: acceptedResolvedRecord, detection: failing(volume1), now: at(3 * time.Hour),
			want: driftOutcome{State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(3 * time.Hour), ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateAccepted, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: acceptedOK},
		},
		{
			name: "tolerated and Resolved, the drift recurs after the acceptance expired: Open, DriftRecurred",
			risk: acceptedResolvedRecord, detection: failing(volume1), now: at(day30 + day),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(day30 + day), ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(day30 + day), isms.StateOpen, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: expired},
		},

		// A Closed record (closed at t0+1h while failing).
		{
			name: "Closed, still failing with the same evidence: nothing changes",
			risk: closedRecord, detection: failing(volume0), now: at(2 * time.Hour), want: closed,
		},
		{
			name: "Closed, failing with new evidence: the evidence is updated, the Risk stays Closed",
			risk: closedRecord, detection: failing(volume1), now: at(2 * time.Hour),
			want: with(closed, func(o *driftOutcome) { o.Evidence = []isms.Finding{volume1} }),
		},
		{
			name: "Closed, the drift is corrected: the Risk stays Closed and records the correction",
			risk: closedRecord, detection: passing(), now: at(2 * time.Hour),
			want: with(closed, func(o *driftOutcome) { o.ResolvedAt, o.ControlFailing = at(2*time.Hour), failingCorrected }),
		},
		{
			name: "Closed, the asset is gone: the Risk stays Closed and records the removal",
			risk: closedRecord, detection: removed(), now: at(2 * time.Hour),
			want: with(closed, func(o *driftOutcome) { o.ResolvedAt, o.ControlFailing = at(2*time.Hour), failingRemoved }),
		},
		{
			name: "Closed, the control is no longer Required: the Risk stays Closed",
			risk: closedRecord, detection: atLevel(isms.LevelRecommended, isms.OutcomeFail), now: at(2 * time.Hour),
			want: with(closed, func(o *driftOutcome) { o.ResolvedAt, o.ControlFailing = at(2*time.Hour), failingNotRequired }),
		},
		{
			name:   "Closed, the drift corrected then seen again: the Risk opens again, DriftRecurred",
			reason: "risk.md: a Detected risk whose drift is seen again opens again; the closure stays in spec, closedAt is kept",
			risk:   closedCorrectedRecord, detection: failing(volume1), now: at(3 * time.Hour),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(3 * time.Hour), ResolvedAt: at(2 * time.Hour), ClosedAt: at(time.Hour),
				Evidence:       []isms.Finding{volume1},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateOpen, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},

		// A record resolved because its control stopped being Required (at t0+2h, failing).
		{
			name:   "no longer Required, Required again and still failing: Open, ControlRequiredAgain",
			reason: "risk.md: re-opening because a control became Required again is not a recurrence of drift: occurrences and lastDetected unchanged",
			risk:   notRequiredRecord, detection: failing(volume1), now: at(3 * time.Hour),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateOpen, isms.ReasonControlRequiredAgain}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},
		{
			name: "no longer Required, still Recommended and failing: nothing changes",
			risk: notRequiredRecord, detection: atLevel(isms.LevelRecommended, isms.OutcomeFail), now: at(3 * time.Hour),
			want: with(resolvedAt2h(isms.ReasonControlNoLongerRequired, failingNotRequired), func(o *driftOutcome) { o.NewHistory = nil }),
		},
		{
			name:   "no longer Required, it passed, then fails at Required: DriftRecurred, occurrence 2",
			reason: "a pass in between ends the drift: the next failure is a recurrence",
			risk: func(t *testing.T) *isms.Risk {
				r := observed(notRequiredRecord(t), atLevel(isms.LevelRecommended, isms.OutcomePass), at(3*time.Hour))
				fatalIf(t, conditionOf(r.Status, isms.ConditionControlFailing) != failingCorrected,
					"setting up: ControlFailing %+v after a pass, want %+v", conditionOf(r.Status, isms.ConditionControlFailing), failingCorrected)
				return mustState(t, r, isms.StateResolved)
			},
			detection: failing(volume1), now: at(4 * time.Hour),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(4 * time.Hour), ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(4 * time.Hour), isms.StateOpen, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},
		{
			name: "no longer Required and tolerated, Required again: Accepted, ControlRequiredAgain",
			risk: func(t *testing.T) *isms.Risk {
				return mustState(t, recorded(editedRisk(notRequiredRecord(t), tolerated(at(day30))), at(150*time.Minute)), isms.StateResolved)
			},
			detection: failing(volume0), now: at(3 * time.Hour),
			want: driftOutcome{State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateAccepted, isms.ReasonControlRequiredAgain}},
				ControlFailing: failingTrue, AcceptanceExpired: acceptedOK},
		},
		{
			name:   "Closed, no longer Required, then Required again: the Risk stays Closed",
			reason: "only a drift seen again after the closure re-opens a closed record; this is the same drift",
			risk: func(t *testing.T) *isms.Risk {
				return mustState(t, observed(closedRecord(t), atLevel(isms.LevelRecommended, isms.OutcomeFail), at(2*time.Hour)), isms.StateClosed)
			},
			detection: failing(volume0), now: at(3 * time.Hour),
			want: with(closed, func(o *driftOutcome) { o.ResolvedAt = at(2 * time.Hour) }),
		},

		// Declared risks are people's: the register records no drift on them.
		{
			name: "a Declared risk naming the asset and the failing control ignores the failure",
			risk: declaredRegister, detection: failing(volume0), now: at(time.Hour), want: declaredOpen,
		},
		{
			name: "a Declared risk ignores its control passing",
			risk: declaredRegister, detection: passing(), now: at(time.Hour), want: declaredOpen,
		},
		{
			name: "a Declared risk ignores the asset's removal",
			risk: declaredRegister, detection: removed(), now: at(time.Hour), want: declaredOpen,
		},
	}
	runDriftCases(t, cases)
}

// TestStatusFirstStatus: a record the asset controller created but whose first status was
// never written (the operator stopped in between) is finished from its creation: Open,
// detected when it was created, then the detection is applied at now.
func TestStatusFirstStatus(t *testing.T) {
	// createdAt is the ENC-01 record created at when (zero: not yet created).
	createdAt := func(when time.Time, change func(*isms.Risk)) func(*testing.T) *isms.Risk {
		return func(*testing.T) *isms.Risk {
			r := newRecord()
			r.CreationTimestamp = metav1.Time{Time: when}
			if change != nil {
				change(r)
			}
			return r
		}
	}
	detectedAtT0 := entry{t0, isms.StateOpen, isms.ReasonDriftDetected}
	cases := []driftCase{
		{
			name: "no news: Open, detected at its creation",
			risk: createdAt(t0, nil), now: at(time.Hour),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, NewHistory: []entry{detectedAtT0},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},
		{
			name: "failing: the evidence is the detection's, the detection time the creation's",
			risk: createdAt(t0, nil), detection: failing(volume0, volume1), now: at(time.Hour),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0, volume1}, NewHistory: []entry{detectedAtT0},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},
		{
			name:   "passing: Open at its creation, then Resolved now",
			reason: "the drift it was raised for ended while the operator was down: both transitions are recorded",
			risk:   createdAt(t0, nil), detection: passing(), now: at(time.Hour),
			want: driftOutcome{State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(time.Hour),
				NewHistory:     []entry{detectedAtT0, {at(time.Hour), isms.StateResolved, isms.ReasonDriftCorrected}},
				ControlFailing: failingCorrected, AcceptanceExpired: notApplicable},
		},
		{
			name: "the asset is gone: Open at its creation, then Resolved with AssetRemoved",
			risk: createdAt(t0, nil), detection: removed(), now: at(time.Hour),
			want: driftOutcome{State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(time.Hour),
				NewHistory:     []entry{detectedAtT0, {at(time.Hour), isms.StateResolved, isms.ReasonAssetRemoved}},
				ControlFailing: failingRemoved, AcceptanceExpired: notApplicable},
		},
		{
			name: "the control is no longer Required: Open at its creation, then Resolved with ControlNoLongerRequired",
			risk: createdAt(t0, nil), detection: atLevel(isms.LevelNotRequired, isms.OutcomeNotEvaluated), now: at(time.Hour),
			want: driftOutcome{State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(time.Hour),
				NewHistory:     []entry{detectedAtT0, {at(time.Hour), isms.StateResolved, isms.ReasonControlNoLongerRequired}},
				ControlFailing: failingNotRequired, AcceptanceExpired: notApplicable},
		},
		{
			name:   "not yet created (no creationTimestamp): detected now",
			reason: "the status computed for a Risk before the API server has it",
			risk:   createdAt(time.Time{}, nil), detection: failing(volume0), now: at(time.Minute),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: at(time.Minute), LastDetected: at(time.Minute), Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(time.Minute), isms.StateOpen, isms.ReasonDriftDetected}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},
		{
			name: "times are kept to the second, as the API keeps them",
			risk: createdAt(t0.Add(400*time.Millisecond), nil), detection: passing(), now: at(time.Hour + 700*time.Millisecond),
			want: driftOutcome{State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(time.Hour),
				NewHistory:     []entry{detectedAtT0, {at(time.Hour), isms.StateResolved, isms.ReasonDriftCorrected}},
				ControlFailing: failingCorrected, AcceptanceExpired: notApplicable},
		},
		{
			name:   "a state written with no history is not the register's: the record is finished from its creation",
			reason: "the state is the one the history last recorded; there is none",
			risk:   createdAt(t0, func(r *isms.Risk) { r.Status.State = isms.StateResolved }), now: at(time.Hour),
			want: driftOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, NewHistory: []entry{detectedAtT0},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
		},
		{
			name: "tolerated before its first status: Open at its creation, then Accepted now",
			risk: createdAt(t0, tolerated(at(day30))), detection: failing(volume0), now: at(time.Hour),
			want: driftOutcome{State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{detectedAtT0, {at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}},
				ControlFailing: failingTrue, AcceptanceExpired: acceptedOK},
		},
		{
			name: "closed before its first status: Open at its creation, then Closed now",
			risk: createdAt(t0, func(r *isms.Risk) { closure(&r.Spec) }), detection: failing(volume0), now: at(time.Hour),
			want: driftOutcome{State: isms.StateClosed, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ClosedAt: at(time.Hour), Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{detectedAtT0, {at(time.Hour), isms.StateClosed, isms.ReasonClosed}},
				ControlFailing: failingTrue, AcceptanceExpired: notApplicable},
		},
	}
	runDriftCases(t, cases)
}

// TestStatusNotRegisterRecord: a Detected risk that is not the register's record of its
// control (not at the name Name gives it) records no drift; its state follows its spec as
// a Declared risk's does, and it is Stalled with a condition that says what to do.
func TestStatusNotRegisterRecord(t *testing.T) {
	stray := func(change func(*isms.Risk)) func() *isms.Risk {
		return func() *isms.Risk {
			r := detectedAt("epr-encryption-gap", testAssetName, isms.ControlEncryptedVolumes)
			r.CreationTimestamp, r.Generation = metav1.Time{Time: t0}, 1
			if change != nil {
				change(r)
			}
			return r
		}
	}
	type outcome struct {
		State                             isms.RiskState
		NewHistory                        []entry
		ClosedAt                          time.Time
		Stalled, Ready, ControlFailing    condition
		Drift                             bool // any of firstDetected, lastDetected, resolvedAt, occurrences, evidence
		AcceptanceRefused, ReviewOverdue  condition
		AcceptedBy                        *isms.AcceptedBy
		StalledMessage, FirstEntryMessage bool // name the record the operator keeps
	}
	openStray := outcome{State: isms.StateOpen, NewHistory: []entry{{t0, isms.StateOpen, isms.ReasonNotRegisterRecord}},
		Stalled: stalledNotRecord, Ready: readyNotRecord, AcceptanceRefused: notTolerated, ReviewOverdue: reviewCurrent,
		StalledMessage: true, FirstEntryMessage: true}
	with := func(o outcome, change func(*outcome)) outcome {
		change(&o)
		return o
	}
	cases := []struct {
		name      string
		risk      func() *isms.Risk
		detection *Detection
		now       time.Time
		want      outcome
	}{
		{name: "at another name: Open, NotRegisterRecord, Stalled", risk: stray(nil), now: t0, want: openStray},
		{name: "a failure detected is not recorded on it", risk: stray(nil), detection: failing(volume0), now: t0, want: openStray},
		{name: "a pass detected does not resolve it", risk: stray(nil), detection: passing(), now: t0, want: openStray},
		{name: "the asset's removal does not resolve it", risk: stray(nil), detection: removed(), now: t0, want: openStray},
		{
			name: "tolerated with an acceptor: Accepted, NotRegisterRecord",
			risk: stray(tolerated(at(day30))), now: t0,
			want: with(openStray, func(o *outcome) {
				o.State, o.AcceptanceRefused, o.AcceptedBy = isms.StateAccepted, acceptedOK, janeAccepted
				o.NewHistory = []entry{{t0, isms.StateAccepted, isms.ReasonNotRegisterRecord}}
			}),
		},
		{
			name: "closed: Closed, NotRegisterRecord",
			risk: stray(func(r *isms.Risk) { closure(&r.Spec) }), now: t0,
			want: with(openStray, func(o *outcome) {
				o.State, o.ClosedAt, o.AcceptanceRefused, o.ReviewOverdue = isms.StateClosed, t0, notApplicable, notApplicable
				o.NewHistory = []entry{{t0, isms.StateClosed, isms.ReasonNotRegisterRecord}}
			}),
		},
		{
			name: "tolerated after its first status: Accepted, RiskAccepted, still Stalled",
			risk: func() *isms.Risk { return editedRisk(recorded(stray(nil)(), t0), tolerated(at(day30))) },
			now:  at(time.Hour),
			want: with(openStray, func(o *outcome) {
				o.State, o.AcceptanceRefused, o.AcceptedBy = isms.StateAccepted, acceptedOK, janeAccepted
				o.NewHistory = []entry{{at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}
			}),
		},
		{
			name: "at the name of another control of its asset",
			risk: func() *isms.Risk {
				r := stray(nil)()
				r.Name = enc02Risk
				return r
			},
			detection: failing(volume0), now: t0, want: openStray,
		},
		{
			name: "at the name of its control for another asset",
			risk: func() *isms.Risk {
				r := stray(nil)()
				r.Name = Name("pharmacy-stock", isms.ControlEncryptedVolumes)
				return r
			},
			detection: failing(volume0), now: t0, want: openStray,
		},
		{
			name: "with no assetRef (the API refuses it, but the register must not fail on it)",
			risk: func() *isms.Risk {
				r := stray(nil)()
				r.Spec.AssetRef = nil
				return r
			},
			now:  t0,
			want: with(openStray, func(o *outcome) { o.StalledMessage, o.FirstEntryMessage = false, false }),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk()
			fatalIf(t, IsRecord(risk), "setting up: %s is a register record", risk.Name)
			before := risk.DeepCopy()
			st := Status(risk, tc.detection, tc.now, rules)
			stalled := conditionMessage(st, isms.ConditionStalled)
			got := outcome{
				State: st.State, NewHistory: newEntries(before.Status.History, st.History), ClosedAt: timeOf(st.ClosedAt),
				Stalled: conditionOf(st, isms.ConditionStalled), Ready: conditionOf(st, isms.ConditionReady),
				ControlFailing: conditionOf(st, isms.ConditionControlFailing),
				Drift: st.FirstDetected != nil || st.LastDetected != nil || st.ResolvedAt != nil || st.Occurrences != 0 ||
					len(st.Evidence) != 0,
				AcceptanceRefused: conditionOf(st, isms.ConditionAcceptanceRefused),
				ReviewOverdue:     conditionOf(st, isms.ConditionReviewOverdue),
				AcceptedBy:        st.AcceptedBy,
				StalledMessage:    strings.Contains(stalled, enc01Risk),
				FirstEntryMessage: len(st.History) > 0 && st.History[0].Reason == isms.ReasonNotRegisterRecord && strings.Contains(st.History[0].Message, enc01Risk),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Status() (-want +got):\n%s", diff)
			}
			if ready := conditionMessage(st, isms.ConditionReady); ready != stalled || stalled == "" {
				t.Errorf("Ready message %q, want the Stalled message %q", ready, stalled)
			}
			next := risk.DeepCopy()
			next.Status = st
			if again := Status(next, tc.detection, tc.now.Add(time.Minute), rules); !equality.Semantic.DeepEqual(st, again) {
				t.Errorf("the status changes a minute later with nothing new (-first +second):\n%s", cmp.Diff(st, again))
			}
		})
	}
}

// TestStatusForgedState: the state is the one the history last recorded. A state written
// by anyone but the register is put back, with no history entry for a transition that
// never happened.
func TestStatusForgedState(t *testing.T) {
	forged := func(r *isms.Risk, state isms.RiskState) *isms.Risk {
		r.Status.State = state
		return r
	}
	cases := []struct {
		name string
		risk func(t *testing.T) *isms.Risk
		want isms.RiskState
	}{
		{name: "an Open Declared risk written Closed", want: isms.StateOpen,
			risk: func(*testing.T) *isms.Risk { return forged(recorded(declared(nil), t0), isms.StateClosed) }},
		{name: "an Accepted Declared risk written Open", want: isms.StateAccepted,
			risk: func(*testing.T) *isms.Risk {
				return forged(recorded(declared(tolerated(at(day30))), t0), isms.StateOpen)
			}},
		{name: "an Open Declared risk written Accepted", want: isms.StateOpen,
			risk: func(*testing.T) *isms.Risk { return forged(recorded(declared(nil), t0), isms.StateAccepted) }},
		{name: "an Open Declared risk written with no state", want: isms.StateOpen,
			risk: func(*testing.T) *isms.Risk { return forged(recorded(declared(nil), t0), "") }},
		{name: "a Resolved record written Open", want: isms.StateResolved,
			risk: func(t *testing.T) *isms.Risk { return forged(resolvedRecord(t), isms.StateOpen) }},
		{name: "an Open record written Resolved", want: isms.StateOpen,
			risk: func(t *testing.T) *isms.Risk { return forged(openRecord(t), isms.StateResolved) }},
		{name: "a Closed record written Open", want: isms.StateClosed,
			risk: func(t *testing.T) *isms.Risk { return forged(closedRecord(t), isms.StateOpen) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk(t)
			st := Status(risk, nil, at(3*time.Hour), rules)
			if st.State != tc.want {
				t.Errorf("state = %s, want %s put back", st.State, tc.want)
			}
			if diff := cmp.Diff(risk.Status.History, st.History); diff != "" {
				t.Errorf("the history changed (-before +after):\n%s", diff)
			}
			if ready := conditionMessage(st, isms.ConditionReady); !strings.HasPrefix(ready, string(tc.want)+":") {
				t.Errorf("Ready message %q does not start with the state %s", ready, tc.want)
			}
		})
	}
}

// TestStatusDriftLifecycle follows one record through its whole life, computing the status
// twice at each step: the second must change nothing.
func TestStatusDriftLifecycle(t *testing.T) {
	type want struct {
		State       isms.RiskState
		Reason      string // of the last history entry
		Occurrences int32
	}
	steps := []struct {
		name string
		edit func(*isms.Risk)
		d    *Detection
		now  time.Time
		want want
	}{
		{name: "drift seen", d: failing(volume0), now: t0, want: want{isms.StateOpen, isms.ReasonDriftDetected, 1}},
		{name: "still failing", d: failing(volume0), now: at(time.Hour), want: want{isms.StateOpen, isms.ReasonDriftDetected, 1}},
		{name: "tolerated", edit: tolerated(at(10 * day)), d: failing(volume0), now: at(2 * time.Hour),
			want: want{isms.StateAccepted, isms.ReasonRiskAccepted, 1}},
		{name: "corrected", d: passing(), now: at(day), want: want{isms.StateResolved, isms.ReasonDriftCorrected, 1}},
		{name: "recurs while tolerated", d: failing(volume1), now: at(2 * day), want: want{isms.StateAccepted, isms.ReasonDriftRecurred, 2}},
		{name: "acceptance expires", d: failing(volume1), now: at(11 * day), want: want{isms.StateOpen, isms.ReasonAcceptanceExpired, 2}},
		{name: "closed", edit: func(r *isms.Risk) { r.Spec.Closure = &isms.Closure{Reason: "Out of scope"} }, d: failing(volume1),
			now: at(12 * day), want: want{isms.StateClosed, isms.ReasonClosed, 2}},
		{name: "corrected while closed", d: passing(), now: at(13 * day), want: want{isms.StateClosed, isms.ReasonClosed, 2}},
		{name: "recurs after closure", d: failing(volume0), now: at(14 * day), want: want{isms.StateOpen, isms.ReasonDriftRecurred, 3}},
		{name: "no longer Required", d: atLevel(isms.LevelRecommended, isms.OutcomeFail), now: at(15 * day),
			want: want{isms.StateResolved, isms.ReasonControlNoLongerRequired, 3}},
		{name: "Required again", d: failing(volume0), now: at(16 * day), want: want{isms.StateOpen, isms.ReasonControlRequiredAgain, 3}},
		{name: "asset removed", d: removed(), now: at(17 * day), want: want{isms.StateResolved, isms.ReasonAssetRemoved, 3}},
	}
	risk := newRecord()
	for _, s := range steps {
		if s.edit != nil {
			risk = editedRisk(risk, s.edit)
		}
		risk = observed(risk, s.d, s.now)
		last := risk.Status.History[len(risk.Status.History)-1]
		if diff := cmp.Diff(s.want, want{risk.Status.State, last.Reason, risk.Status.Occurrences}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
		if again := Status(risk, s.d, s.now, rules); !equality.Semantic.DeepEqual(risk.Status, again) {
			t.Errorf("%s: the same detection again changes the status:\n%s", s.name, cmp.Diff(risk.Status, again))
		}
	}
	var reasons []string
	for _, h := range risk.Status.History {
		reasons = append(reasons, h.Reason)
	}
	wantReasons := []string{isms.ReasonDriftDetected, isms.ReasonRiskAccepted, isms.ReasonDriftCorrected, isms.ReasonDriftRecurred,
		isms.ReasonAcceptanceExpired, isms.ReasonClosed, isms.ReasonDriftRecurred, isms.ReasonControlNoLongerRequired,
		isms.ReasonControlRequiredAgain, isms.ReasonAssetRemoved}
	if diff := cmp.Diff(wantReasons, reasons); diff != "" {
		t.Errorf("history reasons (-want +got):\n%s", diff)
	}
	if got, want := timeOf(risk.Status.LastDetected), at(14*day); !got.Equal(want) {
		t.Errorf("lastDetected = %s, want %s: the drift last started after the closure", got, want)
	}
	if got := timeOf(risk.Status.FirstDetected); !got.Equal(t0) {
		t.Errorf("firstDetected = %s, want %s", got, t0)
	}
}

// TestStatusEvidenceBounded: a Risk quotes at most 16 findings (the API's MaxItems), the
// first ones, whether at its first status or later.
func TestStatusEvidenceBounded(t *testing.T) {
	var findings []isms.Finding
	for i := range 20 {
		findings = append(findings, finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/data-"+string(rune('a'+i)), "not encrypted"))
	}
	first := Status(newRecord(), failing(findings...), t0, rules)
	if diff := cmp.Diff(findings[:16], first.Evidence); diff != "" {
		t.Errorf("evidence at the first status (-want +got):\n%s", diff)
	}
	later := Status(resolvedRecord(t), failing(findings...), at(3*time.Hour), rules)
	if diff := cmp.Diff(findings[:16], later.Evidence); diff != "" {
		t.Errorf("evidence at a recurrence (-want +got):\n%s", diff)
	}
	if later.State != isms.StateOpen {
		t.Errorf("state = %s, want Open", later.State)
	}
}
