// Package incidents decides a SecurityIncident's status: whether its grading makes it
// reportable to the ICO, its notification deadline (UK GDPR Article 33: 72 hours after the
// organisation became aware of it), and its conditions. It decides only; the incident
// controller reads and writes.
package incidents

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/register"
)

// The annotations admission writes with the user who last wrote an incident's
// notifications or its decision not to notify, as the API server authenticated them, and
// when. The ValidatingAdmissionPolicy isms-incident-recorder lets no request set them to
// anyone but its own user; the incident controller copies them into status.
const (
	AnnotationNotificationsRecordedBy = "isms.nhs.uk/notifications-recorded-by"
	AnnotationNotificationsRecordedAt = "isms.nhs.uk/notifications-recorded-at"
	AnnotationDecisionRecordedBy      = "isms.nhs.uk/decision-recorded-by"
	AnnotationDecisionRecordedAt      = "isms.nhs.uk/decision-recorded-at"
)

// NotificationWindow is how long after awareness a reportable breach must reach the ICO.
const NotificationWindow = 72 * time.Hour

// Grid is where the notification grid starts to ask for a report to the ICO: an incident
// is reportable when its likelihood and its severity are both at least these.
type Grid struct {
	Likelihood, Severity int32
}

// DefaultGrid is NHS England's "Guide to the Notification of Data Security and Protection
// Incidents": an incident graded at least 2 ("not likely") for likelihood and at least 2
// ("potentially minor") for severity is reported to the ICO through the Toolkit.
var DefaultGrid = Grid{Likelihood: 2, Severity: 2}

// Reportable reports whether the grading is in the grid's reportable part.
func (g Grid) Reportable(grading isms.IncidentGrading) bool {
	return grading.Likelihood >= g.Likelihood && grading.Severity >= g.Severity
}

// Condition reasons of a SecurityIncident.
const (
	ReasonAwaitingNotification = "AwaitingNotification"
	ReasonNotified             = "Notified"
	ReasonNotifiedLate         = "NotifiedLate"
	ReasonDeadlinePassed       = "DeadlinePassed"
	ReasonDecidedNotToNotify   = "DecidedNotToNotify"
	ReasonNotReportable        = "NotReportable"
	ReasonContained            = "ContainmentDone"
	ReasonContainmentPending   = "ContainmentPending"
	ReasonNoContainment        = "NoContainmentRecorded"
	ReasonClosed               = "Closed"
	ReasonOpen                 = "Open"
	ReasonRisksAtDetection     = "RisksOpenAtDetection"
	ReasonNoRiskAtDetection    = "NoRiskAtDetection"
)

// MaxRisksAtDetection bounds status.risksAtDetection (its CRD's MaxItems).
const MaxRisksAtDetection = 32

// Status is the incident's status at now: what it was, with its grading, deadline,
// conditions, the Risks of its assets that stood at detectedAt (from risks, the Risks of
// its assets) and who recorded its notifications decided again (a condition keeps its
// transition time while its status holds). It also returns when the status next changes
// by time alone (the deadline), or zero.
func Status(incident *isms.SecurityIncident, risks []isms.Risk, grid Grid, now time.Time) (isms.SecurityIncidentStatus, time.Time) {
	spec := &incident.Spec
	status := *incident.Status.DeepCopy()
	status.ObservedGeneration = incident.Generation
	status.NotificationsRecordedBy = recordedBy(incident, AnnotationNotificationsRecordedBy, AnnotationNotificationsRecordedAt, spec.Notifications != nil)
	status.DecisionRecordedBy = recordedBy(incident, AnnotationDecisionRecordedBy, AnnotationDecisionRecordedAt, spec.DecisionNotToNotify != nil)
	reportable := grid.Reportable(spec.Grading)
	status.Reportable = &reportable
	deadline := metav1.NewTime(Deadline(spec))
	status.NotificationDeadline = &deadline

	set := func(conditionType string, value metav1.ConditionStatus, reason, message string) {
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: conditionType, Status: value, Reason: reason, Message: bounds.Cut(message, bounds.ConditionMessage),
			ObservedGeneration: incident.Generation, LastTransitionTime: metav1.NewTime(now)})
	}
	due := deadline.UTC().Format(time.RFC3339)
	var next time.Time
	if n := spec.Notifications; n != nil && n.ICO != nil && n.ICO.NotifiedAt.After(now) {
		next = n.ICO.NotifiedAt.Time // a report recorded ahead of time counts from then
	}
	ico := Reported(spec, now)
	overdue := NotificationOverdue(incident, &reportable, now)
	switch {
	case ico != nil && overdue == ReasonNotifiedLate:
		set(isms.ConditionNotificationDue, metav1.ConditionFalse, ReasonNotifiedLate, fmt.Sprintf("reported to the ICO (%s) at %s", ico.Reference, ico.NotifiedAt.UTC().Format(time.RFC3339)))
		set(isms.ConditionNotificationOverdue, metav1.ConditionTrue, ReasonNotifiedLate, fmt.Sprintf("reported to the ICO at %s, after the deadline %s; record why in lessonsLearned", ico.NotifiedAt.UTC().Format(time.RFC3339), due))
	case ico != nil:
		set(isms.ConditionNotificationDue, metav1.ConditionFalse, ReasonNotified, fmt.Sprintf("reported to the ICO (%s) at %s", ico.Reference, ico.NotifiedAt.UTC().Format(time.RFC3339)))
		set(isms.ConditionNotificationOverdue, metav1.ConditionFalse, ReasonNotified, "reported to the ICO within 72 hours of awareness")
	case spec.DecisionNotToNotify != nil:
		message := fmt.Sprintf("%s decided not to report it: %s", spec.DecisionNotToNotify.DecidedBy.Name, spec.DecisionNotToNotify.Justification)
		set(isms.ConditionNotificationDue, metav1.ConditionFalse, ReasonDecidedNotToNotify, message)
		set(isms.ConditionNotificationOverdue, metav1.ConditionFalse, ReasonDecidedNotToNotify, message)
	case overdue == ReasonDeadlinePassed && !reportable:
		message := fmt.Sprintf("graded likelihood %d, severity %d, not reportable, only after its deadline %s passed unreported: "+
			"record the decision not to report it, with its justification, in spec.decisionNotToNotify, or report it now", spec.Grading.Likelihood, spec.Grading.Severity, due)
		set(isms.ConditionNotificationDue, metav1.ConditionFalse, ReasonDeadlinePassed, message)
		set(isms.ConditionNotificationOverdue, metav1.ConditionTrue, ReasonDeadlinePassed, message)
	case !reportable:
		message := fmt.Sprintf("graded likelihood %d, severity %d: not reportable to the ICO (reportable from likelihood %d and severity %d)",
			spec.Grading.Likelihood, spec.Grading.Severity, grid.Likelihood, grid.Severity)
		set(isms.ConditionNotificationDue, metav1.ConditionFalse, ReasonNotReportable, message)
		set(isms.ConditionNotificationOverdue, metav1.ConditionFalse, ReasonNotReportable, message)
	case overdue == "":
		set(isms.ConditionNotificationDue, metav1.ConditionTrue, ReasonAwaitingNotification, fmt.Sprintf("reportable: report it to the ICO through the Data Security and Protection Toolkit by %s, and record the reference in spec.notifications.ico", due))
		set(isms.ConditionNotificationOverdue, metav1.ConditionFalse, ReasonAwaitingNotification, "the deadline "+due+" has not passed")
		if next.IsZero() || deadline.Before(&metav1.Time{Time: next}) {
			next = deadline.Time
		}
	default:
		message := fmt.Sprintf("reportable, and not reported to the ICO by the deadline %s: report it now through the Data Security and Protection Toolkit", due)
		set(isms.ConditionNotificationDue, metav1.ConditionFalse, ReasonDeadlinePassed, message)
		set(isms.ConditionNotificationOverdue, metav1.ConditionTrue, ReasonDeadlinePassed, message)
	}

	containment, pending := 0, 0
	for _, a := range spec.Actions {
		if a.Kind == isms.ActionContainment {
			containment++
			if !a.Done {
				pending++
			}
		}
	}
	switch {
	case containment == 0:
		set(isms.ConditionContained, metav1.ConditionUnknown, ReasonNoContainment, "no containment action is recorded in spec.actions")
	case pending > 0:
		set(isms.ConditionContained, metav1.ConditionFalse, ReasonContainmentPending, fmt.Sprintf("%d of %d containment actions not done", pending, containment))
	default:
		set(isms.ConditionContained, metav1.ConditionTrue, ReasonContained, fmt.Sprintf("every containment action is done (%d)", containment))
	}
	foreseen, total := RisksAtDetection(incident, risks)
	status.RisksAtDetection = foreseen
	if total == 0 {
		set(isms.ConditionForeseen, metav1.ConditionFalse, ReasonNoRiskAtDetection, "no control of its assets was failing at detectedAt with a Risk open or accepted: "+
			"the register did not foresee it; declare a Risk for what happened, or add a control that would have caught it")
	} else {
		names := make([]string, len(foreseen))
		for i, r := range foreseen {
			names[i] = RiskText(r)
		}
		set(isms.ConditionForeseen, metav1.ConditionTrue, ReasonRisksAtDetection, fmt.Sprintf("%d Risk(s) of failing controls of its assets stood at detectedAt: %s; "+
			"review whether their treatment was enough", total, bounds.Cut(strings.Join(names, ", "), bounds.ConditionMessage/2)))
	}
	if c := spec.Closure; c != nil {
		set(isms.ConditionClosed, metav1.ConditionTrue, ReasonClosed, fmt.Sprintf("closed by %s at %s", c.ClosedBy.Name, c.ClosedAt.UTC().Format(time.RFC3339)))
	} else {
		set(isms.ConditionClosed, metav1.ConditionFalse, ReasonOpen, "open: close it with spec.closure once remediation is done and lessons are recorded")
	}
	return status, next
}

// Deadline is when a reportable incident must have reached the ICO: NotificationWindow
// after the organisation became aware of it.
func Deadline(spec *isms.SecurityIncidentSpec) time.Time { return spec.AwareAt.Add(NotificationWindow) }

// RiskText names a Risk that stood at detection as the Foreseen condition, the board
// report and the incident register do: "name (control, state)".
func RiskText(r isms.IncidentRisk) string {
	return fmt.Sprintf("%s (%s, %s)", r.Name, r.Control, r.State)
}

// NotificationOverdue decides at now, as Status decides the NotificationOverdue condition,
// why the incident's report to the ICO is overdue: ReasonNotifiedLate when it was told
// after the deadline, ReasonDeadlinePassed when it was not told by then, "" when it was
// told in time, a decision not to notify is recorded, the incident is graded not
// reportable, or the deadline has not passed. reportable nil (not graded yet) counts as
// reportable: an ungraded incident may be, so its deadline counts. An incident already
// overdue stays so when it is regraded not reportable: after the deadline, only a report
// or a justified decision ends it. It is what readers of the register (the board report)
// decide with a clock of their own.
func NotificationOverdue(incident *isms.SecurityIncident, reportable *bool, now time.Time) string {
	spec := &incident.Spec
	deadline := Deadline(spec)
	if ico := Reported(spec, now); ico != nil {
		if ico.NotifiedAt.After(deadline) {
			return ReasonNotifiedLate
		}
		return ""
	}
	switch {
	case spec.DecisionNotToNotify != nil, now.Before(deadline):
		return ""
	case reportable != nil && !*reportable && !meta.IsStatusConditionTrue(incident.Status.Conditions, isms.ConditionNotificationOverdue):
		return ""
	}
	return ReasonDeadlinePassed
}

// GradedReportable is the operator's decision whether the incident is reportable: nil
// when it has not graded it, or not since its spec last changed (a regrading it has not
// seen yet). Readers of the register pass it to NotificationOverdue.
func GradedReportable(incident *isms.SecurityIncident) *bool {
	if s := incident.Status; s.Reportable != nil && s.ObservedGeneration == incident.Generation {
		return s.Reportable
	}
	return nil
}

// Reported is the report to the ICO the incident records, unless none is or it is dated
// after now: a report is counted once it is made.
func Reported(spec *isms.SecurityIncidentSpec, now time.Time) *isms.RegulatorNotification {
	if n := spec.Notifications; n != nil && n.ICO != nil && !n.ICO.NotifiedAt.After(now) {
		return n.ICO
	}
	return nil
}

// RisksAtDetection returns the register's records among risks (of the incident's
// namespace) that tracked a control of one of its assets failing at detectedAt, Open or
// Accepted then as their history shows, at most MaxRisksAtDetection of them sorted by
// name, and how many there were. A control flapping at that time (a folded run of drift
// transitions spanning it) counts as failing: the register had seen the weakness.
func RisksAtDetection(incident *isms.SecurityIncident, risks []isms.Risk) ([]isms.IncidentRisk, int) {
	assets := map[string]bool{}
	for _, ref := range incident.Spec.AssetRefs {
		assets[ref.Name] = true
	}
	at := incident.Spec.DetectedAt.Time
	var found []isms.IncidentRisk
	for i := range risks {
		risk := &risks[i]
		if risk.Namespace != incident.Namespace || !register.IsRecord(risk) || !assets[risk.Spec.AssetRef.Name] {
			continue
		}
		if state := stateAt(risk.Status.History, at); state == isms.StateOpen || state == isms.StateAccepted {
			found = append(found, isms.IncidentRisk{Name: risk.Name, Asset: risk.Spec.AssetRef.Name, Control: risk.Spec.Control, State: state})
		}
	}
	slices.SortFunc(found, func(a, b isms.IncidentRisk) int { return strings.Compare(a.Name, b.Name) })
	return found[:min(len(found), MaxRisksAtDetection)], len(found)
}

// stateAt is the state a history (oldest first) records at t: the state its last entry at
// or before t entered, Open within a folded run of drift transitions, "" before the first.
func stateAt(history []isms.HistoryEntry, t time.Time) isms.RiskState {
	var state isms.RiskState
	for _, e := range history {
		if e.At.After(t) {
			break
		}
		state = e.State
		if e.Reason == isms.ReasonFlapping && e.Until != nil && !e.Until.Before(&metav1.Time{Time: t}) {
			state = isms.StateOpen
		}
	}
	return state
}

// recordedBy is who admission recorded as having written a part of the incident (in the
// annotations by and at), while that part is set; nil when it is not, or not recorded
// (admission's webhook was off when it was written).
func recordedBy(incident *isms.SecurityIncident, by, at string, set bool) *isms.RecordedBy {
	username := incident.Annotations[by]
	if !set || username == "" {
		return nil
	}
	when, err := time.Parse(time.RFC3339, incident.Annotations[at])
	if err != nil {
		return nil
	}
	return &isms.RecordedBy{Username: bounds.Cut(username, 256), At: metav1.NewTime(when)}
}
