package register

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// ReviewInterval is the risk's review interval: its own, else by rating (risk.md):
// Extreme 30 days, High 90, Moderate 180, Low 365.
func ReviewInterval(risk *isms.Risk, rating isms.Rating) time.Duration {
	if r := risk.Spec.Review; r != nil && r.Interval != nil {
		return r.Interval.Duration
	}
	switch rating {
	case isms.RatingExtreme:
		return 30 * day
	case isms.RatingHigh:
		return 90 * day
	case isms.RatingModerate:
		return 180 * day
	}
	return 365 * day
}

// ReviewDue is when the risk's next review is due: an interval after the last review, or
// after the risk was recorded.
func ReviewDue(risk *isms.Risk, rating isms.Rating, now time.Time) time.Time {
	last := risk.CreationTimestamp.Time
	switch {
	case risk.Spec.Review != nil && risk.Spec.Review.LastReviewed != nil:
		last = risk.Spec.Review.LastReviewed.Time
	case last.IsZero(): // a Risk being created is recorded now
		last = now
	}
	return last.Add(ReviewInterval(risk, rating))
}

// live reports whether a state needs reviews and actions (Open or Accepted).
func live(state isms.RiskState) bool {
	return state == isms.StateOpen || state == isms.StateAccepted
}

// setConditions sets Ready, ReviewOverdue, AcceptanceExpired, AcceptanceRefused,
// ActionsOverdue and, for a Detected risk that is not the register's record, Stalled.
func setConditions(risk *isms.Risk, st *isms.RiskStatus, record bool, v verdict, now time.Time) {
	set := func(c metav1.Condition) {
		c.ObservedGeneration = risk.Generation
		if c.LastTransitionTime.IsZero() {
			c.LastTransitionTime = metav1.Time{Time: now}
		}
		meta.SetStatusCondition(&st.Conditions, c)
	}
	notApplicable := func(conditionType string) {
		set(metav1.Condition{Type: conditionType, Status: metav1.ConditionFalse, Reason: isms.ReasonNotApplicable,
			Message: fmt.Sprintf("Not applicable while the risk is %s.", st.State)})
	}
	t := risk.Spec.Treatment

	if !live(st.State) {
		notApplicable(isms.ConditionReviewOverdue)
	} else if due := ReviewDue(risk, st.Rating, now); now.Before(due) {
		set(metav1.Condition{Type: isms.ConditionReviewOverdue, Status: metav1.ConditionFalse, Reason: isms.ReasonReviewCurrent,
			Message: fmt.Sprintf("The next review is due by %s.", due.UTC().Format(time.DateOnly))})
	} else {
		set(metav1.Condition{Type: isms.ConditionReviewOverdue, Status: metav1.ConditionTrue, Reason: isms.ReasonReviewDue,
			Message: fmt.Sprintf("The review was due by %s; record it by setting spec.review.lastReviewed.", due.UTC().Format(time.DateOnly))})
	}

	switch {
	case !live(st.State):
		notApplicable(isms.ConditionAcceptanceExpired)
	case !v.tolerated:
		set(metav1.Condition{Type: isms.ConditionAcceptanceExpired, Status: metav1.ConditionFalse, Reason: isms.ReasonNotApplicable,
			Message: "The risk is not tolerated."})
	case !v.expired:
		set(metav1.Condition{Type: isms.ConditionAcceptanceExpired, Status: metav1.ConditionFalse, Reason: isms.ReasonRiskAccepted,
			Message: fmt.Sprintf("The acceptance runs until %s.", t.Acceptance.Expires.UTC().Format(time.DateOnly))})
	default:
		set(metav1.Condition{Type: isms.ConditionAcceptanceExpired, Status: metav1.ConditionTrue, Reason: isms.ReasonAcceptanceExpired,
			Message: fmt.Sprintf("The acceptance expired on %s; renew it (spec.treatment.acceptance.expires) or treat the risk.", t.Acceptance.Expires.UTC().Format(time.DateOnly))})
	}

	switch {
	case !live(st.State):
		notApplicable(isms.ConditionAcceptanceRefused)
	case !v.tolerated:
		set(metav1.Condition{Type: isms.ConditionAcceptanceRefused, Status: metav1.ConditionFalse, Reason: isms.ReasonNotApplicable,
			Message: "The risk is not tolerated."})
	case v.refusal != "":
		set(metav1.Condition{Type: isms.ConditionAcceptanceRefused, Status: metav1.ConditionTrue, Reason: v.refusal,
			Message: refusalMessage(v.refusal, st.Score, v.appetite)})
	default:
		set(metav1.Condition{Type: isms.ConditionAcceptanceRefused, Status: metav1.ConditionFalse, Reason: isms.ReasonRiskAccepted,
			Message: fmt.Sprintf("The Tolerate decision is within the risk appetite and was accepted by %s.", risk.Annotations[AnnotationAcceptedBy])})
	}

	if !live(st.State) {
		notApplicable(isms.ConditionActionsOverdue)
	} else if overdue := overdueActions(risk, now); len(overdue) > 0 {
		set(metav1.Condition{Type: isms.ConditionActionsOverdue, Status: metav1.ConditionTrue, Reason: isms.ReasonActionsPastDue,
			Message: fmt.Sprintf("%d action(s) past due and not done, the first: %s", len(overdue), overdue[0])})
	} else {
		set(metav1.Condition{Type: isms.ConditionActionsOverdue, Status: metav1.ConditionFalse, Reason: isms.ReasonActionsOnTrack,
			Message: "No action is past due."})
	}

	ready := metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionTrue, Reason: isms.ReasonEvaluated,
		Message: fmt.Sprintf("%s: score %d (%s), likelihood %d (%s) x consequence %d (%s).", st.State, st.Score, st.Rating,
			risk.Spec.Likelihood, riskmatrix.Likelihood(risk.Spec.Likelihood), risk.Spec.Consequence, riskmatrix.Consequence(risk.Spec.Consequence))}
	if risk.Spec.Source == isms.SourceDetected && !record {
		stalled := metav1.Condition{Type: isms.ConditionStalled, Status: metav1.ConditionTrue, Reason: isms.ReasonNotRegisterRecord,
			Message: notRecordMessage(risk)}
		set(stalled)
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, stalled.Reason, stalled.Message
	} else {
		meta.RemoveStatusCondition(&st.Conditions, isms.ConditionStalled)
	}
	set(ready)
}

func overdueActions(risk *isms.Risk, now time.Time) []string {
	var overdue []string
	if t := risk.Spec.Treatment; t != nil {
		for _, a := range t.Actions {
			if !a.Done && a.Due != nil && !now.Before(a.Due.Time) {
				overdue = append(overdue, fmt.Sprintf("%q due %s", a.Description, a.Due.UTC().Format(time.DateOnly)))
			}
		}
	}
	return overdue
}

// RecheckAt is the next time the risk's status changes with nothing else changing: a
// review, an acceptance expiry or an action falling due. Zero when nothing will.
func RecheckAt(risk *isms.Risk, now time.Time) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if live(risk.Status.State) {
		consider(ReviewDue(risk, risk.Status.Rating, now))
		if t := risk.Spec.Treatment; t != nil {
			for _, a := range t.Actions {
				if !a.Done && a.Due != nil {
					consider(a.Due.Time)
				}
			}
		}
	}
	if t := risk.Spec.Treatment; live(risk.Status.State) && t != nil && t.Decision == isms.DecisionTolerate && t.Acceptance != nil {
		consider(t.Acceptance.Expires.Time)
	}
	return next
}

// ClosedIncident is a SecurityIncident, closed, against a risk's asset.
type ClosedIncident struct {
	Name     string
	ClosedAt time.Time
}

// RequestReview makes the review of a risk that is not Closed due when an incident against
// its asset closed at or after its last review (spec.review.lastReviewed, else its
// creation; a review in the same second may not have known of it): the
// incident may show its likelihood or consequence was wrong. It asks, through ReviewOverdue
// with reason IncidentClosed, and changes nothing else; recording the review clears it.
func RequestReview(risk *isms.Risk, st *isms.RiskStatus, closed []ClosedIncident, now time.Time) {
	if st.State == isms.StateClosed {
		return
	}
	last := risk.CreationTimestamp.Time
	if r := risk.Spec.Review; r != nil && r.LastReviewed != nil {
		last = r.LastReviewed.Time
	}
	var latest *ClosedIncident
	for i, c := range closed {
		if !c.ClosedAt.Before(last) && (latest == nil || c.ClosedAt.After(latest.ClosedAt) ||
			(c.ClosedAt.Equal(latest.ClosedAt) && c.Name < latest.Name)) {
			latest = &closed[i]
		}
	}
	if latest == nil {
		return
	}
	// Status decided the condition without the incident: its transition is the one the
	// stored status records, when the review was already due.
	since := metav1.Time{Time: now.Truncate(time.Second)}
	if was := meta.FindStatusCondition(risk.Status.Conditions, isms.ConditionReviewOverdue); was != nil && was.Status == metav1.ConditionTrue {
		since = was.LastTransitionTime
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: isms.ConditionReviewOverdue, Status: metav1.ConditionTrue,
		Reason: isms.ReasonIncidentClosed, ObservedGeneration: risk.Generation, LastTransitionTime: since,
		Message: fmt.Sprintf("SecurityIncident %s against the asset closed on %s, since the risk was last reviewed: review the likelihood and consequence in its light, then record the review in spec.review.lastReviewed.",
			latest.Name, latest.ClosedAt.UTC().Format(time.DateOnly))})
}
