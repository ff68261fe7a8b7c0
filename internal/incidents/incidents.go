// Package incidents decides a SecurityIncident's status: whether its grading makes it
// reportable to the ICO, its notification deadline (UK GDPR Article 33: 72 hours after the
// organisation became aware of it), and its conditions. It decides only; the incident
// controller reads and writes.
package incidents

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
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
)

// Status is the incident's status at now: what it was, with its grading, deadline and
// conditions decided again (a condition keeps its transition time while its status
// holds). It also returns when the status next changes by time alone (the deadline), or
// zero.
func Status(incident *isms.SecurityIncident, grid Grid, now time.Time) (isms.SecurityIncidentStatus, time.Time) {
	spec := &incident.Spec
	status := *incident.Status.DeepCopy()
	status.ObservedGeneration = incident.Generation
	reportable := grid.Reportable(spec.Grading)
	status.Reportable = &reportable
	deadline := metav1.NewTime(spec.AwareAt.Add(NotificationWindow))
	status.NotificationDeadline = &deadline

	var notifiedAt *metav1.Time
	if n := spec.Notifications; n != nil && n.ICO != nil {
		notifiedAt = &n.ICO.NotifiedAt
	}
	set := func(conditionType string, value bool, reason, message string) {
		s := metav1.ConditionFalse
		if value {
			s = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: conditionType, Status: s, Reason: reason, Message: message,
			ObservedGeneration: incident.Generation, LastTransitionTime: metav1.NewTime(now)})
	}
	due := deadline.UTC().Format(time.RFC3339)
	var next time.Time
	switch {
	case notifiedAt != nil && notifiedAt.After(deadline.Time):
		set(isms.ConditionNotificationDue, false, ReasonNotifiedLate, fmt.Sprintf("reported to the ICO (%s) at %s", spec.Notifications.ICO.Reference, notifiedAt.UTC().Format(time.RFC3339)))
		set(isms.ConditionNotificationOverdue, true, ReasonNotifiedLate, fmt.Sprintf("reported to the ICO at %s, after the deadline %s; record why in lessonsLearned", notifiedAt.UTC().Format(time.RFC3339), due))
	case notifiedAt != nil:
		set(isms.ConditionNotificationDue, false, ReasonNotified, fmt.Sprintf("reported to the ICO (%s) at %s", spec.Notifications.ICO.Reference, notifiedAt.UTC().Format(time.RFC3339)))
		set(isms.ConditionNotificationOverdue, false, ReasonNotified, "reported to the ICO within 72 hours of awareness")
	case spec.DecisionNotToNotify != nil:
		message := fmt.Sprintf("%s decided not to report it: %s", spec.DecisionNotToNotify.DecidedBy.Name, spec.DecisionNotToNotify.Justification)
		set(isms.ConditionNotificationDue, false, ReasonDecidedNotToNotify, message)
		set(isms.ConditionNotificationOverdue, false, ReasonDecidedNotToNotify, message)
	case !reportable:
		message := fmt.Sprintf("graded likelihood %d, severity %d: not reportable to the ICO (reportable from likelihood %d and severity %d)",
			spec.Grading.Likelihood, spec.Grading.Severity, grid.Likelihood, grid.Severity)
		set(isms.ConditionNotificationDue, false, ReasonNotReportable, message)
		set(isms.ConditionNotificationOverdue, false, ReasonNotReportable, message)
	case now.Before(deadline.Time):
		set(isms.ConditionNotificationDue, true, ReasonAwaitingNotification, fmt.Sprintf("reportable: report it to the ICO through the Data Security and Protection Toolkit by %s, and record the reference in spec.notifications.ico", due))
		set(isms.ConditionNotificationOverdue, false, ReasonAwaitingNotification, "the deadline "+due+" has not passed")
		next = deadline.Time
	default:
		message := fmt.Sprintf("reportable, and not reported to the ICO by the deadline %s: report it now through the Data Security and Protection Toolkit", due)
		set(isms.ConditionNotificationDue, false, ReasonDeadlinePassed, message)
		set(isms.ConditionNotificationOverdue, true, ReasonDeadlinePassed, message)
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
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: isms.ConditionContained, Status: metav1.ConditionUnknown,
			Reason: ReasonNoContainment, Message: "no containment action is recorded in spec.actions", ObservedGeneration: incident.Generation,
			LastTransitionTime: metav1.NewTime(now)})
	case pending > 0:
		set(isms.ConditionContained, false, ReasonContainmentPending, fmt.Sprintf("%d of %d containment actions not done", pending, containment))
	default:
		set(isms.ConditionContained, true, ReasonContained, fmt.Sprintf("every containment action is done (%d)", containment))
	}
	if c := spec.Closure; c != nil {
		set(isms.ConditionClosed, true, ReasonClosed, fmt.Sprintf("closed by %s at %s", c.ClosedBy.Name, c.ClosedAt.UTC().Format(time.RFC3339)))
	} else {
		set(isms.ConditionClosed, false, ReasonOpen, "open: close it with spec.closure once remediation is done and lessons are recorded")
	}
	return status, next
}
