package incidents

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

var aware = time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC)

func misdirectedExport() *isms.SecurityIncident {
	return &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "rota-export-misdirected", Generation: 1},
		Spec: isms.SecurityIncidentSpec{Title: "Rota export emailed to the wrong trust", AssetRefs: []isms.LocalObjectReference{{Name: "staff-records"}},
			DetectedAt: metav1.NewTime(aware.Add(-5 * time.Hour)), AwareAt: metav1.NewTime(aware), Reporter: isms.Person{Name: "Priya Shah"},
			Affected: []isms.SecurityProperty{isms.PropertyConfidentiality}, Grading: isms.IncidentGrading{Likelihood: 3, Severity: 3}}}
}

func TestStatus(t *testing.T) {
	notified := func(at time.Time) func(*isms.SecurityIncident) {
		return func(i *isms.SecurityIncident) {
			i.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-19-1234",
				NotifiedAt: metav1.NewTime(at), NotifiedBy: isms.Person{Name: "Data Protection Officer"}}}
		}
	}
	for name, tc := range map[string]struct {
		change            func(*isms.SecurityIncident)
		at                time.Time
		reportable        bool
		due, overdue      metav1.ConditionStatus
		reason            string
		contained, closed metav1.ConditionStatus
		requeue           bool
	}{
		"reportable, within 72 hours": {at: aware.Add(time.Hour), reportable: true, due: "True", overdue: "False",
			reason: ReasonAwaitingNotification, contained: "Unknown", closed: "False", requeue: true},
		"reportable, 72 hours passed": {at: aware.Add(NotificationWindow), reportable: true, due: "False", overdue: "True",
			reason: ReasonDeadlinePassed, contained: "Unknown", closed: "False"},
		"reported in time": {change: notified(aware.Add(30 * time.Hour)), at: aware.Add(100 * time.Hour), reportable: true,
			due: "False", overdue: "False", reason: ReasonNotified, contained: "Unknown", closed: "False"},
		"reported late": {change: notified(aware.Add(80 * time.Hour)), at: aware.Add(100 * time.Hour), reportable: true,
			due: "False", overdue: "True", reason: ReasonNotifiedLate, contained: "Unknown", closed: "False"},
		"not reportable on the grid": {change: func(i *isms.SecurityIncident) { i.Spec.Grading = isms.IncidentGrading{Likelihood: 1, Severity: 4} },
			at: aware.Add(100 * time.Hour), due: "False", overdue: "False", reason: ReasonNotReportable, contained: "Unknown", closed: "False"},
		"decided not to notify": {change: func(i *isms.SecurityIncident) {
			i.Spec.DecisionNotToNotify = &isms.NotificationDecision{Justification: "Recovered unread within the hour, confirmed in writing.",
				DecidedBy: isms.Person{Name: "DPO"}, DecidedAt: metav1.NewTime(aware.Add(time.Hour))}
		}, at: aware.Add(100 * time.Hour), reportable: true, due: "False", overdue: "False", reason: ReasonDecidedNotToNotify, contained: "Unknown", closed: "False"},
		"containment pending, then closed": {change: func(i *isms.SecurityIncident) {
			i.Spec.Actions = []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "Recall", Done: true},
				{Kind: isms.ActionContainment, Description: "Confirm deletion"}, {Kind: isms.ActionRemediation, Description: "Fix the export"}}
			notified(aware.Add(time.Hour))(i)
			i.Spec.LessonsLearned = "Exports leave the domain only to named recipients."
			i.Spec.Closure = &isms.IncidentClosure{ClosedAt: metav1.NewTime(aware.Add(200 * time.Hour)), ClosedBy: isms.Person{Name: "SIRO"}}
		}, at: aware.Add(200 * time.Hour), reportable: true, due: "False", overdue: "False", reason: ReasonNotified, contained: "False", closed: "True"},
		"containment done": {change: func(i *isms.SecurityIncident) {
			i.Spec.Actions = []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "Recall", Done: true}}
		}, at: aware.Add(time.Hour), reportable: true, due: "True", overdue: "False", reason: ReasonAwaitingNotification, contained: "True", closed: "False", requeue: true},
	} {
		t.Run(name, func(t *testing.T) {
			incident := misdirectedExport()
			if tc.change != nil {
				tc.change(incident)
			}
			status, next := Status(incident, DefaultGrid, tc.at)
			if *status.Reportable != tc.reportable || !status.NotificationDeadline.Time.Equal(aware.Add(72*time.Hour)) {
				t.Errorf("reportable %v, deadline %v; want %v and awareAt + 72 h", *status.Reportable, status.NotificationDeadline, tc.reportable)
			}
			for conditionType, want := range map[string]metav1.ConditionStatus{isms.ConditionNotificationDue: tc.due, isms.ConditionNotificationOverdue: tc.overdue,
				isms.ConditionContained: tc.contained, isms.ConditionClosed: tc.closed} {
				if c := meta.FindStatusCondition(status.Conditions, conditionType); c == nil || c.Status != want || c.Message == "" {
					t.Errorf("%s = %+v, want %s with a message", conditionType, c, want)
				}
			}
			if c := meta.FindStatusCondition(status.Conditions, isms.ConditionNotificationOverdue); c.Reason != tc.reason {
				t.Errorf("NotificationOverdue reason %s, want %s", c.Reason, tc.reason)
			}
			if requeue := !next.IsZero(); requeue != tc.requeue || (requeue && !next.Equal(aware.Add(NotificationWindow))) {
				t.Errorf("next change at %v; want a requeue at the deadline: %v", next, tc.requeue)
			}
		})
	}
}

// TestStatusKeepsTransitionTimes: deciding again at a later time changes nothing when
// nothing changed, so the controller writes nothing.
func TestStatusKeepsTransitionTimes(t *testing.T) {
	incident := misdirectedExport()
	first, _ := Status(incident, DefaultGrid, aware.Add(time.Hour))
	incident.Status = first
	again, _ := Status(incident, DefaultGrid, aware.Add(2*time.Hour))
	for i := range first.Conditions {
		if !first.Conditions[i].LastTransitionTime.Equal(&again.Conditions[i].LastTransitionTime) {
			t.Errorf("%s moved its transition time with nothing changed", first.Conditions[i].Type)
		}
	}
}
