package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
)

// waitForIncident waits until the incident's condition has the status and reason.
func waitForIncident(t *testing.T, incident *isms.SecurityIncident, conditionType string, status metav1.ConditionStatus, reason string) *isms.SecurityIncident {
	t.Helper()
	return waitForCondition(t, incident, func(i *isms.SecurityIncident) []metav1.Condition { return i.Status.Conditions }, conditionType, status, reason)
}

// waitForRiskCondition waits until the risk's condition has the status and reason.
func waitForRiskCondition(t *testing.T, risk *isms.Risk, conditionType string, status metav1.ConditionStatus, reason string) *isms.Risk {
	t.Helper()
	return waitForCondition(t, risk, func(r *isms.Risk) []metav1.Condition { return r.Status.Conditions }, conditionType, status, reason)
}

// waitForCondition waits until obj's condition, among those conditions reads, has the
// status and reason, and returns obj as read then.
func waitForCondition[T client.Object](t *testing.T, obj T, conditions func(T) []metav1.Condition, conditionType string, status metav1.ConditionStatus, reason string) T {
	t.Helper()
	got := obj.DeepCopyObject().(T)
	eventually(t, drift, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(conditions(got), conditionType); c == nil || c.Status != status || c.Reason != reason {
			return fmt.Errorf("%s is %+v, want %s (%s)", conditionType, c, status, reason)
		}
		return nil
	})
	return got
}

// TestIncidentNotificationClock: a reportable incident is due for notification with its
// deadline 72 hours after awareness; with the clock past the deadline it is overdue, with
// a Warning Event; a late report keeps it overdue, naming the lateness; containment and
// closure show as conditions.
func TestIncidentNotificationClock(t *testing.T) {
	ns := env.Namespace(t)
	aware := time.Now().Add(-time.Hour).Truncate(time.Second)
	incident := &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "rota-export-misdirected"},
		Spec: isms.SecurityIncidentSpec{Title: "Rota export emailed to the wrong trust", AssetRefs: []isms.LocalObjectReference{{Name: "staff-records"}},
			DetectedAt: metav1.NewTime(aware.Add(-5 * time.Hour)), AwareAt: metav1.NewTime(aware), Reporter: isms.Person{Name: "Priya Shah"},
			Affected: []isms.SecurityProperty{isms.PropertyConfidentiality}, Grading: isms.IncidentGrading{Likelihood: 3, Severity: 3},
			Actions: []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "Recall the email"}}}}
	if err := env.Client.Create(context.Background(), incident); err != nil {
		t.Fatal(err)
	}
	due := waitForIncident(t, incident, isms.ConditionNotificationDue, metav1.ConditionTrue, incidents.ReasonAwaitingNotification)
	if due.Status.Reportable == nil || !*due.Status.Reportable || due.Status.NotificationDeadline == nil ||
		!due.Status.NotificationDeadline.Time.Equal(aware.Add(72*time.Hour)) {
		t.Errorf("reportable %v, deadline %v; want a reportable incident due at awareAt + 72 h", due.Status.Reportable, due.Status.NotificationDeadline)
	}
	waitForIncident(t, incident, isms.ConditionContained, metav1.ConditionFalse, incidents.ReasonContainmentPending)

	// 72 hours on, still not reported: overdue, with a Warning.
	moveClock(t, 72*time.Hour)
	update(t, incident, func(i *isms.SecurityIncident) { i.Spec.Actions[0].Done = true })
	waitForIncident(t, incident, isms.ConditionNotificationOverdue, metav1.ConditionTrue, incidents.ReasonDeadlinePassed)
	waitForIncident(t, incident, isms.ConditionContained, metav1.ConditionTrue, incidents.ReasonContained)
	waitForEvent(t, ns, "SecurityIncident", incident.Name, corev1.EventTypeWarning, incidents.ReasonDeadlinePassed, "")
	waitForGauge(t, "isms_incident_notifications_overdue", map[string]string{"namespace": ns}, 1)

	// Reported late, then closed with lessons learned.
	update(t, incident, func(i *isms.SecurityIncident) {
		i.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-19-1234",
			NotifiedAt: metav1.NewTime(aware.Add(72*time.Hour + 30*time.Minute)), NotifiedBy: isms.Person{Name: "Data Protection Officer"}}}
		i.Spec.LessonsLearned = "The out-of-hours rota had no IG cover: the DPO's deputy now takes reports at weekends."
		i.Spec.Closure = &isms.IncidentClosure{ClosedAt: metav1.NewTime(aware.Add(80 * time.Hour)), ClosedBy: isms.Person{Name: "SIRO"}}
	})
	waitForIncident(t, incident, isms.ConditionNotificationOverdue, metav1.ConditionTrue, incidents.ReasonNotifiedLate)
	waitForGauge(t, "isms_incident_notifications_overdue", map[string]string{"namespace": ns}, 0)
	closed := waitForIncident(t, incident, isms.ConditionClosed, metav1.ConditionTrue, incidents.ReasonClosed)
	if by := closed.Status.NotificationsRecordedBy; by == nil || by.Username == "" || by.Username != closed.Annotations[incidents.AnnotationNotificationsRecordedBy] {
		t.Errorf("status.notificationsRecordedBy = %+v, want who admission recorded: %q", by, closed.Annotations[incidents.AnnotationNotificationsRecordedBy])
	}
}

// TestIncidentNamesRisksAtDetectionAndClosureAsksForReview: an incident detected while a
// control of its asset was failing names that control's open Risk (Foreseen); one detected
// before the drift does not. Closing the first makes the Risk's review due, with its score
// untouched, until a person records a review.
func TestIncidentNamesRisksAtDetectionAndClosureAsksForReview(t *testing.T) {
	e := newEstate(t)
	privileged(t, e, true)
	risk := waitForRisk(t, e, isms.StateOpen, 1)
	detected := risk.Status.History[0].At.Add(time.Second)
	incidentAt := func(name string, at time.Time) *isms.SecurityIncident {
		incident := &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: name},
			Spec: isms.SecurityIncidentSpec{Title: "Database pod used to copy patient records", AssetRefs: []isms.LocalObjectReference{{Name: e.asset.Name}},
				DetectedAt: metav1.NewTime(at), AwareAt: metav1.NewTime(at), Reporter: isms.Person{Name: "Priya Shah"},
				Affected: []isms.SecurityProperty{isms.PropertyConfidentiality}, Grading: isms.IncidentGrading{Likelihood: 2, Severity: 3}}}
		if err := env.Client.Create(context.Background(), incident); err != nil {
			t.Fatal(err)
		}
		return incident
	}
	foreseen := incidentAt("records-copied", detected)
	unforeseen := incidentAt("earlier-copy", detected.Add(-48*time.Hour))

	got := waitForIncident(t, foreseen, isms.ConditionForeseen, metav1.ConditionTrue, incidents.ReasonRisksAtDetection)
	if want := []isms.IncidentRisk{{Name: risk.Name, Asset: e.asset.Name, Control: risk.Spec.Control, State: isms.StateOpen}}; !equality.Semantic.DeepEqual(got.Status.RisksAtDetection, want) {
		t.Errorf("risksAtDetection = %+v, want %+v", got.Status.RisksAtDetection, want)
	}
	if got := waitForIncident(t, unforeseen, isms.ConditionForeseen, metav1.ConditionFalse, incidents.ReasonNoRiskAtDetection); len(got.Status.RisksAtDetection) != 0 {
		t.Errorf("an incident detected before the drift names %+v", got.Status.RisksAtDetection)
	}

	closedAt := metav1.NewTime(time.Now().Truncate(time.Second))
	update(t, foreseen, func(i *isms.SecurityIncident) {
		i.Spec.LessonsLearned = "Privileged debug containers reached production: the namespace now enforces restricted."
		i.Spec.Closure = &isms.IncidentClosure{ClosedAt: closedAt, ClosedBy: isms.Person{Name: "SIRO"}}
	})
	reviewed := waitForRiskCondition(t, &risk, isms.ConditionReviewOverdue, metav1.ConditionTrue, isms.ReasonIncidentClosed)
	if reviewed.Spec.Likelihood != risk.Spec.Likelihood || reviewed.Spec.Consequence != risk.Spec.Consequence || reviewed.Status.Score != risk.Status.Score {
		t.Errorf("closing the incident changed the risk's score: %d x %d = %d, was %d x %d = %d", reviewed.Spec.Likelihood, reviewed.Spec.Consequence,
			reviewed.Status.Score, risk.Spec.Likelihood, risk.Spec.Consequence, risk.Status.Score)
	}

	if err := updateAs(t, env.Client, &risk, func(r *isms.Risk) {
		r.Spec.Review = &isms.RiskReview{LastReviewed: &metav1.Time{Time: closedAt.Add(time.Minute)}}
	}); err != nil {
		t.Fatal(err)
	}
	waitForRiskCondition(t, &risk, isms.ConditionReviewOverdue, metav1.ConditionFalse, isms.ReasonReviewCurrent)
}

// waitForGauge waits until a scrape reads the operator's gauge with the labels at want (its
// cache, which the collector reads, may lag the API server the test read).
func waitForGauge(t *testing.T, name string, labels map[string]string, want float64) {
	t.Helper()
	eventually(t, drift, func() error {
		got, err := gauge(name, labels)
		if err == nil && got != want {
			err = fmt.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
		return err
	})
}

// gauge is the value of the operator's gauge with the labels, as a scrape reads it; -1
// when there is no such series.
func gauge(name string, labels map[string]string) (float64, error) {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return 0, err
	}
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
	series:
		for _, m := range family.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			return m.GetGauge().GetValue(), nil
		}
	}
	return -1, nil
}

// TestIncidentDeadlineIsRecheckedWithoutAChange: an incident due a few seconds before its
// deadline turns overdue when the deadline passes, with nothing written to it: the
// controller re-checks it at its deadline.
func TestIncidentDeadlineIsRecheckedWithoutAChange(t *testing.T) {
	ns := env.Namespace(t)
	aware := time.Now().Add(-incidents.NotificationWindow + 5*time.Second).Truncate(time.Second)
	incident := &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pager-list-posted"},
		Spec: isms.SecurityIncidentSpec{Title: "On-call list with home addresses posted to a public channel", AssetRefs: []isms.LocalObjectReference{{Name: "staff-records"}},
			DetectedAt: metav1.NewTime(aware), AwareAt: metav1.NewTime(aware), Reporter: isms.Person{Name: "Priya Shah"},
			Affected: []isms.SecurityProperty{isms.PropertyConfidentiality}, Grading: isms.IncidentGrading{Likelihood: 3, Severity: 2}}}
	if err := env.Client.Create(context.Background(), incident); err != nil {
		t.Fatal(err)
	}
	due := waitForIncident(t, incident, isms.ConditionNotificationDue, metav1.ConditionTrue, incidents.ReasonAwaitingNotification)
	overdue := waitForIncident(t, incident, isms.ConditionNotificationOverdue, metav1.ConditionTrue, incidents.ReasonDeadlinePassed)
	if overdue.Generation != due.Generation {
		t.Errorf("the incident's spec changed (generation %d to %d): the test must see the deadline alone turn it overdue", due.Generation, overdue.Generation)
	}
}
