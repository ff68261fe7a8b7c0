package register

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// Annotations the admission webhook sets on a Risk when a person makes or changes a
// Tolerate decision. The ValidatingAdmissionPolicy isms-risk-acceptor lets no request set
// them to anyone but the requesting user, so they hold who accepted even when the webhook
// did not run.
const (
	AnnotationAcceptedBy = "isms.nhs.uk/accepted-by"
	AnnotationAcceptedAt = "isms.nhs.uk/accepted-at"
)

const (
	// MaxHistory is how many entries a Risk's history keeps, newest last.
	MaxHistory = 50
	// maxEvidence bounds the findings a Risk quotes.
	maxEvidence = 16
	day         = 24 * time.Hour
)

// Rules are the trust's settings the register applies to every Risk.
type Rules struct {
	// Matrix rates scores (riskmatrix.NPSA unless the trust sets its own bands).
	Matrix riskmatrix.Matrix
	// Appetite is the highest score a risk may have and be tolerated.
	Appetite int32
}

// Detection is what the risk controller observed, from its asset's status, of the control
// a Detected risk records.
type Detection struct {
	// AssetRemoved says the asset no longer exists.
	AssetRemoved bool
	// Level is the control's level for the asset.
	Level isms.ControlLevel
	// Outcome is the control's outcome for the asset: Pass, Fail (at its level), or
	// NotEvaluated (a control that is not Required; a Required one not evaluated decides
	// nothing and is no detection).
	Outcome isms.ControlOutcomeStatus
	// Evidence are the findings behind a failure at level Required.
	Evidence []isms.Finding
}

// requiredFailing reports whether the detection is a drift the register records: the
// control fails at level Required for an asset that exists.
func (d *Detection) requiredFailing() bool {
	return !d.AssetRemoved && d.Level == isms.LevelRequired && d.Outcome == isms.OutcomeFail
}

// Status returns the risk's status brought up to date at now: the drift from d (nil when
// there is no news of it), the score and rating, the state with a history entry for each
// change, who accepted it, and the conditions. It starts from the current status, so a
// risk with nothing new gets back an equal status and causes no write.
//
// The state is always the one the history last recorded: a state written by anyone but
// the register is put back, with no history entry for a transition that never happened.
// A Detected risk with no state yet (the operator raised it and stopped before its first
// status) is finished as its creation says: Open, detected when it was created.
func Status(risk *isms.Risk, d *Detection, now time.Time, rules Rules) isms.RiskStatus {
	now = now.Truncate(time.Second) // what the API keeps of a time
	st := *risk.Status.DeepCopy()
	spec := &risk.Spec
	st.ObservedGeneration = risk.Generation
	st.Score, st.Rating = rules.Matrix.Rate(spec.Likelihood, spec.Consequence)
	st.State = recordedState(st.History)

	record := IsRecord(risk)
	var driftReason string
	if record {
		if st.State == "" {
			recordDetection(risk, &st, d, now)
		}
		if d != nil {
			driftReason = observeDrift(&st, d, now)
		}
	}
	if spec.Closure == nil {
		st.ClosedAt = nil
	}
	decision := judgeAcceptance(risk, st.Score, now, rules)
	if state := nextState(spec, &st, record, decision); state != st.State {
		reason := transitionReason(spec, record, st.State, state, driftReason, decision)
		if state == isms.StateClosed {
			st.ClosedAt = &metav1.Time{Time: now}
		}
		st.History = appendHistory(st.History, isms.HistoryEntry{At: metav1.Time{Time: now}, State: state, Reason: reason,
			Message: transitionMessage(risk, &st, d, state, reason, decision)})
		st.State = state
	}
	st.AcceptedBy = acceptedBy(risk)
	setConditions(risk, &st, record, decision, now)
	return st
}

// recordedState is the state the history last recorded; "" for a risk never recorded.
func recordedState(history []isms.HistoryEntry) isms.RiskState {
	if len(history) == 0 {
		return ""
	}
	return history[len(history)-1].State
}

// recordDetection records a Detected risk's creation as its detection: only the operator
// raises Detected risks, and only when it saw the control fail at level Required.
func recordDetection(risk *isms.Risk, st *isms.RiskStatus, d *Detection, now time.Time) {
	at := metav1.Time{Time: risk.CreationTimestamp.Truncate(time.Second)}
	if at.IsZero() {
		at.Time = now
	}
	st.FirstDetected, st.LastDetected, st.Occurrences = &at, &at, 1
	if d != nil && d.requiredFailing() {
		st.Evidence = boundedEvidence(d.Evidence)
	}
	meta.SetStatusCondition(&st.Conditions, failingCondition(st.Evidence, at))
	st.History = appendHistory(st.History, isms.HistoryEntry{At: at, State: isms.StateOpen, Reason: isms.ReasonDriftDetected,
		Message: startedFailing(risk.Spec.Control, st.Evidence, 1)})
	st.State = isms.StateOpen
}

// observeDrift records a detection in the status and returns the reason of the drift
// transition it makes ("" when the drift neither started nor ended).
func observeDrift(st *isms.RiskStatus, d *Detection, now time.Time) string {
	was := meta.FindStatusCondition(st.Conditions, isms.ConditionControlFailing)
	wasFailing := was != nil && was.Status == metav1.ConditionTrue
	failing := d.requiredFailing()
	at := &metav1.Time{Time: now}
	var reason string
	switch {
	case failing && !wasFailing && was != nil && was.Reason == isms.ReasonControlNoLongerRequired:
		// It never stopped failing: the same drift, Required again.
		reason = isms.ReasonControlRequiredAgain
	case failing && !wasFailing:
		reason = isms.ReasonDriftRecurred
		st.LastDetected = at
		st.Occurrences++
	case !failing && wasFailing:
		st.ResolvedAt = at
		reason = resolution(d)
	}
	if failing {
		st.Evidence = boundedEvidence(d.Evidence)
		meta.SetStatusCondition(&st.Conditions, failingCondition(st.Evidence, *at))
		return reason
	}
	c := metav1.Condition{Type: isms.ConditionControlFailing, Status: metav1.ConditionFalse, LastTransitionTime: *at, Reason: resolution(d)}
	if !wasFailing && was != nil && c.Reason == isms.ReasonControlNoLongerRequired {
		// It stopped failing, or the asset went, before it stopped being Required: that
		// stays the reason, so a failure once it is Required again is a recurrence.
		c.Reason = was.Reason
	}
	c.Message = resolvedMessage(c.Reason, d)
	meta.SetStatusCondition(&st.Conditions, c)
	return reason
}

// resolvedMessage is the ControlFailing message of a risk that is not failing, for the
// reason it stopped and what the detection shows now.
func resolvedMessage(reason string, d *Detection) string {
	switch {
	case reason == isms.ReasonAssetRemoved && d.AssetRemoved:
		return "The asset no longer exists; the risk is kept as history."
	case reason == isms.ReasonAssetRemoved:
		return fmt.Sprintf("The asset was deleted and made again; the control is %s for it, not Required.", d.Level)
	case reason == isms.ReasonControlNoLongerRequired:
		return fmt.Sprintf("The control is %s for the asset, not Required; the risk stays resolved while it is not Required.", d.Level)
	case d.Level == isms.LevelRequired:
		return "The control passes."
	case d.Outcome == isms.OutcomePass:
		return fmt.Sprintf("The control passes; it is %s for the asset now.", d.Level)
	}
	return fmt.Sprintf("The control passed before it stopped being Required; it is %s for the asset now.", d.Level)
}

// resolution is why a detection that is not a Required failure resolves a risk: the
// asset is gone, the control passes, or it is no longer Required (and may still fail).
func resolution(d *Detection) string {
	switch {
	case d.AssetRemoved:
		return isms.ReasonAssetRemoved
	case d.Outcome == isms.OutcomePass:
		return isms.ReasonDriftCorrected
	}
	return isms.ReasonControlNoLongerRequired
}

func failingCondition(evidence []isms.Finding, at metav1.Time) metav1.Condition {
	c := metav1.Condition{Type: isms.ConditionControlFailing, Status: metav1.ConditionTrue, Reason: isms.ReasonDriftDetected,
		Message: "The control fails.", LastTransitionTime: at}
	if len(evidence) > 0 {
		c.Message = bounds.Cut(fmt.Sprintf("The control fails: %s: %s", evidence[0].Resource, evidence[0].Message), bounds.ConditionMessage)
	}
	return c
}

func boundedEvidence(findings []isms.Finding) []isms.Finding {
	return append([]isms.Finding(nil), findings[:min(len(findings), maxEvidence)]...)
}

// verdict is what the register makes of a risk's treatment decision.
type verdict struct {
	// tolerated: the decision is Tolerate.
	tolerated bool
	// expired: the acceptance of a tolerated risk has expired.
	expired bool
	// refusal is why a tolerated risk's acceptance is not honoured ("" when it is, or when
	// the risk is not tolerated): ReasonAboveAppetite or ReasonAcceptorNotRecorded.
	refusal string
	// appetite is the risk appetite the decision was judged against.
	appetite int32
}

// honoured reports whether the risk is accepted: tolerated, unexpired and not refused.
func (v verdict) honoured() bool { return v.tolerated && !v.expired && v.refusal == "" }

// judgeAcceptance decides whether a Tolerate decision is honoured. Admission refuses a
// Tolerate above the appetite and records the acceptor, but the state machine checks both
// again, so an acceptance made while admission was absent, or before the trust lowered its
// appetite, is not honoured either (risk.md "an acceptance is honoured the same everywhere").
func judgeAcceptance(risk *isms.Risk, score int32, now time.Time, rules Rules) verdict {
	t := risk.Spec.Treatment
	if t == nil || t.Decision != isms.DecisionTolerate || t.Acceptance == nil {
		return verdict{}
	}
	v := verdict{tolerated: true, expired: !now.Before(t.Acceptance.Expires.Time), appetite: rules.Appetite}
	switch {
	case score > rules.Appetite:
		v.refusal = isms.ReasonAboveAppetite
	case acceptedBy(risk) == nil:
		v.refusal = isms.ReasonAcceptorNotRecorded
	}
	return v
}

// nextState is where the risk belongs now (risk.md "Lifecycle"):
//   - Closed while spec.closure is set, unless the register's record of a control saw its
//     drift start again after it was closed;
//   - a register record whose control does not fail at level Required is Resolved;
//   - a risk whose Tolerate decision is honoured is Accepted;
//   - otherwise Open.
func nextState(spec *isms.RiskSpec, st *isms.RiskStatus, record bool, v verdict) isms.RiskState {
	failing := meta.FindStatusCondition(st.Conditions, isms.ConditionControlFailing)
	if spec.Closure != nil {
		recurred := record && st.ClosedAt != nil && st.LastDetected != nil && st.LastDetected.After(st.ClosedAt.Time)
		if !recurred {
			return isms.StateClosed
		}
	}
	switch {
	case record && failing != nil && failing.Status != metav1.ConditionTrue:
		return isms.StateResolved
	case v.honoured():
		return isms.StateAccepted
	}
	return isms.StateOpen
}

func transitionReason(spec *isms.RiskSpec, record bool, from, to isms.RiskState, driftReason string, v verdict) string {
	switch {
	case from == "" && spec.Source == isms.SourceDetected && !record:
		return isms.ReasonNotRegisterRecord
	case from == "":
		return isms.ReasonDeclared
	case driftReason != "" && to != isms.StateClosed:
		return driftReason
	case to == isms.StateClosed:
		return isms.ReasonClosed
	case to == isms.StateAccepted:
		return isms.ReasonRiskAccepted
	case from == isms.StateAccepted && v.tolerated && v.refusal != "":
		return v.refusal
	case from == isms.StateAccepted && v.tolerated:
		return isms.ReasonAcceptanceExpired
	case from == isms.StateAccepted:
		return isms.ReasonAcceptanceWithdrawn
	}
	return isms.ReasonReopened
}

func transitionMessage(risk *isms.Risk, st *isms.RiskStatus, d *Detection, to isms.RiskState, reason string, v verdict) string {
	control := risk.Spec.Control
	var msg string
	switch reason {
	case isms.ReasonDriftRecurred:
		msg = startedFailing(control, st.Evidence, st.Occurrences)
	case isms.ReasonControlRequiredAgain:
		msg = fmt.Sprintf("%s is Required again and still fails, the same drift", control)
		if len(st.Evidence) > 0 {
			msg += fmt.Sprintf(": %s: %s", st.Evidence[0].Resource, st.Evidence[0].Message)
		}
	case isms.ReasonDriftCorrected:
		msg = fmt.Sprintf("%s passes again.", control)
	case isms.ReasonControlNoLongerRequired:
		msg = fmt.Sprintf("%s is no longer Required for the asset (it is %s); the risk is resolved while it is not Required.", control, d.Level)
	case isms.ReasonAssetRemoved:
		msg = "The asset no longer exists; the risk is kept as history."
	case isms.ReasonClosed:
		msg = "Closed: " + risk.Spec.Closure.Reason
	case isms.ReasonRiskAccepted:
		a := risk.Spec.Treatment.Acceptance
		msg = fmt.Sprintf("Tolerated until %s, accepted by %s: %s", a.Expires.UTC().Format(time.DateOnly), risk.Annotations[AnnotationAcceptedBy], a.Justification)
	case isms.ReasonAcceptanceExpired:
		msg = "The acceptance expired; the risk is open again."
	case isms.ReasonAcceptanceWithdrawn:
		msg = "The Tolerate decision was withdrawn."
	case isms.ReasonAboveAppetite, isms.ReasonAcceptorNotRecorded:
		msg = refusalMessage(v.refusal, st.Score, v.appetite) + " The risk is open again."
	case isms.ReasonDeclared:
		msg = "Declared in the register."
	case isms.ReasonNotRegisterRecord:
		msg = notRecordMessage(risk)
	default:
		msg = fmt.Sprintf("The risk is %s.", to)
	}
	return msg
}

func startedFailing(control isms.ControlID, evidence []isms.Finding, occurrence int32) string {
	msg := fmt.Sprintf("%s started failing", control)
	if len(evidence) > 0 {
		msg += fmt.Sprintf(": %s: %s", evidence[0].Resource, evidence[0].Message)
	}
	if occurrence > 1 {
		msg += fmt.Sprintf(" (occurrence %d)", occurrence)
	}
	return msg
}

func refusalMessage(refusal string, score, appetite int32) string {
	if refusal == isms.ReasonAboveAppetite {
		return fmt.Sprintf("The Tolerate decision is not honoured: the risk scores %d, above the risk appetite of %d; treat, transfer or terminate it, or re-assess its likelihood or consequence.", score, appetite)
	}
	return "The Tolerate decision is not honoured: admission recorded no acceptor (annotation " + AnnotationAcceptedBy +
		"); make the decision again while the operator's admission webhook runs, or set the annotation to your own username."
}

func notRecordMessage(risk *isms.Risk) string {
	asset := ""
	if risk.Spec.AssetRef != nil {
		asset = risk.Spec.AssetRef.Name
	}
	return fmt.Sprintf("This Detected risk is not the register's record of %s for InformationAsset %s, which the operator keeps as Risk %s; "+
		"no drift is recorded on it. Delete it, or record what it says in a Declared risk.", risk.Spec.Control, asset, Name(asset, risk.Spec.Control))
}

// acceptedBy is who made the Tolerate decision, as admission recorded it; nil when nothing
// valid is recorded.
func acceptedBy(risk *isms.Risk) *isms.AcceptedBy {
	username := risk.Annotations[AnnotationAcceptedBy]
	at, err := time.Parse(time.RFC3339, risk.Annotations[AnnotationAcceptedAt])
	if t := risk.Spec.Treatment; t == nil || t.Decision != isms.DecisionTolerate || username == "" || err != nil {
		return nil
	}
	return &isms.AcceptedBy{Username: username, At: metav1.Time{Time: at}}
}

// appendHistory appends e and keeps the history within MaxHistory entries without losing
// what an auditor needs: the first entry (the detection or declaration) and every
// acceptance and closure stay; the oldest drift transitions are folded, as few as it takes,
// into one Flapping entry with their count and time span, so the newest stay as they were.
// Only when no run of drift transitions is left does the oldest entry that is neither the
// first, an acceptance nor a closure go.
func appendHistory(history []isms.HistoryEntry, e isms.HistoryEntry) []isms.HistoryEntry {
	history = append(history, e)
	for len(history) > MaxHistory {
		history = foldOldestFlaps(history)
	}
	return history
}

func foldOldestFlaps(h []isms.HistoryEntry) []isms.HistoryEntry {
	excess := len(h) - MaxHistory
	// The first entry and the newest (the transition just made, which Events quote) stay.
	for i := 1; i < len(h)-1; i++ {
		j := i
		for j < len(h)-1 && isFlap(h[j]) {
			j++
		}
		if j-i >= 2 {
			n := min(j-i, excess+1)
			return slices.Replace(h, i, i+n, fold(h[i:i+n]))
		}
		i = max(i, j)
	}
	for i := 1; i < len(h)-1; i++ {
		if r := h[i].Reason; r != isms.ReasonRiskAccepted && r != isms.ReasonClosed {
			return slices.Delete(h, i, i+1)
		}
	}
	return slices.Delete(h, 1, 2)
}

// isFlap reports whether an entry is a drift transition that may be folded: the control
// failing again, passing again, changing level, or an earlier fold of those.
func isFlap(e isms.HistoryEntry) bool {
	switch e.Reason {
	case isms.ReasonDriftRecurred, isms.ReasonDriftCorrected, isms.ReasonControlNoLongerRequired, isms.ReasonControlRequiredAgain, isms.ReasonFlapping:
		return true
	}
	return false
}

// fold turns a run of drift transitions into one entry.
func fold(run []isms.HistoryEntry) isms.HistoryEntry {
	var count int32
	for _, e := range run {
		count += max(e.Count, 1)
	}
	first, last := run[0], run[len(run)-1]
	until := last.At
	if last.Until != nil {
		until = *last.Until
	}
	return isms.HistoryEntry{At: first.At, Until: &until, State: last.State, Reason: isms.ReasonFlapping, Count: count,
		Message: fmt.Sprintf("%d drift transitions (the control failing, passing again, or changing level) between %s and %s; the risk was %s after the last.",
			count, first.At.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339), last.State)}
}
