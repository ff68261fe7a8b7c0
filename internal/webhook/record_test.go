package webhook

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
	"github.com/isms-operator/isms-operator/internal/register"
)

var (
	recordedAt = time.Date(2026, time.November, 23, 16, 0, 0, 0, time.UTC)
	requestAt  = recordedAt.Add(time.Hour)
)

const (
	recorder = "alice@nhs.net"
	user     = "bob@nhs.net"
)

// requestFrom is the admission context of user's request, updating stored (nil: creating).
func requestFrom[T any](t *testing.T, stored *T) context.Context {
	t.Helper()
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UserInfo: authenticationv1.UserInfo{Username: user}}}
	if stored != nil {
		raw, err := json.Marshal(stored)
		if err != nil {
			t.Fatal(err)
		}
		req.OldObject.Raw = raw
	}
	return admission.NewContextWithRequest(context.Background(), req)
}

// pairs are the annotations of recorded pairs, by user and time.
func pairs(kv ...string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestIncidentAdmissionRecordsWhoWroteEachPart(t *testing.T) {
	notified := func(i *isms.SecurityIncident) {
		i.Spec.Notifications = &isms.IncidentNotifications{DataSubjectsInformedAt: &metav1.Time{Time: recordedAt}}
	}
	decided := func(i *isms.SecurityIncident) {
		i.Spec.DecisionNotToNotify = &isms.NotificationDecision{Justification: "Encrypted laptop, key not lost with it",
			DecidedBy: isms.Person{Name: "Data Protection Officer"}, DecidedAt: metav1.NewTime(recordedAt)}
	}
	incident := func(annotations map[string]string, changes ...func(*isms.SecurityIncident)) *isms.SecurityIncident {
		i := &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "lost-laptop", Annotations: annotations}}
		for _, change := range changes {
			change(i)
		}
		return i
	}
	stamp, before := requestAt.Format(time.RFC3339), recordedAt.Format(time.RFC3339)
	notifiedByRecorder := pairs(incidents.AnnotationNotificationsRecordedBy, recorder, incidents.AnnotationNotificationsRecordedAt, before)
	notifiedByUser := pairs(incidents.AnnotationNotificationsRecordedBy, user, incidents.AnnotationNotificationsRecordedAt, stamp)
	decidedByRecorder := pairs(incidents.AnnotationDecisionRecordedBy, recorder, incidents.AnnotationDecisionRecordedAt, before)
	forged := pairs(incidents.AnnotationNotificationsRecordedBy, "the.dpo@nhs.net", incidents.AnnotationNotificationsRecordedAt, before,
		incidents.AnnotationDecisionRecordedBy, "the.dpo@nhs.net", incidents.AnnotationDecisionRecordedAt, before, "kept", "yes")
	for name, tc := range map[string]struct {
		stored, admitted *isms.SecurityIncident
		want             map[string]string
	}{
		"created with notifications": {admitted: incident(nil, notified), want: notifiedByUser},
		"created with both, forging their recorders": {admitted: incident(maps.Clone(forged), notified, decided), want: pairs("kept", "yes",
			incidents.AnnotationNotificationsRecordedBy, user, incidents.AnnotationNotificationsRecordedAt, stamp,
			incidents.AnnotationDecisionRecordedBy, user, incidents.AnnotationDecisionRecordedAt, stamp)},
		"created with neither, forging their recorders": {admitted: incident(maps.Clone(forged)), want: pairs("kept", "yes")},
		"notifications unchanged, their recorder edited": {stored: incident(notifiedByRecorder, notified),
			admitted: incident(maps.Clone(forged), notified), want: pairs("kept", "yes",
				incidents.AnnotationNotificationsRecordedBy, recorder, incidents.AnnotationNotificationsRecordedAt, before)},
		"notifications unchanged, their recorder removed": {stored: incident(notifiedByRecorder, notified),
			admitted: incident(nil, notified), want: notifiedByRecorder},
		"notifications the same instant in another zone": {stored: incident(notifiedByRecorder, notified), admitted: incident(nil, notified,
			func(i *isms.SecurityIncident) {
				i.Spec.Notifications.DataSubjectsInformedAt.Time = recordedAt.In(time.FixedZone("BST", 3600))
			}),
			want: notifiedByRecorder},
		"notifications unchanged, recorded before admission did": {stored: incident(nil, notified),
			admitted: incident(maps.Clone(notifiedByUser), notified), want: map[string]string{}},
		"notifications changed": {stored: incident(notifiedByRecorder, notified), admitted: incident(maps.Clone(notifiedByRecorder), notified,
			func(i *isms.SecurityIncident) { i.Spec.Notifications.DataSubjectsInformedAt = nil }), want: notifiedByUser},
		"notifications removed": {stored: incident(notifiedByRecorder, notified), admitted: incident(maps.Clone(notifiedByRecorder)),
			want: map[string]string{}},
		"a decision added, notifications kept": {stored: incident(notifiedByRecorder, notified), admitted: incident(nil, notified, decided),
			want: pairs(incidents.AnnotationNotificationsRecordedBy, recorder, incidents.AnnotationNotificationsRecordedAt, before,
				incidents.AnnotationDecisionRecordedBy, user, incidents.AnnotationDecisionRecordedAt, stamp)},
		"notifications added, the decision kept": {stored: incident(decidedByRecorder, decided), admitted: incident(nil, notified, decided),
			want: pairs(incidents.AnnotationNotificationsRecordedBy, user, incidents.AnnotationNotificationsRecordedAt, stamp,
				incidents.AnnotationDecisionRecordedBy, recorder, incidents.AnnotationDecisionRecordedAt, before)},
	} {
		t.Run(name, func(t *testing.T) {
			a := &IncidentAdmission{Now: func() time.Time { return requestAt }}
			if err := a.Default(requestFrom(t, tc.stored), tc.admitted); err != nil {
				t.Fatal(err)
			}
			if got := tc.admitted.Annotations; !maps.Equal(got, tc.want) {
				t.Errorf("annotations %v, want %v", got, tc.want)
			}
		})
	}
}

// The Risk's acceptance is recorded by the same rules; these pin what RiskAdmission did
// before it shared them.
func TestRiskAdmissionRecordsWhoAccepted(t *testing.T) {
	tolerated := func(expires time.Time) *isms.Treatment {
		return &isms.Treatment{Decision: isms.DecisionTolerate, Acceptance: &isms.Acceptance{Justification: "Compensating controls",
			Expires: metav1.NewTime(expires)}}
	}
	risk := func(annotations map[string]string, treatment *isms.Treatment) *isms.Risk {
		return &isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "end-of-support", Annotations: annotations},
			Spec: isms.RiskSpec{Treatment: treatment}}
	}
	expires := recordedAt.Add(90 * 24 * time.Hour)
	accepted := pairs(register.AnnotationAcceptedBy, recorder, register.AnnotationAcceptedAt, recordedAt.Format(time.RFC3339))
	acceptedByUser := pairs(register.AnnotationAcceptedBy, user, register.AnnotationAcceptedAt, requestAt.Format(time.RFC3339))
	for name, tc := range map[string]struct {
		stored, admitted *isms.Risk
		want             map[string]string
	}{
		"created tolerated":   {admitted: risk(nil, tolerated(expires)), want: acceptedByUser},
		"created treated":     {admitted: risk(maps.Clone(accepted), &isms.Treatment{Decision: isms.DecisionTreat}), want: map[string]string{}},
		"acceptance kept":     {stored: risk(accepted, tolerated(expires)), admitted: risk(maps.Clone(acceptedByUser), tolerated(expires)), want: accepted},
		"acceptance extended": {stored: risk(accepted, tolerated(expires)), admitted: risk(maps.Clone(accepted), tolerated(expires.Add(time.Hour))), want: acceptedByUser},
		"tolerated anew":      {stored: risk(nil, &isms.Treatment{Decision: isms.DecisionTreat}), admitted: risk(nil, tolerated(expires)), want: acceptedByUser},
		"treatment removed":   {stored: risk(accepted, tolerated(expires)), admitted: risk(maps.Clone(accepted), nil), want: map[string]string{}},
	} {
		t.Run(name, func(t *testing.T) {
			a := &RiskAdmission{Now: func() time.Time { return requestAt }}
			if err := a.Default(requestFrom(t, tc.stored), tc.admitted); err != nil {
				t.Fatal(err)
			}
			if got := tc.admitted.Annotations; !maps.Equal(got, tc.want) {
				t.Errorf("annotations %v, want %v", got, tc.want)
			}
		})
	}
}
