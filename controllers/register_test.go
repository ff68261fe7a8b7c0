package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

// privileged adds a privileged debug container to the estate's Deployment, or removes it.
func privileged(t *testing.T, e *estate, on bool) {
	t.Helper()
	update(t, e.deployment, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers = d.Spec.Template.Spec.Containers[:1]
		if on {
			d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{
				Name: "debug", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}})
		}
	})
}

// updateAs reads obj afresh through c, changes it and writes it back, retrying when the
// operator's own status writes race the update.
func updateAs[T client.Object](t *testing.T, c client.Client, obj T, mutate func(T)) error {
	t.Helper()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate(obj)
		return c.Update(context.Background(), obj)
	})
}

// risksOf lists the Risks of the estate's namespace.
func risksOf(t *testing.T, e *estate) []isms.Risk {
	t.Helper()
	var list isms.RiskList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(e.ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitForRisk waits until the only Risk of the namespace has the state and occurrences.
func waitForRisk(t *testing.T, e *estate, state isms.RiskState, occurrences int32) isms.Risk {
	t.Helper()
	var risk isms.Risk
	eventually(t, drift, func() error {
		risks := risksOf(t, e)
		if len(risks) != 1 {
			return fmt.Errorf("%d risks, want exactly 1: %+v", len(risks), risks)
		}
		risk = risks[0]
		if risk.Status.State != state || risk.Status.Occurrences != occurrences {
			return fmt.Errorf("risk %s is %s with %d occurrences, want %s with %d", risk.Name, risk.Status.State, risk.Status.Occurrences, state, occurrences)
		}
		return nil
	})
	return risk
}

func reasons(history []isms.HistoryEntry) string {
	var parts []string
	for _, h := range history {
		parts = append(parts, string(h.State)+" "+h.Reason)
	}
	return strings.Join(parts, ", ")
}

func TestDriftRaisesResolvesAndReopensOneRisk(t *testing.T) {
	e := newEstate(t)
	if risks := risksOf(t, e); len(risks) != 0 {
		t.Fatalf("a compliant asset has risks: %+v", risks)
	}

	privileged(t, e, true)
	risk := waitForRisk(t, e, isms.StateOpen, 1)
	// ACC-01's likelihood 3, +1 because an Ingress reaches the pods; consequence: High 4, +1
	// for confidential patient information.
	if risk.Name != "patient-records-acc-01" || risk.Spec.Source != isms.SourceDetected || risk.Spec.Control != isms.ControlPodSecurity ||
		risk.Spec.Likelihood != 4 || risk.Spec.Consequence != 5 || risk.Status.Score != 20 || risk.Status.Rating != isms.RatingExtreme {
		t.Errorf("risk %s: %+v score %d %s; want patient-records-acc-01, ACC-01, 4 x 5 = 20 Extreme", risk.Name, risk.Spec, risk.Status.Score, risk.Status.Rating)
	}
	if risk.Spec.Owner.Name != "Jane Smith" || len(risk.Status.Evidence) == 0 || risk.Status.Evidence[0].Resource != "Deployment/epr-db" {
		t.Errorf("owner %+v, evidence %+v: want the asset's owner and the Deployment", risk.Spec.Owner, risk.Status.Evidence)
	}
	eventually(t, drift, func() error {
		if r := e.current(t).Status.Risks; r == nil || r.Open != 1 || len(r.Names) != 1 || r.Names[0] != risk.Name {
			return fmt.Errorf("asset risks = %+v, want 1 open: %s", r, risk.Name)
		}
		return nil
	})
	waitForEvent(t, e.ns, "InformationAsset", e.asset.Name, corev1.EventTypeWarning, isms.ReasonDriftDetected, "")
	waitForEvent(t, e.ns, "Risk", risk.Name, corev1.EventTypeWarning, isms.ReasonDriftDetected, "")

	privileged(t, e, false)
	risk = waitForRisk(t, e, isms.StateResolved, 1)
	if risk.Status.ResolvedAt == nil {
		t.Error("a resolved risk has no resolvedAt")
	}

	privileged(t, e, true)
	risk = waitForRisk(t, e, isms.StateOpen, 2)
	if got, want := reasons(risk.Status.History), "Open DriftDetected, Resolved DriftCorrected, Open DriftRecurred"; got != want {
		t.Errorf("history = %s, want %s", got, want)
	}

	// A person re-assesses the likelihood; the operator never writes a Risk's spec back.
	if err := updateAs(t, env.Client, &risk, func(r *isms.Risk) { r.Spec.Likelihood = 2 }); err != nil {
		t.Fatal(err)
	}
	update(t, e.ingress, func(i *networkingv1.Ingress) { i.Labels = map[string]string{"reconcile": "please"} })
	eventually(t, drift, func() error {
		current := waitForRisk(t, e, isms.StateOpen, 2)
		if current.Spec.Likelihood != 2 || current.Status.Score != 10 || current.Status.Rating != isms.RatingHigh {
			return fmt.Errorf("likelihood %d, score %d %s: want the person's 2, scoring 10 High", current.Spec.Likelihood, current.Status.Score, current.Status.Rating)
		}
		return nil
	})

	// Deleting the asset resolves its risk, and keeps it.
	remove(t, e.current(t))
	eventually(t, drift, func() error {
		err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(e.asset), &isms.InformationAsset{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("the asset is still there: %v", err)
		}
		return nil
	})
	risk = waitForRisk(t, e, isms.StateResolved, 2)
	if last := risk.Status.History[len(risk.Status.History)-1]; last.Reason != isms.ReasonAssetRemoved {
		t.Errorf("last transition %+v, want Resolved with reason AssetRemoved", last)
	}
}

// waitForEvent waits for an Event of the type (Normal or Warning) regarding the object with
// the reason, its note mentioning text.
func waitForEvent(t *testing.T, ns, kind, name, eventType, reason, text string) {
	t.Helper()
	eventually(t, drift, func() error {
		var list eventsv1.EventList
		if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, ev := range list.Items {
			if ev.Regarding.Kind == kind && ev.Regarding.Name == name && ev.Reason == reason && ev.Type == eventType && strings.Contains(ev.Note, text) {
				return nil
			}
		}
		return fmt.Errorf("no %s event %s about %s %s mentioning %q among %d events", eventType, reason, kind, name, text, len(list.Items))
	})
}

// as returns a client that acts as the named user (a cluster administrator otherwise), so
// admission sees who made a change.
func as(t *testing.T, username string) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: username, Groups: []string{"system:masters"}}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func declaredRisk(ns string, likelihood, consequence int32) *isms.Risk {
	return &isms.Risk{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "supplier-end-of-support"},
		Spec: isms.RiskSpec{Title: "Database engine leaves vendor support", Source: isms.SourceDeclared,
			Owner: isms.Person{Name: "Jane Smith"}, Likelihood: likelihood, Consequence: consequence,
			Treatment: &isms.Treatment{Decision: isms.DecisionTreat}},
	}
}

func tolerate(r *isms.Risk) {
	r.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTolerate, Acceptance: &isms.Acceptance{
		Justification: "Compensating controls until the upgrade in March", Expires: metav1.NewTime(time.Now().Add(90 * 24 * time.Hour))}}
}

func TestTolerateAboveAppetiteIsRefused(t *testing.T) {
	ns := env.Namespace(t)
	risk := declaredRisk(ns, 4, 4)
	create(t, risk)
	err := updateAs(t, as(t, "jane.smith@nhs.net"), risk, tolerate)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "scores 16 (likelihood 4 x consequence 4), above the risk appetite of 12") ||
		!strings.Contains(err.Error(), "spec.treatment.decision") {
		t.Fatalf("tolerating a score-16 risk: got %v, want it refused naming the score and the appetite", err)
	}
	// At the appetite it is allowed.
	allowed := declaredRisk(ns, 3, 4)
	allowed.Name = "at-appetite"
	tolerate(allowed)
	if err := as(t, "jane.smith@nhs.net").Create(context.Background(), allowed); err != nil {
		t.Fatalf("tolerating a score-12 risk: %v", err)
	}
}

func TestAcceptanceRecordsWhoAcceptedAndCannotBeForged(t *testing.T) {
	ns := env.Namespace(t)
	risk := declaredRisk(ns, 2, 3)
	create(t, risk)

	if err := updateAs(t, as(t, "jane.smith@nhs.net"), risk, tolerate); err != nil {
		t.Fatal(err)
	}
	accepted := func(wantUser string) {
		t.Helper()
		eventually(t, drift, func() error {
			current := &isms.Risk{}
			if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(risk), current); err != nil {
				return err
			}
			if by := current.Status.AcceptedBy; current.Status.State != isms.StateAccepted || by == nil || by.Username != wantUser {
				return fmt.Errorf("state %s, acceptedBy %+v; want Accepted by %s", current.Status.State, by, wantUser)
			}
			return nil
		})
	}
	accepted("jane.smith@nhs.net")

	// Mallory edits the record of who accepted, without making a decision of her own.
	mallory := as(t, "mallory@example.com")
	if err := updateAs(t, mallory, risk, func(r *isms.Risk) {
		r.Annotations[register.AnnotationAcceptedBy] = "mallory@example.com"
		r.Spec.Description = "edited"
	}); err != nil {
		t.Fatal(err)
	}
	if risk.Annotations[register.AnnotationAcceptedBy] != "jane.smith@nhs.net" {
		t.Errorf("after a client's edit the annotation says %q; admission must keep jane.smith@nhs.net", risk.Annotations[register.AnnotationAcceptedBy])
	}
	accepted("jane.smith@nhs.net")

	// A client allowed to write status is refused by the API server itself: only the
	// operator writes the register's status (the isms-status-writer policy).
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := mallory.Get(context.Background(), client.ObjectKeyFromObject(risk), risk); err != nil {
			return err
		}
		risk.Status.AcceptedBy = &isms.AcceptedBy{Username: "mallory@example.com", At: metav1.Now()}
		return mallory.Status().Update(context.Background(), risk)
	})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "status is written only by the isms-operator") {
		t.Errorf("a status write by a user: got %v, want it refused by the isms-status-writer policy", err)
	}
	accepted("jane.smith@nhs.net")

	// Renewing the acceptance is a new decision, recorded as its maker.
	if err := updateAs(t, mallory, risk, func(r *isms.Risk) {
		r.Spec.Treatment.Acceptance.Expires = metav1.NewTime(time.Now().Add(120 * 24 * time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	accepted("mallory@example.com")
}
