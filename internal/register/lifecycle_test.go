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
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// stateOutcome is what TestStatusStates asserts of a status.
type stateOutcome struct {
	State      isms.RiskState
	Score      int32
	Rating     isms.Rating
	ClosedAt   time.Time
	NewHistory []entry
}

// TestStatusStates: the lifecycle people drive (risk.md "Lifecycle"): declaration,
// acceptance and its expiry, closure and its removal, re-assessment.
func TestStatusStates(t *testing.T) {
	cases := []struct {
		name string
		risk func(*testing.T) *isms.Risk
		// detection is what the risk controller observed (nil: no news).
		detection *Detection
		now       time.Time
		want      stateOutcome
	}{
		{
			name: "a new Declared risk is Open with reason Declared",
			risk: func(*testing.T) *isms.Risk { return declared(nil) },
			now:  t0,
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{t0, isms.StateOpen, isms.ReasonDeclared}}},
		},
		{
			name: "a new tolerated Declared risk is Accepted with reason Declared",
			risk: func(*testing.T) *isms.Risk { return declared(tolerated(at(day30))) },
			now:  t0,
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{t0, isms.StateAccepted, isms.ReasonDeclared}}},
		},
		{
			name: "a new Declared risk whose acceptance already expired is Open",
			risk: func(*testing.T) *isms.Risk { return declared(tolerated(t0.Add(-day))) },
			now:  t0,
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{t0, isms.StateOpen, isms.ReasonDeclared}}},
		},
		{
			name: "a new closed Declared risk is Closed with reason Declared, closedAt set",
			risk: func(*testing.T) *isms.Risk { return declared(func(r *isms.Risk) { closure(&r.Spec) }) },
			now:  t0,
			want: stateOutcome{State: isms.StateClosed, Score: 12, Rating: isms.RatingHigh, ClosedAt: t0,
				NewHistory: []entry{{t0, isms.StateClosed, isms.ReasonDeclared}}},
		},
		{
			name:      "a Declared risk ignores detections",
			risk:      func(*testing.T) *isms.Risk { return recorded(declared(nil), t0) },
			detection: failing(volume0),
			now:       at(time.Hour),
			want:      stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh},
		},
		{
			name: "an Open risk that is tolerated becomes Accepted",
			risk: func(*testing.T) *isms.Risk { return editedRisk(recorded(declared(nil), t0), tolerated(at(day30))) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "an Accepted risk whose acceptance expired is Open with reason AcceptanceExpired",
			risk: func(*testing.T) *isms.Risk { return recorded(declared(tolerated(at(day30))), t0) },
			now:  at(day30 + time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day30 + time.Hour), isms.StateOpen, isms.ReasonAcceptanceExpired}}},
		},
		{
			name: "an Accepted risk whose decision changes to Treat is Open with reason AcceptanceWithdrawn",
			risk: func(*testing.T) *isms.Risk { return edited(recorded(declared(tolerated(at(day30))), t0), treatInstead) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(time.Hour), isms.StateOpen, isms.ReasonAcceptanceWithdrawn}}},
		},
		{
			name: "an Accepted risk whose treatment is removed is Open with reason AcceptanceWithdrawn",
			risk: func(*testing.T) *isms.Risk {
				return edited(recorded(declared(tolerated(at(day30))), t0), func(s *isms.RiskSpec) { s.Treatment = nil })
			},
			now: at(time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(time.Hour), isms.StateOpen, isms.ReasonAcceptanceWithdrawn}}},
		},
		{
			name: "an expired acceptance that is renewed makes the risk Accepted again",
			risk: func(*testing.T) *isms.Risk {
				r := recorded(recorded(declared(tolerated(at(day30))), t0), at(day30+time.Hour))
				return editedRisk(r, tolerated(at(4*day30)))
			},
			now: at(day30 + 2*time.Hour),
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day30 + 2*time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "an Open risk whose spec.closure is set is Closed, closedAt set",
			risk: func(*testing.T) *isms.Risk { return edited(recorded(declared(nil), t0), closure) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateClosed, Score: 12, Rating: isms.RatingHigh, ClosedAt: at(time.Hour),
				NewHistory: []entry{{at(time.Hour), isms.StateClosed, isms.ReasonClosed}}},
		},
		{
			name: "an Accepted risk whose spec.closure is set is Closed",
			risk: func(*testing.T) *isms.Risk { return edited(recorded(declared(tolerated(at(day30))), t0), closure) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateClosed, Score: 12, Rating: isms.RatingHigh, ClosedAt: at(time.Hour),
				NewHistory: []entry{{at(time.Hour), isms.StateClosed, isms.ReasonClosed}}},
		},
		{
			name: "a Closed risk stays Closed, closedAt kept",
			risk: func(*testing.T) *isms.Risk {
				return recorded(edited(recorded(declared(nil), t0), closure), at(time.Hour))
			},
			now:  at(day),
			want: stateOutcome{State: isms.StateClosed, Score: 12, Rating: isms.RatingHigh, ClosedAt: at(time.Hour)},
		},
		{
			name: "removing the closure reopens the risk with reason Reopened, closedAt cleared",
			risk: func(*testing.T) *isms.Risk {
				return edited(recorded(edited(recorded(declared(nil), t0), closure), at(time.Hour)), unclose)
			},
			now: at(day),
			want: stateOutcome{State: isms.StateOpen, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day), isms.StateOpen, isms.ReasonReopened}}},
		},
		{
			name: "removing the closure of a tolerated risk makes it Accepted",
			risk: func(*testing.T) *isms.Risk {
				return edited(recorded(edited(recorded(declared(tolerated(at(day30))), t0), closure), at(time.Hour)), unclose)
			},
			now: at(day),
			want: stateOutcome{State: isms.StateAccepted, Score: 12, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(day), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "a re-assessment changes the score and rating, not the state",
			risk: func(*testing.T) *isms.Risk {
				return edited(recorded(declared(nil), t0), func(s *isms.RiskSpec) { s.Likelihood, s.Consequence = 5, 5 })
			},
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 25, Rating: isms.RatingExtreme},
		},
		{
			name: "a record with no news of the drift keeps its state; tolerating it makes it Accepted",
			risk: func(t *testing.T) *isms.Risk { return editedRisk(openRecord(t), tolerated(at(day30))) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}},
		},
		{
			name: "a record closed by a person, with no news of the drift, is Closed",
			risk: func(t *testing.T) *isms.Risk { return edited(openRecord(t), closure) },
			now:  at(time.Hour),
			want: stateOutcome{State: isms.StateClosed, Score: 10, Rating: isms.RatingHigh, ClosedAt: at(time.Hour),
				NewHistory: []entry{{at(time.Hour), isms.StateClosed, isms.ReasonClosed}}},
		},
		{
			name: "removing the closure of a record still failing reopens it with reason Reopened",
			risk: func(t *testing.T) *isms.Risk { return edited(closedRecord(t), unclose) },
			now:  at(2 * time.Hour),
			want: stateOutcome{State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(2 * time.Hour), isms.StateOpen, isms.ReasonReopened}}},
		},
		{
			name: "removing the closure of a record whose drift was corrected makes it Resolved",
			risk: func(t *testing.T) *isms.Risk { return edited(closedCorrectedRecord(t), unclose) },
			now:  at(3 * time.Hour),
			want: stateOutcome{State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh,
				NewHistory: []entry{{at(3 * time.Hour), isms.StateResolved, isms.ReasonReopened}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk(t)
			before := risk.DeepCopy()
			st := Status(risk, tc.detection, tc.now, rules)
			if diff := cmp.Diff(before, risk); diff != "" {
				t.Errorf("Status modified the Risk (-before +after):\n%s", diff)
			}
			got := stateOutcome{State: st.State, Score: st.Score, Rating: st.Rating, ClosedAt: timeOf(st.ClosedAt),
				NewHistory: newEntries(before.Status.History, st.History)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Status() (-want +got):\n%s", diff)
			}
			old := before.Status.History
			if diff := cmp.Diff(old, st.History[:min(len(old), len(st.History))], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Status rewrote the history (-before +after):\n%s", diff)
			}
			if st.ObservedGeneration != risk.Generation {
				t.Errorf("observedGeneration = %d, want the generation %d", st.ObservedGeneration, risk.Generation)
			}
			if risk.Spec.Source == isms.SourceDeclared {
				if st.FirstDetected != nil || st.LastDetected != nil || st.Occurrences != 0 || len(st.Evidence) != 0 ||
					conditionOf(st, isms.ConditionControlFailing) != noCondition {
					t.Errorf("a Declared risk got drift fields: %+v", st)
				}
			}
			for _, h := range st.History[min(len(old), len(st.History)):] {
				if h.Message == "" {
					t.Errorf("history entry %s/%s has no message", h.State, h.Reason)
				}
			}
		})
	}
}

// TestStatusAcceptance: the state machine checks a Tolerate decision itself (risk.md "Who
// may write what"): it is honoured only within the risk appetite and with an acceptor
// recorded by admission; otherwise the risk stays Open with AcceptanceRefused saying why.
func TestStatusAcceptance(t *testing.T) {
	type outcome struct {
		State             isms.RiskState
		NewHistory        []entry
		AcceptanceRefused condition
		AcceptedBy        *isms.AcceptedBy
	}
	annotations := func(by, atText string) func(*isms.Risk) {
		return func(r *isms.Risk) {
			r.Spec.Treatment = tolerate(at(day30))
			r.Annotations = map[string]string{}
			if by != "" {
				r.Annotations[AnnotationAcceptedBy] = by
			}
			if atText != "" {
				r.Annotations[AnnotationAcceptedAt] = atText
			}
		}
	}
	above := func(r *isms.Risk) { r.Spec.Consequence = 5 } // score 15
	both := func(changes ...func(*isms.Risk)) func(*isms.Risk) {
		return func(r *isms.Risk) {
			for _, c := range changes {
				c(r)
			}
		}
	}
	newDeclared := func(change func(*isms.Risk)) func(*testing.T) *isms.Risk {
		return func(*testing.T) *isms.Risk { return declared(change) }
	}
	appetite := func(n int32) *Rules { return &Rules{Matrix: riskmatrix.NPSA, Appetite: n} }
	declaredAt := func(state isms.RiskState) []entry { return []entry{{t0, state, isms.ReasonDeclared}} }
	cases := []struct {
		name  string
		risk  func(*testing.T) *isms.Risk
		d     *Detection
		rules *Rules // the default rules when nil
		now   time.Time
		want  outcome
	}{
		{
			name: "score 12, at the appetite of 12, acceptor recorded: Accepted",
			risk: newDeclared(tolerated(at(day30))), now: t0,
			want: outcome{isms.StateAccepted, declaredAt(isms.StateAccepted), acceptedOK, janeAccepted},
		},
		{
			name: "score 15, above the appetite: Open, AboveAppetite",
			risk: newDeclared(both(tolerated(at(day30)), above)), now: t0,
			want: outcome{isms.StateOpen, declaredAt(isms.StateOpen), refusedAbove, janeAccepted},
		},
		{
			name: "no acceptor recorded: Open, AcceptorNotRecorded",
			risk: newDeclared(annotations("", "")), now: t0,
			want: outcome{isms.StateOpen, declaredAt(isms.StateOpen), refusedNoAcceptor, nil},
		},
		{
			name: "accepted-by without accepted-at: AcceptorNotRecorded",
			risk: newDeclared(annotations(janeUser, "")), now: t0,
			want: outcome{isms.StateOpen, declaredAt(isms.StateOpen), refusedNoAcceptor, nil},
		},
		{
			name: "accepted-at that is not RFC 3339: AcceptorNotRecorded",
			risk: newDeclared(annotations(janeUser, "2026-03-01")), now: t0,
			want: outcome{isms.StateOpen, declaredAt(isms.StateOpen), refusedNoAcceptor, nil},
		},
		{
			name: "accepted-at without accepted-by: AcceptorNotRecorded",
			risk: newDeclared(annotations("", acceptedAtText)), now: t0,
			want: outcome{isms.StateOpen, declaredAt(isms.StateOpen), refusedNoAcceptor, nil},
		},
		{
			name: "above the appetite and no acceptor: AboveAppetite is the reason given",
			risk: newDeclared(both(annotations("", ""), above)), now: t0,
			want: outcome{isms.StateOpen, declaredAt(isms.StateOpen), refusedAbove, nil},
		},
		{
			name: "a trust's appetite of 15 honours a score of 15",
			risk: newDeclared(both(tolerated(at(day30)), above)), rules: appetite(15), now: t0,
			want: outcome{isms.StateAccepted, declaredAt(isms.StateAccepted), acceptedOK, janeAccepted},
		},
		{
			name: "a trust's appetite of 9 refuses a score of 12",
			risk: newDeclared(tolerated(at(day30))), rules: appetite(9), now: t0,
			want: outcome{isms.StateOpen, declaredAt(isms.StateOpen), refusedAbove, janeAccepted},
		},
		{
			name: "Accepted, re-assessed above the appetite: Open, AboveAppetite",
			risk: func(*testing.T) *isms.Risk { return editedRisk(recorded(declared(tolerated(at(day30))), t0), above) },
			now:  at(time.Hour),
			want: outcome{isms.StateOpen, []entry{{at(time.Hour), isms.StateOpen, isms.ReasonAboveAppetite}}, refusedAbove, janeAccepted},
		},
		{
			name:  "Accepted, the trust lowers its appetite: Open, AboveAppetite",
			risk:  func(*testing.T) *isms.Risk { return recorded(declared(tolerated(at(day30))), t0) },
			rules: appetite(9), now: at(time.Hour),
			want: outcome{isms.StateOpen, []entry{{at(time.Hour), isms.StateOpen, isms.ReasonAboveAppetite}}, refusedAbove, janeAccepted},
		},
		{
			name: "Accepted, the acceptor annotations removed: Open, AcceptorNotRecorded",
			risk: func(*testing.T) *isms.Risk {
				return editedRisk(recorded(declared(tolerated(at(day30))), t0), func(r *isms.Risk) { r.Annotations = nil })
			},
			now:  at(time.Hour),
			want: outcome{isms.StateOpen, []entry{{at(time.Hour), isms.StateOpen, isms.ReasonAcceptorNotRecorded}}, refusedNoAcceptor, nil},
		},
		{
			name: "refused for want of an acceptor, then recorded: Accepted, RiskAccepted",
			risk: func(*testing.T) *isms.Risk {
				return editedRisk(recorded(declared(annotations("", "")), t0), withAcceptor)
			},
			now:  at(time.Hour),
			want: outcome{isms.StateAccepted, []entry{{at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}, acceptedOK, janeAccepted},
		},
		{
			name: "refused above the appetite, then re-assessed within it: Accepted, RiskAccepted",
			risk: func(*testing.T) *isms.Risk {
				return editedRisk(recorded(declared(both(tolerated(at(day30)), above)), t0), func(r *isms.Risk) { r.Spec.Consequence = 4 })
			},
			now:  at(time.Hour),
			want: outcome{isms.StateAccepted, []entry{{at(time.Hour), isms.StateAccepted, isms.ReasonRiskAccepted}}, acceptedOK, janeAccepted},
		},
		{
			name: "a record re-assessed to 15 and tolerated stays Open",
			risk: func(t *testing.T) *isms.Risk {
				return editedRisk(openRecord(t), both(tolerated(at(day30)), func(r *isms.Risk) { r.Spec.Likelihood = 3 }))
			},
			d: failing(volume0), now: at(time.Hour),
			want: outcome{isms.StateOpen, nil, refusedAbove, janeAccepted},
		},
		{
			name: "a Resolved record tolerated without an acceptor: its drift recurs Open",
			risk: func(t *testing.T) *isms.Risk { return editedRisk(resolvedRecord(t), annotations("", "")) },
			d:    failing(volume1), now: at(3 * time.Hour),
			want: outcome{isms.StateOpen, []entry{{at(3 * time.Hour), isms.StateOpen, isms.ReasonDriftRecurred}}, refusedNoAcceptor, nil},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rules
			if tc.rules != nil {
				r = *tc.rules
			}
			risk := tc.risk(t)
			st := Status(risk, tc.d, tc.now, r)
			got := outcome{State: st.State, NewHistory: newEntries(risk.Status.History, st.History),
				AcceptanceRefused: conditionOf(st, isms.ConditionAcceptanceRefused), AcceptedBy: st.AcceptedBy}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Status() (-want +got):\n%s", diff)
			}
			if honoured := st.State == isms.StateAccepted; honoured != (got.AcceptanceRefused == acceptedOK) {
				t.Errorf("state %s with AcceptanceRefused %+v", st.State, got.AcceptanceRefused)
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
	cases := []struct {
		name string
		risk func() *isms.Risk
		want *isms.AcceptedBy
	}{
		{name: "Tolerate with both annotations", risk: annotated(janeUser, acceptedAtText, tolerate(at(day30))), want: janeAccepted},
		{name: "Tolerate expired: who accepted is still recorded", risk: annotated(janeUser, acceptedAtText, tolerate(t0.Add(-time.Hour))),
			want: janeAccepted},
		{name: "Tolerate with an offset: the instant is kept",
			risk: annotated(janeUser, "2026-03-01T15:30:00+01:00", tolerate(at(day30))), want: janeAccepted},
		{name: "Treat: annotations left from an earlier Tolerate are not an acceptance",
			risk: annotated(janeUser, acceptedAtText, &isms.Treatment{Decision: isms.DecisionTreat})},
		{name: "Transfer", risk: annotated(janeUser, acceptedAtText, &isms.Treatment{Decision: isms.DecisionTransfer})},
		{name: "no treatment", risk: annotated(janeUser, acceptedAtText, nil)},
		{name: "Tolerate without annotations", risk: annotated("", "", tolerate(at(day30)))},
		{name: "Tolerate without accepted-by", risk: annotated("", acceptedAtText, tolerate(at(day30)))},
		{name: "Tolerate with accepted-at unparsable", risk: annotated(janeUser, "yesterday", tolerate(at(day30)))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := Status(tc.risk(), nil, at(time.Hour), rules)
			if diff := cmp.Diff(tc.want, st.AcceptedBy, cmp.Comparer(func(a, b metav1.Time) bool { return a.Equal(&b) })); diff != "" {
				t.Errorf("acceptedBy (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("removing the Tolerate decision clears acceptedBy", func(t *testing.T) {
		r := recorded(annotated(janeUser, acceptedAtText, tolerate(at(day30)))(), t0)
		fatalIf(t, r.Status.AcceptedBy == nil, "setting up: acceptedBy not recorded")
		st := Status(edited(r, treatInstead), nil, at(time.Hour), rules)
		if st.AcceptedBy != nil {
			t.Errorf("acceptedBy = %+v after the decision changed to Treat, want nil", st.AcceptedBy)
		}
	})
}

// TestStatusUnchanged: a risk with nothing new gets back an equal status, so the
// controllers write nothing (style.md: no write when nothing changed).
func TestStatusUnchanged(t *testing.T) {
	newDeclared := func(change func(*isms.Risk)) func(*testing.T) *isms.Risk {
		return func(*testing.T) *isms.Risk { return declared(change) }
	}
	cases := []struct {
		name      string
		risk      func(*testing.T) *isms.Risk
		detection *Detection
		then, now time.Time
	}{
		{name: "Declared Open", risk: newDeclared(nil), then: t0, now: at(day)},
		{name: "Declared Accepted", risk: newDeclared(tolerated(at(day30))), then: t0, now: at(day)},
		{name: "Declared Closed", risk: newDeclared(func(r *isms.Risk) { closure(&r.Spec) }), then: t0, now: at(400 * day)},
		{name: "Declared Open, review overdue", risk: newDeclared(nil), then: at(100 * day), now: at(101 * day)},
		{name: "acceptance expired", risk: newDeclared(tolerated(at(day))), then: at(2 * day), now: at(3 * day)},
		{name: "acceptance refused", risk: newDeclared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day30)) }), then: t0, now: at(day)},
		{name: "an action past due", risk: newDeclared(func(r *isms.Risk) {
			r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Actions: []isms.Action{{Description: "Escrow", Due: mt(at(day))}}}
		}), then: at(2 * day), now: at(3 * day)},
		{name: "record Open, failing with the same evidence", risk: openRecord, detection: failing(volume0), then: at(time.Hour), now: at(2 * time.Hour)},
		{name: "record Open, no news", risk: openRecord, then: at(time.Hour), now: at(2 * time.Hour)},
		{name: "record Resolved, passing", risk: openRecord, detection: passing(), then: at(time.Hour), now: at(2 * time.Hour)},
		{name: "record Resolved, not Required", risk: openRecord, detection: atLevel(isms.LevelNotRequired, isms.OutcomeNotEvaluated),
			then: at(time.Hour), now: at(2 * time.Hour)},
		{name: "record Resolved, asset removed", risk: openRecord, detection: removed(), then: at(time.Hour), now: at(day)},
		{name: "record Accepted, failing", risk: acceptedRecord, detection: failing(volume0), then: at(2 * time.Hour), now: at(day)},
		{name: "record Closed, failing", risk: closedRecord, detection: failing(volume0), then: at(2 * time.Hour), now: at(day)},
		{name: "record never written, passing", risk: func(*testing.T) *isms.Risk { return newRecord() }, detection: passing(),
			then: at(time.Hour), now: at(2 * time.Hour)},
		{name: "Detected risk that is not a record", risk: func(*testing.T) *isms.Risk {
			r := detectedAt("epr-encryption-gap", testAssetName, isms.ControlEncryptedVolumes)
			r.CreationTimestamp = metav1.Time{Time: t0}
			return r
		}, detection: failing(volume0), then: t0, now: at(day)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk(t)
			risk.Status = Status(risk, tc.detection, tc.then, rules)
			got := Status(risk, tc.detection, tc.now, rules)
			if !equality.Semantic.DeepEqual(risk.Status, got) {
				t.Errorf("status changed with nothing new (-first +second):\n%s", cmp.Diff(risk.Status, got))
			}
		})
	}
}

// TestStatusHistoryMessages: each history entry says what happened (risk.md: the register
// is its own audit trail), naming what a reader needs: the finding, the occurrence, the
// level, the closure reason, the acceptor, the score against the appetite.
func TestStatusHistoryMessages(t *testing.T) {
	cases := []struct {
		name   string
		risk   func(*testing.T) *isms.Risk
		d      *Detection
		now    time.Time
		reason string // of the newest entry
		says   []string
		never  []string
	}{
		{name: "DriftDetected", risk: func(*testing.T) *isms.Risk { return newRecord() }, d: failing(volume0), now: t0,
			reason: isms.ReasonDriftDetected, says: []string{"ENC-01 started failing", volume0.Resource, volume0.Message}, never: []string{"occurrence"}},
		{name: "DriftRecurred", risk: resolvedRecord, d: failing(volume1), now: at(3 * time.Hour),
			reason: isms.ReasonDriftRecurred, says: []string{"ENC-01 started failing", volume1.Resource, "(occurrence 2)"}},
		{name: "DriftCorrected", risk: openRecord, d: passing(), now: at(time.Hour),
			reason: isms.ReasonDriftCorrected, says: []string{"ENC-01 passes again"}},
		{name: "AssetRemoved", risk: openRecord, d: removed(), now: at(time.Hour),
			reason: isms.ReasonAssetRemoved, says: []string{"asset no longer exists"}},
		{name: "ControlNoLongerRequired", risk: openRecord, d: atLevel(isms.LevelRecommended, isms.OutcomeFail), now: at(time.Hour),
			reason: isms.ReasonControlNoLongerRequired, says: []string{"ENC-01", "no longer Required", "Recommended"}},
		{name: "ControlRequiredAgain", risk: notRequiredRecord, d: failing(volume1), now: at(3 * time.Hour),
			reason: isms.ReasonControlRequiredAgain, says: []string{"ENC-01", "Required again", "same drift", volume1.Resource}, never: []string{"occurrence"}},
		{name: "Closed", risk: func(*testing.T) *isms.Risk { return edited(recorded(declared(nil), t0), closure) }, now: at(time.Hour),
			reason: isms.ReasonClosed, says: []string{"Contract extended to 2030"}},
		{name: "RiskAccepted", risk: func(*testing.T) *isms.Risk { return editedRisk(recorded(declared(nil), t0), tolerated(at(day30))) },
			now: at(time.Hour), reason: isms.ReasonRiskAccepted, says: []string{"2026-04-01", janeUser, "Legacy volume, migration planned"}},
		{name: "AcceptanceExpired", risk: func(*testing.T) *isms.Risk { return recorded(declared(tolerated(at(day30))), t0) }, now: at(day30),
			reason: isms.ReasonAcceptanceExpired, says: []string{"expired", "open again"}},
		{name: "AcceptanceWithdrawn", risk: func(*testing.T) *isms.Risk {
			return edited(recorded(declared(tolerated(at(day30))), t0), treatInstead)
		}, now: at(time.Hour), reason: isms.ReasonAcceptanceWithdrawn, says: []string{"withdrawn"}},
		{name: "AboveAppetite", risk: func(*testing.T) *isms.Risk {
			return editedRisk(recorded(declared(tolerated(at(day30))), t0), func(r *isms.Risk) { r.Spec.Consequence = 5 })
		}, now: at(time.Hour), reason: isms.ReasonAboveAppetite, says: []string{"scores 15", "risk appetite of 12", "open again"}},
		{name: "AcceptorNotRecorded", risk: func(*testing.T) *isms.Risk {
			return editedRisk(recorded(declared(tolerated(at(day30))), t0), func(r *isms.Risk) { r.Annotations = nil })
		}, now: at(time.Hour), reason: isms.ReasonAcceptorNotRecorded, says: []string{AnnotationAcceptedBy, "open again"}},
		{name: "Declared", risk: func(*testing.T) *isms.Risk { return declared(nil) }, now: t0,
			reason: isms.ReasonDeclared, says: []string{"Declared"}},
		{name: "NotRegisterRecord", risk: func(*testing.T) *isms.Risk {
			return detectedAt("epr-encryption-gap", testAssetName, isms.ControlEncryptedVolumes)
		}, now: t0, reason: isms.ReasonNotRegisterRecord, says: []string{"ENC-01", testAssetName, enc01Risk, "Declared risk"}},
		{name: "Reopened to Open", risk: func(*testing.T) *isms.Risk {
			return edited(recorded(edited(recorded(declared(nil), t0), closure), at(time.Hour)), unclose)
		}, now: at(day), reason: isms.ReasonReopened, says: []string{"The risk is Open."}, never: []string{"Closed"}},
		// The message names the state the risk moved to, not the Closed it left.
		{name: "Reopened to Resolved", risk: func(t *testing.T) *isms.Risk { return edited(closedCorrectedRecord(t), unclose) },
			now: at(3 * time.Hour), reason: isms.ReasonReopened, says: []string{"The risk is Resolved."}, never: []string{"Closed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk(t)
			st := Status(risk, tc.d, tc.now, rules)
			fatalIf(t, len(st.History) <= len(risk.Status.History), "no new history entry")
			newest := st.History[len(st.History)-1]
			fatalIf(t, newest.Reason != tc.reason, "the newest entry is %s, want %s", newest.Reason, tc.reason)
			for _, s := range tc.says {
				if !strings.Contains(newest.Message, s) {
					t.Errorf("message %q does not say %q", newest.Message, s)
				}
			}
			for _, s := range tc.never {
				if strings.Contains(newest.Message, s) {
					t.Errorf("message %q says %q", newest.Message, s)
				}
			}
		})
	}
}
