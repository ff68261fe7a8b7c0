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

// declared is a Risk a person wrote at t0: likelihood 3 x consequence 4, score 12, High
// (review every 90 days). change, if not nil, adjusts it before it is first recorded.
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

// recorded gives r the status the operator computes for it at when, as the risk controller
// would write it.
func recorded(r *isms.Risk, when time.Time) *isms.Risk {
	r.Status = Status(r, nil, when, npsa)
	return r
}

// edited is a person's change of r's spec; the API server bumps the generation.
func edited(r *isms.Risk, change func(*isms.RiskSpec)) *isms.Risk {
	change(&r.Spec)
	r.Generation++
	return r
}

func closure(s *isms.RiskSpec) { s.Closure = &isms.Closure{Reason: "Contract extended to 2030"} }
func unclose(s *isms.RiskSpec) { s.Closure = nil }
func treatInstead(s *isms.RiskSpec) {
	s.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Plan: "Escrow agreement"}
}

// stateOutcome is what TestStatusStates asserts of a status.
type stateOutcome struct {
	State      isms.RiskState
	Score      int32
	Rating     isms.Rating
	ClosedAt   time.Time
	NewHistory []entry
}

func TestStatusStates(t *testing.T) {
	tolerated := func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day30)) }
	cases := []struct {
		name string
		risk func() *isms.Risk
		// detection is what the asset controller reports (nil: no news, the risk controller).
		detection *Detection
		now       time.Time
		want      stateOutcome
	}{
		{
			name: "a new Declared risk is Open with reason Declared",
			risk: func() *isms.Risk { return declared(nil) },
			now:  t0,
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{t0, isms.StateOpen, isms.ReasonDeclared}}},
		},
		{
			name: "a new tolerated Declared risk is Accepted with reason Declared",
			risk: func() *isms.Risk { return declared(tolerated) },
			now:  t0,
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{t0, isms.StateAccepted, isms.ReasonDeclared}}},
		},
		{
			name: "a new Declared risk that is already expired is Open",
			risk: func() *isms.Risk { return declared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(t0.Add(-day)) }) },
			now:  t0,
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{t0, isms.StateOpen, isms.ReasonDeclared}}},
		},
		{
			name:      "a Declared risk ignores detections",
			risk:      func() *isms.Risk { return recorded(declared(nil), t0) },
			detection: &Detection{Failing: true, Evidence: []isms.Finding{volume0}},
			now:       at(time.Hour),
			want:      stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh},
		},
		{
			name: "an Open risk that is tolerated becomes Accepted",
			risk: func() *isms.Risk {
				return edited(recorded(declared(nil), t0), func(s *isms.RiskSpec) { s.Treatment = tolerate(at(day30)) })
			},
			now: at(time.Hour),
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "an Accepted risk whose acceptance expired is Open with reason AcceptanceExpired",
			risk: func() *isms.Risk { return recorded(declared(tolerated), t0) },
			now:  at(day30 + time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day30 + time.Hour), isms.StateOpen, isms.ReasonAcceptanceExpired}}},
		},
		{
			name: "an Accepted risk whose decision changes to Treat is Open with reason AcceptanceWithdrawn",
			risk: func() *isms.Risk { return edited(recorded(declared(tolerated), t0), treatInstead) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(time.Hour), isms.StateOpen, isms.ReasonAcceptanceWithdrawn}}},
		},
		{
			name: "an expired acceptance that is renewed makes the risk Accepted again",
			risk: func() *isms.Risk {
				r := recorded(recorded(declared(tolerated), t0), at(day30+time.Hour))
				return edited(r, func(s *isms.RiskSpec) { s.Treatment = tolerate(at(4 * day30)) })
			},
			now: at(day30 + 2*time.Hour),
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day30 + 2*time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "an Open risk whose spec.closure is set is Closed, closedAt set",
			risk: func() *isms.Risk { return edited(recorded(declared(nil), t0), closure) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateClosed, Score: 12, Rating: isms.RatingHigh, ClosedAt: at(time.Hour),
				NewHistory: []entry{{at(time.Hour), isms.StateClosed, isms.ReasonClosed}}},
		},
		{
			name: "an Accepted risk whose spec.closure is set is Closed",
			risk: func() *isms.Risk { return edited(recorded(declared(tolerated), t0), closure) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateClosed, Score: 12, Rating: isms.RatingHigh, ClosedAt: at(time.Hour),
				NewHistory: []entry{{at(time.Hour), isms.StateClosed, isms.ReasonClosed}}},
		},
		{
			name: "a Closed risk stays Closed, closedAt kept",
			risk: func() *isms.Risk { return recorded(edited(recorded(declared(nil), t0), closure), at(time.Hour)) },
			now:  at(day),
			want: stateOutcome{State: isms.StateClosed, Score: 12, Rating: isms.RatingHigh, ClosedAt: at(time.Hour)},
		},
		{
			name: "removing the closure reopens the risk with reason Reopened, closedAt cleared",
			risk: func() *isms.Risk {
				return edited(recorded(edited(recorded(declared(nil), t0), closure), at(time.Hour)), unclose)
			},
			now: at(day),
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day), isms.StateOpen, isms.ReasonReopened}}},
		},
		{
			name: "removing the closure of a tolerated risk makes it Accepted",
			risk: func() *isms.Risk {
				return edited(recorded(edited(recorded(declared(tolerated), t0), closure), at(time.Hour)), unclose)
			},
			now: at(day),
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "a re-assessment changes the score and rating, not the state",
			risk: func() *isms.Risk {
				return edited(recorded(declared(nil), t0), func(s *isms.RiskSpec) { s.Likelihood, s.Consequence = 5, 5 })
			},
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 25, Rating: isms.RatingExtreme},
		},
		{
			name: "a Detected risk not yet reported on waits, with no history",
			risk: func() *isms.Risk {
				r := declared(nil)
				r.Spec.Source, r.Spec.Control, r.Spec.AssetRef = isms.SourceDetected, isms.ControlEncryptedVolumes, &isms.LocalObjectReference{Name: testAssetName}
				return r
			},
			now:  t0,
			want: stateOutcome{Score: 12, Rating: isms.RatingHigh},
		},
		{
			name: "a Detected risk with no news of the drift keeps its state; tolerating it makes it Accepted",
			risk: func() *isms.Risk {
				r := openDetected()
				return edited(r, func(s *isms.RiskSpec) { s.Treatment = tolerate(at(day30)) })
			},
			now: at(time.Hour),
			want: stateOutcome{State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "a Detected risk closed by a person, with no news of the drift, is Closed",
			risk: func() *isms.Risk { return edited(openDetected(), closure) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateClosed, Score: 10, Rating: isms.RatingHigh, ClosedAt: at(time.Hour),
				NewHistory: []entry{{at(time.Hour), isms.StateClosed, isms.ReasonClosed}}},
		},
		{
			name: "removing the closure of a Detected risk still failing reopens it with reason Reopened",
			risk: func() *isms.Risk { return edited(recorded(edited(openDetected(), closure), at(time.Hour)), unclose) },
			now:  at(2 * time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(2 * time.Hour), isms.StateOpen, isms.ReasonReopened}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk()
			before := risk.DeepCopy()
			st := Status(risk, tc.detection, tc.now, npsa)
			if diff := cmp.Diff(before, risk); diff != "" {
				t.Errorf("Status modified the Risk (-before +after):\n%s", diff)
			}
			var history []entry
			for _, h := range st.History[min(len(before.Status.History), len(st.History)):] {
				history = append(history, entry{At: h.At.Time, State: h.State, Reason: h.Reason})
			}
			got := stateOutcome{State: st.State, Score: st.Score, Rating: st.Rating, ClosedAt: timeOf(st.ClosedAt), NewHistory: history}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Status() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before.Status.History, st.History[:min(len(before.Status.History), len(st.History))], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Status rewrote the history (-before +after):\n%s", diff)
			}
			if st.ObservedGeneration != risk.Generation {
				t.Errorf("observedGeneration = %d, want the generation %d", st.ObservedGeneration, risk.Generation)
			}
			if risk.Spec.Source == isms.SourceDeclared {
				if st.FirstDetected != nil || st.LastDetected != nil || st.Occurrences != 0 || len(st.Evidence) != 0 ||
					conditionOf(st, isms.ConditionControlFailing) != (condition{}) {
					t.Errorf("a Declared risk got drift fields: %+v", st)
				}
			}
			for _, h := range st.History[len(before.Status.History):] {
				if h.Message == "" {
					t.Errorf("history entry %s/%s has no message", h.State, h.Reason)
				}
			}
		})
	}
}

// openDetected is the Detected ENC-01 Risk as Decide created it at t0, failing.
func openDetected() *isms.Risk {
	obs := observe(t0, volume0)
	r := Decide(obs, nil, npsa)[0].Risk
	r.CreationTimestamp, r.Generation = metav1.Time{Time: t0}, 1
	return recorded(r, t0)
}

func TestStatusConditions(t *testing.T) {
	// rated is a Declared risk with the given likelihood and consequence.
	rated := func(likelihood, consequence int32) func() *isms.Risk {
		return func() *isms.Risk {
			return declared(func(r *isms.Risk) { r.Spec.Likelihood, r.Spec.Consequence = likelihood, consequence })
		}
	}
	withActions := func(actions ...isms.Action) func() *isms.Risk {
		return func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Plan: "Escrow", Actions: actions}
			})
		}
	}
	reviewed := func(last time.Time, interval time.Duration) func() *isms.Risk {
		return func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Review = &isms.RiskReview{LastReviewed: mt(last)}
				if interval > 0 {
					r.Spec.Review.Interval = &metav1.Duration{Duration: interval}
				}
			})
		}
	}
	var (
		reviewCurrent  = condition{metav1.ConditionFalse, isms.ReasonReviewCurrent}
		reviewDue      = condition{metav1.ConditionTrue, isms.ReasonReviewDue}
		notApplicable  = condition{metav1.ConditionFalse, isms.ReasonNotApplicable}
		actionsOnTrack = condition{metav1.ConditionFalse, isms.ReasonActionsOnTrack}
		actionsPastDue = condition{metav1.ConditionTrue, isms.ReasonActionsPastDue}
		ready          = condition{metav1.ConditionTrue, isms.ReasonEvaluated}
	)
	type conditions struct {
		ReviewOverdue, ActionsOverdue, AcceptanceExpired, Ready condition
	}
	current := conditions{reviewCurrent, actionsOnTrack, notTolerated, ready}
	overdue := conditions{reviewDue, actionsOnTrack, notTolerated, ready}
	second := time.Second
	cases := []struct {
		name string
		risk func() *isms.Risk
		now  time.Time
		want conditions
	}{
		{name: "Extreme: review current until 30 days", risk: rated(5, 5), now: at(30*day - second), want: current},
		{name: "Extreme: review overdue at 30 days", risk: rated(5, 5), now: at(30 * day), want: overdue},
		{name: "High: review current until 90 days", risk: rated(3, 4), now: at(90*day - second), want: current},
		{name: "High: review overdue at 90 days", risk: rated(3, 4), now: at(90 * day), want: overdue},
		{name: "Moderate: review current until 180 days", risk: rated(2, 3), now: at(180*day - second), want: current},
		{name: "Moderate: review overdue at 180 days", risk: rated(2, 3), now: at(180 * day), want: overdue},
		{name: "Low: review current until 365 days", risk: rated(1, 3), now: at(365*day - second), want: current},
		{name: "Low: review overdue at 365 days", risk: rated(1, 3), now: at(365 * day), want: overdue},
		{name: "High, reviewed at 100 days: current until 190 days", risk: reviewed(at(100*day), 0), now: at(190*day - second), want: current},
		{name: "High, reviewed at 100 days: overdue at 190 days", risk: reviewed(at(100*day), 0), now: at(190 * day), want: overdue},
		{name: "lastReviewed counts, not creation, even when earlier", risk: reviewed(t0.Add(-80*day), 0), now: at(10 * day), want: overdue},
		{name: "own interval: 240h current", risk: reviewed(t0, 240*time.Hour), now: at(10*day - second), want: current},
		{name: "own interval: 240h overdue", risk: reviewed(t0, 240*time.Hour), now: at(10 * day), want: overdue},
		{
			name: "Closed: review and actions not applicable",
			risk: func() *isms.Risk {
				return declared(func(r *isms.Risk) {
					closure(&r.Spec)
					r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Actions: []isms.Action{{Description: "Escrow", Due: mt(at(day))}}}
				})
			},
			now:  at(365 * day),
			want: conditions{notApplicable, notApplicable, notTolerated, ready},
		},
		{
			name: "an undone action past due",
			risk: withActions(isms.Action{Description: "Sign escrow", Due: mt(at(10 * day))}),
			now:  at(11 * day),
			want: conditions{reviewCurrent, actionsPastDue, notTolerated, ready},
		},
		{
			name: "a done action past due is fine",
			risk: withActions(isms.Action{Description: "Sign escrow", Due: mt(at(10 * day)), Done: true}),
			now:  at(11 * day),
			want: current,
		},
		{
			name: "an undone action not yet due is fine",
			risk: withActions(isms.Action{Description: "Sign escrow", Due: mt(at(10 * day))}),
			now:  at(9 * day),
			want: current,
		},
		{
			name: "an action with no due date is never overdue",
			risk: withActions(isms.Action{Description: "Sign escrow"}),
			now:  at(60 * day),
			want: current,
		},
		{
			name: "one undone action past due among done ones",
			risk: withActions(isms.Action{Description: "Draft escrow", Due: mt(at(day)), Done: true},
				isms.Action{Description: "Sign escrow", Due: mt(at(10 * day))}),
			now:  at(11 * day),
			want: conditions{reviewCurrent, actionsPastDue, notTolerated, ready},
		},
		{
			name: "a Treat decision is not tolerated",
			risk: withActions(),
			now:  at(day),
			want: current,
		},
		{
			name: "a tolerated risk within its acceptance",
			risk: func() *isms.Risk { return declared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day30)) }) },
			now:  at(day30 - second),
			want: conditions{reviewCurrent, actionsOnTrack, acceptedOK, ready},
		},
		{
			name: "a tolerated risk whose acceptance expired",
			risk: func() *isms.Risk { return declared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day30)) }) },
			now:  at(day30),
			want: conditions{reviewCurrent, actionsOnTrack, expired, ready},
		},
		{
			name: "a tolerated risk with an action past due",
			risk: func() *isms.Risk {
				return declared(func(r *isms.Risk) {
					r.Spec.Treatment = tolerate(at(day30))
					r.Spec.Treatment.Actions = []isms.Action{{Description: "Migrate", Due: mt(at(day))}}
				})
			},
			now:  at(2 * day),
			want: conditions{reviewCurrent, actionsPastDue, acceptedOK, ready},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk()
			st := Status(risk, nil, tc.now, npsa)
			got := conditions{
				ReviewOverdue:     conditionOf(st, isms.ConditionReviewOverdue),
				ActionsOverdue:    conditionOf(st, isms.ConditionActionsOverdue),
				AcceptanceExpired: conditionOf(st, isms.ConditionAcceptanceExpired),
				Ready:             conditionOf(st, isms.ConditionReady),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			for _, c := range st.Conditions {
				if c.ObservedGeneration != risk.Generation {
					t.Errorf("condition %s has observedGeneration %d, want %d", c.Type, c.ObservedGeneration, risk.Generation)
				}
				if c.Message == "" {
					t.Errorf("condition %s has no message", c.Type)
				}
			}
		})
	}
}

// TestStatusConditionMessages: messages say what to do and name the state and score; they
// hold no timestamps finer than a date (style.md: stable messages).
func TestStatusConditionMessages(t *testing.T) {
	risk := declared(func(r *isms.Risk) {
		r.Spec.Treatment = tolerate(at(day30))
		r.Spec.Treatment.Actions = []isms.Action{{Description: "Migrate the volume", Due: mt(at(day))}}
	})
	st := Status(risk, nil, at(100*day), npsa)
	want := map[string][]string{
		isms.ConditionReviewOverdue:     {"2026-05-31", "spec.review.lastReviewed"},
		isms.ConditionActionsOverdue:    {"Migrate the volume", "2026-03-03"},
		isms.ConditionAcceptanceExpired: {"2026-04-01", "spec.treatment.acceptance.expires"},
		isms.ConditionReady:             {"Open", "score 12 (High)", "likelihood 3 (Possible)", "consequence 4 (Major)"},
	}
	for _, c := range st.Conditions {
		if strings.Contains(c.Message, "09:00") {
			t.Errorf("%s message %q holds a time of day", c.Type, c.Message)
		}
	}
	for conditionType, parts := range want {
		c := conditionMessage(st, conditionType)
		for _, part := range parts {
			if !strings.Contains(c, part) {
				t.Errorf("%s message %q does not say %q", conditionType, c, part)
			}
		}
	}
}

func conditionMessage(st isms.RiskStatus, conditionType string) string {
	for _, c := range st.Conditions {
		if c.Type == conditionType {
			return c.Message
		}
	}
	return ""
}

func TestStatusHistoryBounded(t *testing.T) {
	// withHistory is an Open Declared risk whose history already holds n alternating
	// Open/Closed entries (newest Open).
	withHistory := func(n int) *isms.Risk {
		r := recorded(declared(nil), t0)
		r.Status.History = nil
		for i := range n {
			state, reason := isms.StateOpen, isms.ReasonReopened
			if (n-1-i)%2 == 1 {
				state, reason = isms.StateClosed, isms.ReasonClosed
			}
			r.Status.History = append(r.Status.History, isms.HistoryEntry{At: metav1.Time{Time: at(time.Duration(i) * time.Minute)},
				State: state, Reason: reason, Message: "entry"})
		}
		return r
	}
	cases := []struct {
		name       string
		existing   int
		transition bool
		wantLen    int
		wantFirst  int // index in the old history of the oldest entry kept
	}{
		{name: "49 entries and a transition: 50, none dropped", existing: 49, transition: true, wantLen: 50, wantFirst: 0},
		{name: "50 entries and a transition: 50, the oldest dropped", existing: 50, transition: true, wantLen: 50, wantFirst: 1},
		{name: "50 entries and no transition: unchanged", existing: 50, wantLen: 50, wantFirst: 0},
		{name: "1 entry and a transition: 2", existing: 1, transition: true, wantLen: 2, wantFirst: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := withHistory(tc.existing)
			old := risk.Status.History
			if tc.transition {
				risk = edited(risk, closure)
			}
			now := at(day)
			st := Status(risk, nil, now, npsa)
			if len(st.History) != tc.wantLen || len(st.History) > MaxHistory {
				t.Fatalf("history has %d entries, want %d (at most %d)", len(st.History), tc.wantLen, MaxHistory)
			}
			kept := len(old) - tc.wantFirst
			if diff := cmp.Diff(old[tc.wantFirst:], st.History[:kept]); diff != "" {
				t.Errorf("kept history (-want +got):\n%s", diff)
			}
			if tc.transition {
				newest := st.History[len(st.History)-1]
				if got := (entry{newest.At.Time, newest.State, newest.Reason}); got != (entry{now, isms.StateClosed, isms.ReasonClosed}) {
					t.Errorf("newest entry = %+v, want the closure at %s", got, now)
				}
			}
		})
	}
}

func TestStatusAcceptedBy(t *testing.T) {
	annotated := func(by, atTime string, treatment *isms.Treatment) func() *isms.Risk {
		return func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Annotations = map[string]string{}
				if by != "" {
					r.Annotations[AnnotationAcceptedBy] = by
				}
				if atTime != "" {
					r.Annotations[AnnotationAcceptedAt] = atTime
				}
				r.Spec.Treatment = treatment
			})
		}
	}
	acceptedAt := "2026-03-01T14:30:00Z"
	cases := []struct {
		name string
		risk func() *isms.Risk
		want *isms.AcceptedBy
	}{
		{name: "Tolerate with both annotations", risk: annotated("jane.smith@nhs.net", acceptedAt, tolerate(at(day30))),
			want: &isms.AcceptedBy{Username: "jane.smith@nhs.net", At: metav1.Time{Time: time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)}}},
		{name: "Tolerate expired: who accepted is still recorded", risk: annotated("jane.smith@nhs.net", acceptedAt, tolerate(t0.Add(-time.Hour))),
			want: &isms.AcceptedBy{Username: "jane.smith@nhs.net", At: metav1.Time{Time: time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)}}},
		{name: "Treat: annotations left from an earlier Tolerate are not an acceptance",
			risk: annotated("jane.smith@nhs.net", acceptedAt, &isms.Treatment{Decision: isms.DecisionTreat})},
		{name: "Transfer", risk: annotated("jane.smith@nhs.net", acceptedAt, &isms.Treatment{Decision: isms.DecisionTransfer})},
		{name: "no treatment", risk: annotated("jane.smith@nhs.net", acceptedAt, nil)},
		{name: "Tolerate without annotations", risk: annotated("", "", tolerate(at(day30)))},
		{name: "Tolerate without accepted-by", risk: annotated("", acceptedAt, tolerate(at(day30)))},
		{name: "Tolerate with accepted-at unparsable", risk: annotated("jane.smith@nhs.net", "yesterday", tolerate(at(day30)))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := Status(tc.risk(), nil, at(time.Hour), npsa)
			if diff := cmp.Diff(tc.want, st.AcceptedBy); diff != "" {
				t.Errorf("acceptedBy (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("removing the Tolerate decision clears acceptedBy", func(t *testing.T) {
		r := recorded(annotated("jane.smith@nhs.net", acceptedAt, tolerate(at(day30)))(), t0)
		fatalIf(t, r.Status.AcceptedBy == nil, "setting up: acceptedBy not recorded")
		st := Status(edited(r, treatInstead), nil, at(time.Hour), npsa)
		if st.AcceptedBy != nil {
			t.Errorf("acceptedBy = %+v after the decision changed to Treat, want nil", st.AcceptedBy)
		}
	})
}

// TestStatusUnchanged: a risk with nothing new gets back an equal status, so the
// controllers write nothing (style.md: no write when nothing changed).
func TestStatusUnchanged(t *testing.T) {
	cases := []struct {
		name      string
		risk      func() *isms.Risk
		detection *Detection
		then, now time.Time
	}{
		{name: "Declared Open", risk: func() *isms.Risk { return declared(nil) }, then: t0, now: at(day)},
		{name: "Declared Accepted", risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Treatment = tolerate(at(day30))
				r.Annotations = map[string]string{AnnotationAcceptedBy: "jane.smith@nhs.net", AnnotationAcceptedAt: "2026-03-01T14:30:00Z"}
			})
		}, then: t0, now: at(day)},
		{name: "Declared Closed", risk: func() *isms.Risk { return declared(func(r *isms.Risk) { closure(&r.Spec) }) }, then: t0, now: at(400 * day)},
		{name: "Declared Open, review overdue", risk: func() *isms.Risk { return declared(nil) }, then: at(100 * day), now: at(101 * day)},
		{name: "acceptance expired", risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day)) })
		}, then: at(2 * day), now: at(3 * day)},
		{name: "an action past due", risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Actions: []isms.Action{{Description: "Escrow", Due: mt(at(day))}}}
			})
		}, then: at(2 * day), now: at(3 * day)},
		{name: "Detected, failing with the same evidence", risk: openDetected,
			detection: &Detection{Failing: true, Evidence: []isms.Finding{volume0}}, then: at(time.Hour), now: at(2 * time.Hour)},
		{name: "Detected, no news", risk: openDetected, then: at(time.Hour), now: at(2 * time.Hour)},
		{name: "Detected, passing", risk: openDetected, detection: &Detection{}, then: at(time.Hour), now: at(2 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk()
			risk.Status = Status(risk, tc.detection, tc.then, npsa)
			got := Status(risk, tc.detection, tc.now, npsa)
			if !equality.Semantic.DeepEqual(risk.Status, got) {
				t.Errorf("status changed with nothing new (-first +second):\n%s", cmp.Diff(risk.Status, got))
			}
		})
	}
}

func TestReviewInterval(t *testing.T) {
	cases := []struct {
		name   string
		rating isms.Rating
		own    time.Duration
		want   time.Duration
	}{
		{name: "Extreme", rating: isms.RatingExtreme, want: 30 * day},
		{name: "High", rating: isms.RatingHigh, want: 90 * day},
		{name: "Moderate", rating: isms.RatingModerate, want: 180 * day},
		{name: "Low", rating: isms.RatingLow, want: 365 * day},
		{name: "own interval wins over Extreme", rating: isms.RatingExtreme, own: 7 * day, want: 7 * day},
		{name: "own interval wins over Low", rating: isms.RatingLow, own: 720 * time.Hour, want: 720 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := declared(nil)
			if tc.own > 0 {
				risk.Spec.Review = &isms.RiskReview{Interval: &metav1.Duration{Duration: tc.own}}
			}
			if got := ReviewInterval(risk, tc.rating); got != tc.want {
				t.Errorf("ReviewInterval(%s) = %s, want %s", tc.rating, got, tc.want)
			}
		})
	}
}

func TestRecheckAt(t *testing.T) {
	action := func(due time.Time, done bool) isms.Action {
		return isms.Action{Description: "Step", Due: mt(due), Done: done}
	}
	treat := func(actions ...isms.Action) func(*isms.Risk) {
		return func(r *isms.Risk) { r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Actions: actions} }
	}
	cases := []struct {
		name   string
		risk   func() *isms.Risk // recorded at now by the test
		now    time.Time
		want   time.Time
		reason string
	}{
		{name: "review due (High: 90 days after creation)", risk: func() *isms.Risk { return declared(nil) }, now: at(day), want: at(90 * day)},
		{name: "review due from lastReviewed", now: at(day), want: at(140 * day), risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) { r.Spec.Review = &isms.RiskReview{LastReviewed: mt(at(50 * day))} })
		}},
		{name: "an undone action due before the review", now: at(day), want: at(10 * day),
			risk: func() *isms.Risk { return declared(treat(action(at(10*day), false), action(at(20*day), false))) }},
		{name: "a done action is not waited for", now: at(day), want: at(90 * day),
			risk: func() *isms.Risk { return declared(treat(action(at(10*day), true))) }},
		{name: "an action already past due is not waited for", now: at(day), want: at(90 * day),
			risk: func() *isms.Risk { return declared(treat(action(at(12*time.Hour), false))) }},
		{name: "acceptance expiry before actions and review", now: at(day), want: at(20 * day), risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Treatment = tolerate(at(20 * day))
				r.Spec.Treatment.Actions = []isms.Action{action(at(25*day), false)}
			})
		}},
		{name: "review overdue, acceptance expiry ahead", now: at(100 * day), want: at(120 * day), risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(120 * day)) })
		}},
		{name: "review overdue and nothing else: zero", now: at(100 * day), risk: func() *isms.Risk { return declared(nil) }},
		{name: "everything past: zero", now: at(100 * day), risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Treatment = tolerate(at(30 * day))
				r.Spec.Treatment.Actions = []isms.Action{action(at(10*day), false)}
			})
		}},
		{name: "Closed: neither review nor actions", now: at(day), risk: func() *isms.Risk {
			return declared(func(r *isms.Risk) {
				treat(action(at(10*day), false))(r)
				closure(&r.Spec)
			})
		}},
		{name: "Resolved Detected risk: zero", now: at(day), risk: func() *isms.Risk {
			risks := resolvedRegister(t)
			r := risks[indexOf(risks, enc01Risk)]
			return &r
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := recorded(tc.risk(), tc.now)
			got := RecheckAt(risk, tc.now)
			if !got.Equal(tc.want) {
				t.Errorf("RecheckAt() = %s, want %s", got, tc.want)
			}
			if got.IsZero() {
				return
			}
			// The status holds until the recheck time and changes at it.
			if before := Status(risk, nil, got.Add(-time.Second), npsa); !equality.Semantic.DeepEqual(risk.Status, before) {
				t.Errorf("the status changes before RecheckAt:\n%s", cmp.Diff(risk.Status, before, ignoreTransitionTime))
			}
			if after := Status(risk, nil, got, npsa); equality.Semantic.DeepEqual(risk.Status, after) {
				t.Errorf("the status does not change at RecheckAt %s", got)
			}
		})
	}
}
