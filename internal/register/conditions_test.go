package register

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

func TestStatusConditions(t *testing.T) {
	// rated is a Declared risk with the given likelihood and consequence.
	rated := func(likelihood, consequence int32) func(*testing.T) *isms.Risk {
		return func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) { r.Spec.Likelihood, r.Spec.Consequence = likelihood, consequence })
		}
	}
	withActions := func(actions ...isms.Action) func(*testing.T) *isms.Risk {
		return func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Plan: "Escrow", Actions: actions}
			})
		}
	}
	reviewed := func(last time.Time, interval time.Duration) func(*testing.T) *isms.Risk {
		return func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) {
				r.Spec.Review = &isms.RiskReview{LastReviewed: mt(last)}
				if interval > 0 {
					r.Spec.Review.Interval = &metav1.Duration{Duration: interval}
				}
			})
		}
	}
	declaredWith := func(change func(*isms.Risk)) func(*testing.T) *isms.Risk {
		return func(*testing.T) *isms.Risk { return declared(change) }
	}
	// A want with a status and no reason checks only the status: risk.md does not say which
	// reason AcceptanceExpired gives an unexpired acceptance that is refused (the code says
	// RiskAccepted, although the acceptance is not in force).
	type conditions struct {
		ReviewOverdue, ActionsOverdue, AcceptanceExpired, AcceptanceRefused, Ready, Stalled condition
	}
	unexpired := condition{Status: metav1.ConditionFalse}
	current := conditions{reviewCurrent, actionsOnTrack, notTolerated, notTolerated, readyEvaluated, noCondition}
	overdue := conditions{reviewDue, actionsOnTrack, notTolerated, notTolerated, readyEvaluated, noCondition}
	notLive := conditions{notApplicable, notApplicable, notApplicable, notApplicable, readyEvaluated, noCondition}
	second := time.Second
	cases := []struct {
		name string
		risk func(*testing.T) *isms.Risk
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
			name: "Closed: review, actions and acceptance not applicable",
			risk: declaredWith(func(r *isms.Risk) {
				closure(&r.Spec)
				r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Actions: []isms.Action{{Description: "Escrow", Due: mt(at(day))}}}
			}),
			now:  at(365 * day),
			want: notLive,
		},
		{
			name: "Closed and tolerated: acceptance conditions not applicable either",
			risk: declaredWith(func(r *isms.Risk) {
				tolerated(at(day30))(r)
				closure(&r.Spec)
			}),
			now:  at(day),
			want: notLive,
		},
		{
			name: "an undone action past due",
			risk: withActions(isms.Action{Description: "Sign escrow", Due: mt(at(10 * day))}),
			now:  at(11 * day),
			want: conditions{reviewCurrent, actionsPastDue, notTolerated, notTolerated, readyEvaluated, noCondition},
		},
		{
			name: "an undone action at its due instant is past due",
			risk: withActions(isms.Action{Description: "Sign escrow", Due: mt(at(10 * day))}),
			now:  at(10 * day),
			want: conditions{reviewCurrent, actionsPastDue, notTolerated, notTolerated, readyEvaluated, noCondition},
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
			want: conditions{reviewCurrent, actionsPastDue, notTolerated, notTolerated, readyEvaluated, noCondition},
		},
		{
			name: "a Treat decision is not tolerated",
			risk: withActions(),
			now:  at(day),
			want: current,
		},
		{
			name: "a tolerated risk within its acceptance",
			risk: declaredWith(tolerated(at(day30))),
			now:  at(day30 - second),
			want: conditions{reviewCurrent, actionsOnTrack, acceptedOK, acceptedOK, readyEvaluated, noCondition},
		},
		{
			name: "a tolerated risk whose acceptance expired",
			risk: declaredWith(tolerated(at(day30))),
			now:  at(day30),
			want: conditions{reviewCurrent, actionsOnTrack, expired, acceptedOK, readyEvaluated, noCondition},
		},
		{
			name: "a tolerated risk with an action past due",
			risk: declaredWith(func(r *isms.Risk) {
				tolerated(at(day30))(r)
				r.Spec.Treatment.Actions = []isms.Action{{Description: "Migrate", Due: mt(at(day))}}
			}),
			now:  at(2 * day),
			want: conditions{reviewCurrent, actionsPastDue, acceptedOK, acceptedOK, readyEvaluated, noCondition},
		},
		{
			name: "a tolerated risk above the appetite: AcceptanceRefused AboveAppetite",
			risk: declaredWith(func(r *isms.Risk) {
				tolerated(at(day30))(r)
				r.Spec.Consequence = 5
			}),
			now: at(day),
			want: conditions{ReviewOverdue: reviewCurrent, ActionsOverdue: actionsOnTrack, AcceptanceExpired: unexpired,
				AcceptanceRefused: refusedAbove, Ready: readyEvaluated},
		},
		{
			name: "a tolerated risk with no acceptor: AcceptanceRefused AcceptorNotRecorded",
			risk: declaredWith(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day30)) }),
			now:  at(day),
			want: conditions{ReviewOverdue: reviewCurrent, ActionsOverdue: actionsOnTrack, AcceptanceExpired: unexpired,
				AcceptanceRefused: refusedNoAcceptor, Ready: readyEvaluated},
		},
		{
			name: "a refused acceptance that expired: both conditions say so",
			risk: declaredWith(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day30)) }),
			now:  at(day30 + day),
			want: conditions{ReviewOverdue: reviewCurrent, ActionsOverdue: actionsOnTrack, AcceptanceExpired: expired,
				AcceptanceRefused: refusedNoAcceptor, Ready: readyEvaluated},
		},
		{
			name: "an Open record: live, Ready, not Stalled",
			risk: openRecord, now: at(day), want: current,
		},
		{
			name: "a Resolved record: review, actions and acceptance not applicable",
			risk: func(t *testing.T) *isms.Risk { return editedRisk(resolvedRecord(t), tolerated(at(day30))) },
			now:  at(200 * day), want: notLive,
		},
		{
			name: "a record whose status carries a Stalled condition from before: it is removed",
			risk: func(t *testing.T) *isms.Risk {
				r := openRecord(t)
				r.Status.Conditions = append(r.Status.Conditions, metav1.Condition{Type: isms.ConditionStalled,
					Status: metav1.ConditionTrue, Reason: isms.ReasonNotRegisterRecord, Message: "stale", LastTransitionTime: metav1.Time{Time: t0}})
				return r
			},
			now: at(day), want: current,
		},
		{
			name: "a Detected risk that is not a record: Stalled, not Ready",
			risk: func(*testing.T) *isms.Risk {
				r := detectedAt("epr-encryption-gap", testAssetName, isms.ControlEncryptedVolumes)
				r.CreationTimestamp = metav1.Time{Time: t0}
				return r
			},
			now: at(day),
			want: conditions{ReviewOverdue: reviewCurrent, ActionsOverdue: actionsOnTrack, AcceptanceExpired: notTolerated,
				AcceptanceRefused: notTolerated, Ready: readyNotRecord, Stalled: stalledNotRecord},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk(t)
			st := Status(risk, nil, tc.now, rules)
			got := conditions{
				ReviewOverdue:     conditionOf(st, isms.ConditionReviewOverdue),
				ActionsOverdue:    conditionOf(st, isms.ConditionActionsOverdue),
				AcceptanceExpired: conditionOf(st, isms.ConditionAcceptanceExpired),
				AcceptanceRefused: conditionOf(st, isms.ConditionAcceptanceRefused),
				Ready:             conditionOf(st, isms.ConditionReady),
				Stalled:           conditionOf(st, isms.ConditionStalled),
			}
			if tc.want.AcceptanceExpired.Status != "" && tc.want.AcceptanceExpired.Reason == "" {
				got.AcceptanceExpired.Reason = ""
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			for _, c := range st.Conditions {
				if c.Type != isms.ConditionControlFailing && c.ObservedGeneration != risk.Generation {
					t.Errorf("condition %s has observedGeneration %d, want %d", c.Type, c.ObservedGeneration, risk.Generation)
				}
				if c.Message == "" {
					t.Errorf("condition %s has no message", c.Type)
				}
			}
			if n := len(st.Conditions); n > 12 {
				t.Errorf("%d conditions, the API allows 12", n)
			}
		})
	}
}

// TestStatusConditionMessages: messages say what to do and name the state and score; they
// hold no timestamps finer than a date (style.md: stable messages).
func TestStatusConditionMessages(t *testing.T) {
	cases := []struct {
		name string
		risk func(*testing.T) *isms.Risk
		now  time.Time
		want map[string][]string
	}{
		{
			name: "an expired acceptance, a review and an action overdue",
			risk: func(*testing.T) *isms.Risk {
				return declared(func(r *isms.Risk) {
					tolerated(at(day30))(r)
					r.Spec.Treatment.Actions = []isms.Action{{Description: "Migrate the volume", Due: mt(at(day))}}
				})
			},
			now: at(100 * day),
			want: map[string][]string{
				isms.ConditionReviewOverdue:     {"2026-05-31", "spec.review.lastReviewed"},
				isms.ConditionActionsOverdue:    {"Migrate the volume", "2026-03-03"},
				isms.ConditionAcceptanceExpired: {"2026-04-01", "spec.treatment.acceptance.expires"},
				isms.ConditionAcceptanceRefused: {janeUser},
				isms.ConditionReady:             {"Open", "score 12 (High)", "likelihood 3 (Possible)", "consequence 4 (Major)"},
			},
		},
		{
			name: "a Tolerate decision above the appetite",
			risk: func(*testing.T) *isms.Risk {
				return declared(func(r *isms.Risk) {
					tolerated(at(day30))(r)
					r.Spec.Consequence = 5
				})
			},
			now: at(day),
			want: map[string][]string{
				isms.ConditionAcceptanceRefused: {"scores 15", "risk appetite of 12", "treat, transfer or terminate"},
				isms.ConditionReady:             {"Open", "score 15 (Extreme)"},
			},
		},
		{
			name: "a Tolerate decision with no acceptor recorded",
			risk: func(*testing.T) *isms.Risk {
				return declared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(day30)) })
			},
			now: at(day),
			want: map[string][]string{
				isms.ConditionAcceptanceRefused: {AnnotationAcceptedBy, "admission"},
			},
		},
		{
			name: "an Accepted risk",
			risk: func(*testing.T) *isms.Risk { return declared(tolerated(at(day30))) },
			now:  at(day),
			want: map[string][]string{
				isms.ConditionAcceptanceExpired: {"runs until 2026-04-01"},
				isms.ConditionAcceptanceRefused: {"within the risk appetite", janeUser},
				isms.ConditionReady:             {"Accepted", "score 12 (High)"},
			},
		},
		{
			name: "a Resolved record",
			risk: resolvedRecord,
			now:  at(day),
			want: map[string][]string{
				isms.ConditionControlFailing: {"The control passes"},
				isms.ConditionReviewOverdue:  {"Not applicable", "Resolved"},
				isms.ConditionReady:          {"Resolved", "score 10 (High)"},
			},
		},
		{
			name: "an Open record",
			risk: openRecord,
			now:  at(day),
			want: map[string][]string{
				isms.ConditionControlFailing: {"PersistentVolumeClaim/data-epr-0", "StorageClass standard does not encrypt volumes"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := Status(tc.risk(t), nil, tc.now, rules)
			for _, c := range st.Conditions {
				if strings.Contains(c.Message, "09:00") || strings.Contains(c.Message, "T09") {
					t.Errorf("%s message %q holds a time of day", c.Type, c.Message)
				}
			}
			for conditionType, parts := range tc.want {
				c := conditionMessage(st, conditionType)
				for _, part := range parts {
					if !strings.Contains(c, part) {
						t.Errorf("%s message %q does not say %q", conditionType, c, part)
					}
				}
			}
		})
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

func TestReviewDue(t *testing.T) {
	cases := []struct {
		name   string
		risk   *isms.Risk
		rating isms.Rating
		now    time.Time
		want   time.Time
	}{
		{name: "never reviewed: an interval after creation", risk: declared(nil), rating: isms.RatingHigh, now: at(day), want: at(90 * day)},
		{name: "reviewed: an interval after the last review", rating: isms.RatingExtreme, now: at(day), want: at(40 * day),
			risk: declared(func(r *isms.Risk) { r.Spec.Review = &isms.RiskReview{LastReviewed: mt(at(10 * day))} })},
		{name: "reviewed with its own interval", rating: isms.RatingLow, now: at(day), want: at(17 * day),
			risk: declared(func(r *isms.Risk) {
				r.Spec.Review = &isms.RiskReview{LastReviewed: mt(at(10 * day)), Interval: &metav1.Duration{Duration: 7 * day}}
			})},
		{name: "being created (no creationTimestamp): an interval after now", rating: isms.RatingModerate, now: at(day), want: at(181 * day),
			risk: declared(func(r *isms.Risk) { r.CreationTimestamp = metav1.Time{} })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReviewDue(tc.risk, tc.rating, tc.now); !got.Equal(tc.want) {
				t.Errorf("ReviewDue() = %s, want %s", got, tc.want)
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
		name string
		risk func(*testing.T) *isms.Risk // recorded at now by the test
		now  time.Time
		want time.Time
	}{
		{name: "review due (High: 90 days after creation)", risk: func(*testing.T) *isms.Risk { return declared(nil) }, now: at(day), want: at(90 * day)},
		{name: "review due from lastReviewed", now: at(day), want: at(140 * day), risk: func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) { r.Spec.Review = &isms.RiskReview{LastReviewed: mt(at(50 * day))} })
		}},
		{name: "an undone action due before the review", now: at(day), want: at(10 * day),
			risk: func(*testing.T) *isms.Risk {
				return declared(treat(action(at(10*day), false), action(at(20*day), false)))
			}},
		{name: "a done action is not waited for", now: at(day), want: at(90 * day),
			risk: func(*testing.T) *isms.Risk { return declared(treat(action(at(10*day), true))) }},
		{name: "an action already past due is not waited for", now: at(day), want: at(90 * day),
			risk: func(*testing.T) *isms.Risk { return declared(treat(action(at(12*time.Hour), false))) }},
		{name: "acceptance expiry before actions and review", now: at(day), want: at(20 * day), risk: func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) {
				tolerated(at(20 * day))(r)
				r.Spec.Treatment.Actions = []isms.Action{action(at(25*day), false)}
			})
		}},
		{name: "a refused acceptance's expiry still changes its conditions", now: at(day), want: at(20 * day), risk: func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) { r.Spec.Treatment = tolerate(at(20 * day)) })
		}},
		{name: "review overdue, acceptance expiry ahead", now: at(100 * day), want: at(120 * day), risk: func(*testing.T) *isms.Risk {
			return declared(tolerated(at(120 * day)))
		}},
		{name: "review overdue and nothing else: zero", now: at(100 * day), risk: func(*testing.T) *isms.Risk { return declared(nil) }},
		{name: "everything past: zero", now: at(100 * day), risk: func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) {
				tolerated(at(30 * day))(r)
				r.Spec.Treatment.Actions = []isms.Action{action(at(10*day), false)}
			})
		}},
		{name: "Closed: neither review nor actions", now: at(day), risk: func(*testing.T) *isms.Risk {
			return declared(func(r *isms.Risk) {
				treat(action(at(10*day), false))(r)
				closure(&r.Spec)
			})
		}},
		{name: "an Open record: its review", now: at(day), want: at(90 * day), risk: openRecord},
		{name: "a Resolved record, even tolerated: zero", now: at(day), risk: func(t *testing.T) *isms.Risk {
			return editedRisk(resolvedRecord(t), tolerated(at(20*day)))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := recorded(tc.risk(t), tc.now)
			got := RecheckAt(risk, tc.now)
			if !got.Equal(tc.want) {
				t.Errorf("RecheckAt() = %s, want %s", got, tc.want)
			}
			if got.IsZero() {
				return
			}
			// The status holds until the recheck time and changes at it.
			if before := Status(risk, nil, got.Add(-time.Second), rules); !equality.Semantic.DeepEqual(risk.Status, before) {
				t.Errorf("the status changes before RecheckAt:\n%s", cmp.Diff(risk.Status, before, ignoreTransitionTime))
			}
			if after := Status(risk, nil, got, rules); equality.Semantic.DeepEqual(risk.Status, after) {
				t.Errorf("the status does not change at RecheckAt %s", got)
			}
		})
	}
}

func TestRequestReview(t *testing.T) {
	created := t0
	closedAt := func(name string, d time.Duration) ClosedIncident {
		return ClosedIncident{Name: name, ClosedAt: created.Add(d)}
	}
	for name, tc := range map[string]struct {
		state        isms.RiskState
		lastReviewed time.Duration // after creation; 0 for never reviewed
		closed       []ClosedIncident
		wantIncident string // named in the request; "" for no request
	}{
		"no incident":                          {state: isms.StateOpen},
		"closed before the risk was recorded":  {state: isms.StateOpen, closed: []ClosedIncident{closedAt("old", -time.Hour)}},
		"closed since the risk was recorded":   {state: isms.StateOpen, closed: []ClosedIncident{closedAt("export", time.Hour)}, wantIncident: "export"},
		"closed in the second it was recorded": {state: isms.StateOpen, closed: []ClosedIncident{closedAt("export", 0)}, wantIncident: "export"},
		"accepted risks are reviewed too":      {state: isms.StateAccepted, closed: []ClosedIncident{closedAt("export", time.Hour)}, wantIncident: "export"},
		"resolved risks are reviewed too":      {state: isms.StateResolved, closed: []ClosedIncident{closedAt("export", time.Hour)}, wantIncident: "export"},
		"closed risks are not":                 {state: isms.StateClosed, closed: []ClosedIncident{closedAt("export", time.Hour)}},
		"reviewed since the closure":           {state: isms.StateOpen, lastReviewed: 2 * time.Hour, closed: []ClosedIncident{closedAt("export", time.Hour)}},
		"closed since the last review":         {state: isms.StateOpen, lastReviewed: time.Hour, closed: []ClosedIncident{closedAt("export", 2*time.Hour)}, wantIncident: "export"},
		"the latest closure is named":          {state: isms.StateOpen, closed: []ClosedIncident{closedAt("first", time.Hour), closedAt("second", 3*time.Hour), closedAt("old", -time.Hour)}, wantIncident: "second"},
	} {
		t.Run(name, func(t *testing.T) {
			risk := declared(func(r *isms.Risk) {
				r.CreationTimestamp = metav1.Time{Time: created}
				if tc.lastReviewed != 0 {
					r.Spec.Review = &isms.RiskReview{LastReviewed: mt(created.Add(tc.lastReviewed))}
				}
			})
			current := metav1.Condition{Type: isms.ConditionReviewOverdue, Status: metav1.ConditionFalse, Reason: isms.ReasonReviewCurrent, Message: "The next review is due by 2027-03-02."}
			st := isms.RiskStatus{State: tc.state, Conditions: []metav1.Condition{current}}
			RequestReview(risk, &st, tc.closed, created.Add(4*time.Hour))
			c := st.Conditions[0]
			if tc.wantIncident == "" {
				if diff := cmp.Diff(current, c); diff != "" {
					t.Errorf("ReviewOverdue changed with no incident to review for (-want +got):\n%s", diff)
				}
				return
			}
			if c.Status != metav1.ConditionTrue || c.Reason != isms.ReasonIncidentClosed || !strings.Contains(c.Message, "SecurityIncident "+tc.wantIncident+" ") ||
				!strings.Contains(c.Message, "spec.review.lastReviewed") {
				t.Errorf("ReviewOverdue = %+v; want True, IncidentClosed, naming %s and how to record the review", c, tc.wantIncident)
			}
		})
	}
}

// TestRequestReviewIsStable: deciding a risk again, an incident's review request standing,
// gives back the status it has, so the controller writes nothing.
func TestRequestReviewIsStable(t *testing.T) {
	risk := declared(nil)
	closed := []ClosedIncident{{Name: "export", ClosedAt: t0.Add(time.Hour)}}
	first := Status(risk, nil, t0.Add(2*time.Hour), rules)
	RequestReview(risk, &first, closed, t0.Add(2*time.Hour))
	risk.Status = first
	again := Status(risk, nil, t0.Add(5*time.Hour), rules)
	RequestReview(risk, &again, closed, t0.Add(5*time.Hour))
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the status changed with nothing new (-first +again):\n%s", diff)
	}
}
