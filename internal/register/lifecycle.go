package register

import (
	"fmt"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// Annotations the admission webhook sets on a Risk when a person makes or changes a
// Tolerate decision; the webhook overwrites whatever a client sends in them.
const (
	AnnotationAcceptedBy = "isms.nhs.uk/accepted-by"
	AnnotationAcceptedAt = "isms.nhs.uk/accepted-at"
)

const (
	// MaxHistory is how many transitions a Risk keeps, newest last.
	MaxHistory = 50
	// maxEvidence bounds the findings a Risk quotes.
	maxEvidence = 16
	// maxMessage is the longest history message the API accepts.
	maxMessage = 1024
	day        = 24 * time.Hour
)

// Detection is what the asset controller observed of a Detected risk's control.
type Detection struct {
	// Failing is whether the control fails at level Required.
	Failing bool
	// Evidence are the findings behind a failure.
	Evidence []isms.Finding
	// AssetRemoved says the asset is being deleted (Failing is then false).
	AssetRemoved bool
}

// Status returns the risk's status brought up to date at now: the drift from d (nil when
// there is no news of it), the score and rating, the state with a history entry for each
// change, who accepted it, and the conditions. It starts from the current status, so a
// risk with nothing new gets back an equal status and causes no write.
func Status(risk *isms.Risk, d *Detection, now time.Time, m riskmatrix.Matrix) isms.RiskStatus {
	now = now.Truncate(time.Second) // what the API keeps of a time
	st := *risk.Status.DeepCopy()
	spec := &risk.Spec
	st.ObservedGeneration = risk.Generation
	st.Score, st.Rating = m.Rate(spec.Likelihood, spec.Consequence)

	var driftReason string
	if d != nil && spec.Source == isms.SourceDetected {
		driftReason = observeDrift(&st, d, now)
	}
	if spec.Closure == nil {
		st.ClosedAt = nil
	}
	if state := nextState(spec, &st, now); state != st.State {
		reason := transitionReason(spec, st.State, state, driftReason, now)
		if state == isms.StateClosed {
			st.ClosedAt = &metav1.Time{Time: now}
		}
		st.History = append(st.History, isms.HistoryEntry{At: metav1.Time{Time: now}, State: state, Reason: reason,
			Message: truncate(transitionMessage(risk, &st, state, reason), maxMessage)})
		if len(st.History) > MaxHistory {
			st.History = st.History[len(st.History)-MaxHistory:]
		}
		st.State = state
	}
	st.AcceptedBy = acceptedBy(risk)
	setConditions(risk, &st, now)
	return st
}

// observeDrift records a detection in the status and returns the reason of the drift
// transition it makes ("" when the drift neither started nor ended).
func observeDrift(st *isms.RiskStatus, d *Detection, now time.Time) string {
	was := meta.FindStatusCondition(st.Conditions, isms.ConditionControlFailing)
	failing := was != nil && was.Status == metav1.ConditionTrue
	at := &metav1.Time{Time: now}
	var reason string
	switch {
	case d.Failing && !failing:
		reason = isms.ReasonDriftRecurred
		if st.FirstDetected == nil {
			st.FirstDetected, reason = at, isms.ReasonDriftDetected
		}
		st.LastDetected = at
		st.Occurrences++
	case !d.Failing && failing:
		st.ResolvedAt = at
		reason = isms.ReasonDriftCorrected
		if d.AssetRemoved {
			reason = isms.ReasonAssetRemoved
		}
	}
	if d.Failing {
		st.Evidence = d.Evidence
		if len(st.Evidence) > maxEvidence {
			st.Evidence = st.Evidence[:maxEvidence]
		}
	}
	c := metav1.Condition{Type: isms.ConditionControlFailing, Status: metav1.ConditionFalse, Reason: isms.ReasonDriftCorrected,
		Message: "The control passes."}
	switch {
	case d.Failing:
		c.Status, c.Reason = metav1.ConditionTrue, isms.ReasonDriftDetected
		c.Message = "The control fails"
		if len(d.Evidence) > 0 {
			c.Message += fmt.Sprintf(": %s: %s", d.Evidence[0].Resource, d.Evidence[0].Message)
		}
	case !failing && was != nil:
		c = *was // the drift was already gone: keep its reason and message
	case d.AssetRemoved:
		c.Reason, c.Message = isms.ReasonAssetRemoved, "The asset was deleted."
	}
	meta.SetStatusCondition(&st.Conditions, c)
	return reason
}

// nextState is where the risk belongs now (risk.md "Lifecycle"):
//   - Closed while spec.closure is set, unless a Detected risk's drift started again
//     after it was closed;
//   - a Detected risk whose control passes is Resolved;
//   - a risk with an unexpired Tolerate decision is Accepted;
//   - otherwise Open.
//
// A Detected risk the asset controller has not yet reported on stays as it is.
func nextState(spec *isms.RiskSpec, st *isms.RiskStatus, now time.Time) isms.RiskState {
	detected := spec.Source == isms.SourceDetected
	failing := meta.FindStatusCondition(st.Conditions, isms.ConditionControlFailing)
	if detected && failing == nil {
		return st.State
	}
	if spec.Closure != nil {
		recurred := detected && st.ClosedAt != nil && st.LastDetected != nil && st.LastDetected.After(st.ClosedAt.Time)
		if !recurred {
			return isms.StateClosed
		}
	}
	switch {
	case detected && failing.Status != metav1.ConditionTrue:
		return isms.StateResolved
	case accepted(spec, now):
		return isms.StateAccepted
	}
	return isms.StateOpen
}

// accepted reports whether a Tolerate decision with an unexpired acceptance is in force.
func accepted(spec *isms.RiskSpec, now time.Time) bool {
	t := spec.Treatment
	return t != nil && t.Decision == isms.DecisionTolerate && t.Acceptance != nil && now.Before(t.Acceptance.Expires.Time)
}

func transitionReason(spec *isms.RiskSpec, from, to isms.RiskState, driftReason string, now time.Time) string {
	switch {
	case from == "" && spec.Source == isms.SourceDeclared:
		return isms.ReasonDeclared
	case driftReason != "" && to != isms.StateClosed:
		return driftReason
	case to == isms.StateClosed:
		return isms.ReasonClosed
	case to == isms.StateAccepted:
		return isms.ReasonRiskAccepted
	case from == isms.StateAccepted && spec.Treatment != nil && spec.Treatment.Decision == isms.DecisionTolerate:
		return isms.ReasonAcceptanceExpired
	case from == isms.StateAccepted:
		return isms.ReasonAcceptanceWithdrawn
	}
	return isms.ReasonReopened
}

func transitionMessage(risk *isms.Risk, st *isms.RiskStatus, state isms.RiskState, reason string) string {
	switch reason {
	case isms.ReasonDriftDetected, isms.ReasonDriftRecurred:
		msg := fmt.Sprintf("%s started failing", risk.Spec.Control)
		if len(st.Evidence) > 0 {
			msg += fmt.Sprintf(": %s: %s", st.Evidence[0].Resource, st.Evidence[0].Message)
		}
		if st.Occurrences > 1 {
			msg += fmt.Sprintf(" (occurrence %d)", st.Occurrences)
		}
		return msg
	case isms.ReasonDriftCorrected:
		return fmt.Sprintf("%s passes again.", risk.Spec.Control)
	case isms.ReasonAssetRemoved:
		return "The asset was deleted; the risk is kept as history."
	case isms.ReasonClosed:
		return "Closed: " + risk.Spec.Closure.Reason
	case isms.ReasonRiskAccepted:
		return fmt.Sprintf("Tolerated until %s: %s", risk.Spec.Treatment.Acceptance.Expires.UTC().Format(time.DateOnly), risk.Spec.Treatment.Acceptance.Justification)
	case isms.ReasonAcceptanceExpired:
		return "The acceptance expired; the risk is open again."
	case isms.ReasonAcceptanceWithdrawn:
		return "The Tolerate decision was withdrawn."
	case isms.ReasonDeclared:
		return "Declared in the register."
	}
	return fmt.Sprintf("The risk is %s.", state)
}

// truncate shortens s to at most n bytes, ending with an ellipsis, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// acceptedBy is who made the Tolerate decision, as the admission webhook recorded it.
func acceptedBy(risk *isms.Risk) *isms.AcceptedBy {
	username := risk.Annotations[AnnotationAcceptedBy]
	at, err := time.Parse(time.RFC3339, risk.Annotations[AnnotationAcceptedAt])
	if t := risk.Spec.Treatment; t == nil || t.Decision != isms.DecisionTolerate || username == "" || err != nil {
		return nil
	}
	return &isms.AcceptedBy{Username: username, At: metav1.Time{Time: at}}
}

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

// setConditions sets Ready, ReviewOverdue, AcceptanceExpired and ActionsOverdue.
func setConditions(risk *isms.Risk, st *isms.RiskStatus, now time.Time) {
	set := func(c metav1.Condition) {
		c.ObservedGeneration = risk.Generation
		meta.SetStatusCondition(&st.Conditions, c)
	}
	notApplicable := func(conditionType string) {
		set(metav1.Condition{Type: conditionType, Status: metav1.ConditionFalse, Reason: isms.ReasonNotApplicable,
			Message: fmt.Sprintf("Not applicable while the risk is %s.", st.State)})
	}

	if !live(st.State) {
		notApplicable(isms.ConditionReviewOverdue)
	} else if due := ReviewDue(risk, st.Rating, now); now.Before(due) {
		set(metav1.Condition{Type: isms.ConditionReviewOverdue, Status: metav1.ConditionFalse, Reason: isms.ReasonReviewCurrent,
			Message: fmt.Sprintf("The next review is due by %s.", due.UTC().Format(time.DateOnly))})
	} else {
		set(metav1.Condition{Type: isms.ConditionReviewOverdue, Status: metav1.ConditionTrue, Reason: isms.ReasonReviewDue,
			Message: fmt.Sprintf("The review was due by %s; record it by setting spec.review.lastReviewed.", due.UTC().Format(time.DateOnly))})
	}

	if t := risk.Spec.Treatment; !live(st.State) {
		notApplicable(isms.ConditionAcceptanceExpired)
	} else if t == nil || t.Decision != isms.DecisionTolerate || t.Acceptance == nil {
		set(metav1.Condition{Type: isms.ConditionAcceptanceExpired, Status: metav1.ConditionFalse, Reason: isms.ReasonNotApplicable,
			Message: "The risk is not tolerated."})
	} else if expires := t.Acceptance.Expires.Time; now.Before(expires) {
		set(metav1.Condition{Type: isms.ConditionAcceptanceExpired, Status: metav1.ConditionFalse, Reason: isms.ReasonRiskAccepted,
			Message: fmt.Sprintf("Accepted until %s.", expires.UTC().Format(time.DateOnly))})
	} else {
		set(metav1.Condition{Type: isms.ConditionAcceptanceExpired, Status: metav1.ConditionTrue, Reason: isms.ReasonAcceptanceExpired,
			Message: fmt.Sprintf("The acceptance expired on %s; renew it (spec.treatment.acceptance.expires) or treat the risk.", expires.UTC().Format(time.DateOnly))})
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

	ready := fmt.Sprintf("%s: score %d (%s), likelihood %d (%s) x consequence %d (%s).", st.State, st.Score, st.Rating,
		risk.Spec.Likelihood, riskmatrix.Likelihood(risk.Spec.Likelihood), risk.Spec.Consequence, riskmatrix.Consequence(risk.Spec.Consequence))
	if st.State == "" {
		ready = "Waiting for the operator's first report on the control."
	}
	set(metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionTrue, Reason: isms.ReasonEvaluated, Message: ready})
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
