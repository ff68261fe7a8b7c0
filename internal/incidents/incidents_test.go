package incidents

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/register"
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
		"a report dated ahead is not yet a report": {change: notified(aware.Add(70 * time.Hour)), at: aware.Add(10 * time.Hour), reportable: true,
			due: "True", overdue: "False", reason: ReasonAwaitingNotification, contained: "Unknown", closed: "False", requeue: true},
		"regraded not reportable once overdue": {change: func(i *isms.SecurityIncident) {
			i.Status.Conditions = []metav1.Condition{{Type: isms.ConditionNotificationOverdue, Status: "True", Reason: ReasonDeadlinePassed}}
			i.Spec.Grading = isms.IncidentGrading{Likelihood: 1, Severity: 1}
		}, at: aware.Add(100 * time.Hour), due: "False", overdue: "True", reason: ReasonDeadlinePassed, contained: "Unknown", closed: "False"},
		"regraded not reportable, then decided not to notify": {change: func(i *isms.SecurityIncident) {
			i.Status.Conditions = []metav1.Condition{{Type: isms.ConditionNotificationOverdue, Status: "True", Reason: ReasonDeadlinePassed}}
			i.Spec.Grading = isms.IncidentGrading{Likelihood: 1, Severity: 1}
			i.Spec.DecisionNotToNotify = &isms.NotificationDecision{Justification: "The export was encrypted and the key never left the trust.",
				DecidedBy: isms.Person{Name: "DPO"}, DecidedAt: metav1.NewTime(aware.Add(90 * time.Hour))}
		}, at: aware.Add(100 * time.Hour), due: "False", overdue: "False", reason: ReasonDecidedNotToNotify, contained: "Unknown", closed: "False"},
		"containment done": {change: func(i *isms.SecurityIncident) {
			i.Spec.Actions = []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "Recall", Done: true}}
		}, at: aware.Add(time.Hour), reportable: true, due: "True", overdue: "False", reason: ReasonAwaitingNotification, contained: "True", closed: "False", requeue: true},
	} {
		t.Run(name, func(t *testing.T) {
			incident := misdirectedExport()
			if tc.change != nil {
				tc.change(incident)
			}
			status, next := Status(incident, nil, DefaultGrid, tc.at)
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
			overdue := NotificationOverdue(incident, status.Reportable, tc.at)
			if c := meta.FindStatusCondition(status.Conditions, isms.ConditionNotificationOverdue); (overdue != "") != (c.Status == metav1.ConditionTrue) ||
				(overdue != "" && overdue != c.Reason) {
				t.Errorf("NotificationOverdue says %q, the condition %s (%s): the board report and kubectl would disagree", overdue, c.Status, c.Reason)
			}
			if requeue := !next.IsZero(); requeue != tc.requeue || (requeue && next.After(aware.Add(NotificationWindow))) {
				t.Errorf("next change at %v; want a requeue by the deadline: %v", next, tc.requeue)
			}
		})
	}
}

// TestStatusKeepsTransitionTimes: deciding again at a later time changes nothing when
// nothing changed, so the controller writes nothing.
func TestStatusKeepsTransitionTimes(t *testing.T) {
	incident := misdirectedExport()
	first, _ := Status(incident, nil, DefaultGrid, aware.Add(time.Hour))
	incident.Status = first
	again, _ := Status(incident, nil, DefaultGrid, aware.Add(2*time.Hour))
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the status changed with nothing new (-first +again):\n%s", diff)
	}
}

func TestRisksAtDetection(t *testing.T) {
	detected := misdirectedExport().Spec.DetectedAt.Time
	entry := func(d time.Duration, state isms.RiskState, reason string) isms.HistoryEntry {
		return isms.HistoryEntry{At: metav1.NewTime(detected.Add(d)), State: state, Reason: reason}
	}
	record := func(asset string, control isms.ControlID, history ...isms.HistoryEntry) isms.Risk {
		return isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: register.Name(asset, control)},
			Spec:   isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: asset}, Control: control},
			Status: isms.RiskStatus{History: history}}
	}
	flapping := entry(-3*time.Hour, isms.StateResolved, isms.ReasonFlapping)
	flapping.Until = &metav1.Time{Time: detected.Add(time.Hour)}
	declared := record("staff-records", isms.ControlEncryptedVolumes, entry(-time.Hour, isms.StateOpen, isms.ReasonDeclared))
	declared.Spec.Source = isms.SourceDeclared
	elsewhere := record("staff-records", isms.ControlBackupRecent, entry(-time.Hour, isms.StateOpen, isms.ReasonDriftDetected))
	elsewhere.Namespace = "finance"

	for name, tc := range map[string]struct {
		risks []isms.Risk
		want  []isms.IncidentRisk
	}{
		"failing at detection": {risks: []isms.Risk{record("staff-records", isms.ControlPodSecurity, entry(-time.Hour, isms.StateOpen, isms.ReasonDriftDetected))},
			want: []isms.IncidentRisk{{Name: "staff-records-acc-01", Asset: "staff-records", Control: isms.ControlPodSecurity, State: isms.StateOpen}}},
		"failing and accepted": {risks: []isms.Risk{record("staff-records", isms.ControlPodSecurity, entry(-2*time.Hour, isms.StateOpen, isms.ReasonDriftDetected),
			entry(-time.Hour, isms.StateAccepted, isms.ReasonRiskAccepted))},
			want: []isms.IncidentRisk{{Name: "staff-records-acc-01", Asset: "staff-records", Control: isms.ControlPodSecurity, State: isms.StateAccepted}}},
		"failing from the second of detection": {risks: []isms.Risk{record("staff-records", isms.ControlPodSecurity, entry(0, isms.StateOpen, isms.ReasonDriftDetected))},
			want: []isms.IncidentRisk{{Name: "staff-records-acc-01", Asset: "staff-records", Control: isms.ControlPodSecurity, State: isms.StateOpen}}},
		"failing only after detection": {risks: []isms.Risk{record("staff-records", isms.ControlPodSecurity, entry(time.Second, isms.StateOpen, isms.ReasonDriftDetected))}},
		"fixed before detection": {risks: []isms.Risk{record("staff-records", isms.ControlPodSecurity, entry(-2*time.Hour, isms.StateOpen, isms.ReasonDriftDetected),
			entry(-time.Hour, isms.StateResolved, isms.ReasonDriftCorrected))}},
		"flapping across detection": {risks: []isms.Risk{record("staff-records", isms.ControlPodSecurity, entry(-4*time.Hour, isms.StateOpen, isms.ReasonDriftDetected), flapping)},
			want: []isms.IncidentRisk{{Name: "staff-records-acc-01", Asset: "staff-records", Control: isms.ControlPodSecurity, State: isms.StateOpen}}},
		"another asset's":   {risks: []isms.Risk{record("rota", isms.ControlPodSecurity, entry(-time.Hour, isms.StateOpen, isms.ReasonDriftDetected))}},
		"a declared risk":   {risks: []isms.Risk{declared}},
		"another namespace": {risks: []isms.Risk{elsewhere}},
		"not yet recorded":  {risks: []isms.Risk{record("staff-records", isms.ControlPodSecurity)}},
	} {
		t.Run(name, func(t *testing.T) {
			incident := misdirectedExport()
			got, total := RisksAtDetection(incident, tc.risks)
			if !equality.Semantic.DeepEqual(got, tc.want) || total != len(tc.want) {
				t.Errorf("RisksAtDetection = %+v (%d), want %+v", got, total, tc.want)
			}
			status, _ := Status(incident, tc.risks, DefaultGrid, aware)
			foreseen := meta.FindStatusCondition(status.Conditions, isms.ConditionForeseen)
			if wantStatus := metav1.ConditionStatus(map[bool]string{true: "True", false: "False"}[len(tc.want) > 0]); foreseen == nil || foreseen.Status != wantStatus {
				t.Errorf("Foreseen = %+v, want %s", foreseen, wantStatus)
			}
		})
	}
}

// TestRisksAtDetectionBounded: a status names at most MaxRisksAtDetection Risks, and its
// condition counts them all.
func TestRisksAtDetectionBounded(t *testing.T) {
	incident := misdirectedExport()
	var risks []isms.Risk
	for i := range MaxRisksAtDetection + 8 {
		asset := fmt.Sprintf("asset-%02d", i)
		incident.Spec.AssetRefs = append(incident.Spec.AssetRefs, isms.LocalObjectReference{Name: asset})
		risks = append(risks, isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: register.Name(asset, isms.ControlPodSecurity)},
			Spec:   isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: asset}, Control: isms.ControlPodSecurity},
			Status: isms.RiskStatus{History: []isms.HistoryEntry{{At: metav1.NewTime(aware.Add(-24 * time.Hour)), State: isms.StateOpen}}}})
	}
	status, _ := Status(incident, risks, DefaultGrid, aware)
	foreseen := meta.FindStatusCondition(status.Conditions, isms.ConditionForeseen)
	if len(status.RisksAtDetection) != MaxRisksAtDetection || !strings.HasPrefix(foreseen.Message, fmt.Sprintf("%d Risk(s)", MaxRisksAtDetection+8)) ||
		len(foreseen.Message) > bounds.ConditionMessage {
		t.Errorf("%d risks named, message %q (%d bytes); want %d named, %d counted, within %d bytes", len(status.RisksAtDetection), foreseen.Message,
			len(foreseen.Message), MaxRisksAtDetection, MaxRisksAtDetection+8, bounds.ConditionMessage)
	}
}

// TestRecordedBy: who admission recorded shows in status while the part is set, and a
// record that is missing or unreadable shows as none rather than as anyone.
func TestRecordedBy(t *testing.T) {
	notified := func(i *isms.SecurityIncident) {
		i.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-19-1234",
			NotifiedAt: metav1.NewTime(aware.Add(time.Hour)), NotifiedBy: isms.Person{Name: "DPO"}}}
	}
	at := aware.Add(time.Hour).Format(time.RFC3339)
	for name, tc := range map[string]struct {
		change      func(*isms.SecurityIncident)
		annotations map[string]string
		want        *isms.RecordedBy
	}{
		"recorded": {change: notified, annotations: map[string]string{AnnotationNotificationsRecordedBy: "dpo@trust.nhs.uk", AnnotationNotificationsRecordedAt: at},
			want: &isms.RecordedBy{Username: "dpo@trust.nhs.uk", At: metav1.NewTime(aware.Add(time.Hour))}},
		"not recorded":       {change: notified},
		"unreadable time":    {change: notified, annotations: map[string]string{AnnotationNotificationsRecordedBy: "dpo@trust.nhs.uk", AnnotationNotificationsRecordedAt: "yesterday"}},
		"left after removal": {annotations: map[string]string{AnnotationNotificationsRecordedBy: "dpo@trust.nhs.uk", AnnotationNotificationsRecordedAt: at}},
	} {
		t.Run(name, func(t *testing.T) {
			incident := misdirectedExport()
			if tc.change != nil {
				tc.change(incident)
			}
			incident.Annotations = tc.annotations
			status, _ := Status(incident, nil, DefaultGrid, aware.Add(2*time.Hour))
			if !equality.Semantic.DeepEqual(status.NotificationsRecordedBy, tc.want) {
				t.Errorf("notificationsRecordedBy = %+v, want %+v", status.NotificationsRecordedBy, tc.want)
			}
		})
	}
}
