package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
)

// recordedParts are the parts of an incident whose writer admission records, each with its
// pair of annotations: write sets the part as written at the time given (a later time is a
// change), remove removes it.
var recordedParts = []struct {
	name   string
	by, at string
	write  func(*isms.SecurityIncident, time.Time)
	remove func(*isms.SecurityIncident)
}{
	{name: "notifications", by: incidents.AnnotationNotificationsRecordedBy, at: incidents.AnnotationNotificationsRecordedAt,
		write: func(i *isms.SecurityIncident, at time.Time) {
			i.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-19-1234",
				NotifiedAt: metav1.NewTime(at), NotifiedBy: isms.Person{Name: "Data Protection Officer"}}}
		},
		remove: func(i *isms.SecurityIncident) { i.Spec.Notifications = nil }},
	{name: "decisionNotToNotify", by: incidents.AnnotationDecisionRecordedBy, at: incidents.AnnotationDecisionRecordedAt,
		write: func(i *isms.SecurityIncident, at time.Time) {
			i.Spec.DecisionNotToNotify = &isms.NotificationDecision{Justification: "The laptop's disk is encrypted and its key was not with it",
				DecidedBy: isms.Person{Name: "Data Protection Officer"}, DecidedAt: metav1.NewTime(at)}
		},
		remove: func(i *isms.SecurityIncident) { i.Spec.DecisionNotToNotify = nil }},
}

// lostLaptop is an incident of ns, not yet notified nor decided not to be.
func lostLaptop(ns, name string) *isms.SecurityIncident {
	aware := time.Now().Add(-time.Hour).Truncate(time.Second)
	return &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: isms.SecurityIncidentSpec{Title: "Clinic laptop left on a train", AssetRefs: []isms.LocalObjectReference{{Name: "clinic-records"}},
			DetectedAt: metav1.NewTime(aware), AwareAt: metav1.NewTime(aware), Reporter: isms.Person{Name: "Priya Shah"},
			Affected: []isms.SecurityProperty{isms.PropertyConfidentiality}, Grading: isms.IncidentGrading{Likelihood: 2, Severity: 2}}}
}

// TestIncidentRecordsWhoWroteItsNotifications: admission records who wrote each part, as
// the API server authenticated them, with an RFC 3339 time; keeps that record through
// updates that leave the part alone, undoing a client's edit of it; records whoever
// changes the part; and removes the record with the part.
func TestIncidentRecordsWhoWroteItsNotifications(t *testing.T) {
	for _, part := range recordedParts {
		t.Run(part.name, func(t *testing.T) {
			incident := lostLaptop(env.Namespace(t), "lost-laptop")
			create(t, incident)
			alice, bob := as(t, "alice@nhs.net"), as(t, "bob@nhs.net")
			recorded := func(wantBy string, wantAt func(time.Time) bool) time.Time {
				t.Helper()
				by, atText := incident.Annotations[part.by], incident.Annotations[part.at]
				at, err := time.Parse(time.RFC3339, atText)
				if by != wantBy || err != nil || !wantAt(at) {
					t.Fatalf("%s is %q at %q, want %s at an RFC 3339 time of the write", part.by, by, atText, wantBy)
				}
				return at
			}
			between := func(from, to time.Time) func(time.Time) bool {
				return func(at time.Time) bool { return !at.Before(from.Truncate(time.Second)) && !at.After(to) }
			}
			write := func(c client.Client, change func(*isms.SecurityIncident)) {
				t.Helper()
				if err := updateAs(t, c, incident, change); err != nil {
					t.Fatal(err)
				}
			}

			written := time.Now()
			write(alice, func(i *isms.SecurityIncident) { part.write(i, written) })
			at := recorded("alice@nhs.net", between(written, time.Now()))

			// Bob edits the incident, and the record, without touching the part: the record stands.
			write(bob, func(i *isms.SecurityIncident) {
				i.Spec.Description = "Found by British Transport Police, powered off"
				i.Annotations[part.by], i.Annotations[part.at] = "bob@nhs.net", time.Now().UTC().Format(time.RFC3339)
			})
			recorded("alice@nhs.net", at.Equal)

			// Bob changes the part: he is its recorder now.
			changed := time.Now()
			write(bob, func(i *isms.SecurityIncident) { part.write(i, changed.Add(time.Minute)) })
			recorded("bob@nhs.net", between(changed, time.Now()))

			write(alice, part.remove)
			if by, found := incident.Annotations[part.by]; found || incident.Annotations[part.at] != "" {
				t.Errorf("with %s removed, %s still says %q", part.name, part.by, by)
			}
		})
	}
}

// TestAnIncidentRecorderCannotBeForgedWhileTheWebhookIsAbsent: the policy
// isms-incident-recorder holds without the webhook: a request records only its own user as
// a part's recorder, and only with the part it writes; an incident without a record is
// admitted.
func TestAnIncidentRecorderCannotBeForgedWhileTheWebhookIsAbsent(t *testing.T) {
	ctx := context.Background()
	var hooks admissionWebhooks
	removeWebhooks(t, &hooks)
	alice, bob := registerEditor(t, "alice@nhs.net"), registerEditor(t, "bob@nhs.net")
	for _, part := range recordedParts {
		t.Run(part.name, func(t *testing.T) {
			ns := env.Namespace(t)
			refused := func(err error, what, annotation string) {
				t.Helper()
				if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "metadata.annotations["+annotation+"]") {
					t.Errorf("%s: got %v, want it refused by the isms-incident-recorder policy, naming %s", what, err, annotation)
				}
			}
			stamp := func(i *isms.SecurityIncident, by string, at time.Time) {
				i.Annotations = map[string]string{part.by: by, part.at: at.UTC().Format(time.RFC3339)}
			}

			// Another's name as the recorder is refused (once the API server has dropped the
			// webhook, which would otherwise put the requester's name in).
			forged := lostLaptop(ns, "forged")
			part.write(forged, time.Now())
			stamp(forged, "the.dpo@nhs.net", time.Now())
			eventually(t, drift, func() error {
				if err := alice.Create(ctx, forged.DeepCopy(), client.DryRunAll); !apierrors.IsForbidden(err) {
					return fmt.Errorf("still admitted: %v", err)
				}
				return nil
			})
			refused(alice.Create(ctx, forged.DeepCopy()), "recording someone else as the recorder", part.by)

			// No record: admitted. Her own name with the part she writes: admitted.
			unrecorded := lostLaptop(ns, "unrecorded")
			part.write(unrecorded, time.Now())
			own := lostLaptop(ns, "own")
			part.write(own, time.Now())
			stamp(own, "alice@nhs.net", time.Now())
			for _, incident := range []*isms.SecurityIncident{unrecorded, own} {
				if err := alice.Create(ctx, incident); err != nil {
					t.Fatalf("creating %s: %v", incident.Name, err)
				}
			}

			// Bob may not change the part under her name, claim her record as his or erase it
			// without changing the part, nor move when she recorded it.
			for what, change := range map[string]func(*isms.SecurityIncident){
				"changing the part under another's name": func(i *isms.SecurityIncident) { part.write(i, time.Now().Add(time.Hour)) },
				"claiming another's record":              func(i *isms.SecurityIncident) { i.Annotations[part.by] = "bob@nhs.net" },
				"erasing another's record":               func(i *isms.SecurityIncident) { delete(i.Annotations, part.by); delete(i.Annotations, part.at) },
			} {
				refused(updateAs(t, bob, own.DeepCopy(), change), what, part.by)
			}
			refused(updateAs(t, bob, own.DeepCopy(), func(i *isms.SecurityIncident) { i.Annotations[part.at] = "2026-01-01T00:00:00Z" }),
				"moving when it was recorded", part.at)

			// Changing the part as himself, he is its recorder.
			if err := updateAs(t, bob, own.DeepCopy(), func(i *isms.SecurityIncident) {
				part.write(i, time.Now().Add(time.Hour))
				stamp(i, "bob@nhs.net", time.Now())
			}); err != nil {
				t.Errorf("bob changing the part as himself: %v", err)
			}
		})
	}
}
