package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/register"
)

// These tests are the rows of issue 11's table: a user, with every right RBAC can give
// over the register's kinds, tries to make the register lie, against the real API server
// with the admission policies installed and the operator running as its ServiceAccount.

// registerEditor returns a client for a user whom RBAC lets do anything to the isms.nhs.uk
// kinds and their status, so that only the register's own rules stand in the way.
func registerEditor(t *testing.T, user string) client.Client {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "isms-test-register-editor"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{isms.GroupVersion.Group}, Resources: []string{"*", "*/status"}, Verbs: []string{"*"}}}}
	if err := env.Client.Create(ctx, role); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "isms-test-register-editor-" + user},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
	if err := env.Client.Create(ctx, binding); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	c, err := env.As(user)
	if err != nil {
		t.Fatal(err)
	}
	// RBAC takes effect at once, but wait until the user can read, to be sure.
	eventually(t, drift, func() error { return c.List(ctx, &isms.RiskList{}, client.InNamespace("default")) })
	return c
}

// operatorClient acts as the operator's ServiceAccount: it stands for writes that got past
// the register's rules (made before the policies were installed, say), to show that the
// operator itself does not trust them.
func operatorClient(t *testing.T) client.Client {
	t.Helper()
	c, err := env.OperatorClient()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// riskNamed waits until the Risk exists with the state, and returns it.
func riskNamed(t *testing.T, ns, name string, state isms.RiskState) *isms.Risk {
	t.Helper()
	risk := &isms.Risk{}
	eventually(t, drift, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, risk); err != nil {
			return err
		}
		if risk.Status.State != state {
			return fmt.Errorf("risk %s is %q, want %s; history: %s", name, risk.Status.State, state, reasons(risk.Status.History))
		}
		return nil
	})
	return risk
}

// evaluations counts the asset evaluations the operator has made (isms_evaluation_duration_seconds).
func evaluations(t *testing.T) uint64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "isms_evaluation_duration_seconds" {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func TestASquattedRiskNameIsAConflictTheAssetShowsNotAHotLoop(t *testing.T) {
	e := newEstate(t)
	alice := registerEditor(t, "alice@nhs.net")
	squatter := declaredRisk(e.ns, 2, 2)
	squatter.Name = register.Name(e.asset.Name, isms.ControlPodSecurity)
	if err := alice.Create(context.Background(), squatter); err != nil {
		t.Fatal(err)
	}

	privileged(t, e, true)
	var asset *isms.InformationAsset
	eventually(t, drift, func() error {
		asset = e.current(t)
		stalled := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionStalled)
		if _, failing := finding(asset, isms.ControlPodSecurity); !failing || stalled == nil || stalled.Reason != isms.ReasonRiskNameConflict {
			return fmt.Errorf("findings %+v, Stalled %+v: want the ACC-01 finding and a RiskNameConflict", asset.Status.Findings, stalled)
		}
		return nil
	})
	if c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionCompliant); c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "ACC-01") {
		t.Errorf("Compliant = %+v, want False naming ACC-01: a squatted name must not hide the drift", c)
	}
	stalled := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionStalled)
	if !strings.Contains(stalled.Message, squatter.Name) || !strings.Contains(stalled.Message, "rename") {
		t.Errorf("Stalled message %q, want it to name %s and say how to fix it", stalled.Message, squatter.Name)
	}
	if ready := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionReady); ready.Status != metav1.ConditionFalse {
		t.Errorf("Ready = %+v, want False while a person must act", ready)
	}
	waitForEvent(t, e.ns, "InformationAsset", e.asset.Name, corev1.EventTypeWarning, isms.ReasonRiskNameConflict, squatter.Name)

	// No hot loop: once the conflict is shown, the operator waits (backoff, or a change of
	// the conflicting Risk) instead of evaluating again and again.
	time.Sleep(time.Second)
	before := evaluations(t)
	time.Sleep(3 * time.Second)
	if n := evaluations(t) - before; n > 1 {
		t.Errorf("the operator evaluated %d times in 3 s while the conflict lasted; want at most 1", n)
	}
	if kept := riskNamed(t, e.ns, squatter.Name, isms.StateOpen); kept.Spec.Source != isms.SourceDeclared || kept.Spec.Likelihood != 2 {
		t.Errorf("the operator changed the Declared risk it does not own: %+v", kept.Spec)
	}

	// Renaming the squatter away lets the operator record the drift at once.
	if err := alice.Delete(context.Background(), squatter); err != nil {
		t.Fatal(err)
	}
	risk := riskNamed(t, e.ns, squatter.Name, isms.StateOpen)
	if !register.IsRecord(risk) || risk.Spec.Control != isms.ControlPodSecurity {
		t.Errorf("after the squatter went, %s is %+v; want the operator's record of ACC-01", risk.Name, risk.Spec)
	}
	eventually(t, drift, func() error {
		if c := meta.FindStatusCondition(e.current(t).Status.Conditions, isms.ConditionStalled); c != nil {
			return fmt.Errorf("still Stalled: %+v", c)
		}
		return nil
	})
}

func TestADetectedRisksIdentityCannotBeEdited(t *testing.T) {
	e := newEstate(t)
	alice := registerEditor(t, "alice@nhs.net")
	privileged(t, e, true)
	risk := riskNamed(t, e.ns, register.Name(e.asset.Name, isms.ControlPodSecurity), isms.StateOpen)
	for field, edit := range map[string]func(*isms.Risk){
		"spec.control":  func(r *isms.Risk) { r.Spec.Control = isms.ControlIngressTLS },
		"spec.assetRef": func(r *isms.Risk) { r.Spec.AssetRef = &isms.LocalObjectReference{Name: "another-asset"} },
		"spec.source":   func(r *isms.Risk) { r.Spec.Source = isms.SourceDeclared },
	} {
		err := updateAs(t, alice, risk.DeepCopy(), edit)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("editing %s: got %v, want it refused as immutable, naming the field", field, err)
		}
	}
	// What people own stays theirs to change.
	if err := updateAs(t, alice, risk.DeepCopy(), func(r *isms.Risk) { r.Spec.Likelihood = 2 }); err != nil {
		t.Errorf("re-assessing the likelihood: %v", err)
	}
}

func TestUsersCannotRaiseDetectedRisksOrRewriteTheRegister(t *testing.T) {
	e := newEstate(t)
	alice := registerEditor(t, "alice@nhs.net")
	privileged(t, e, true)
	name := register.Name(e.asset.Name, isms.ControlPodSecurity)
	risk := riskNamed(t, e.ns, name, isms.StateOpen)

	// Rewriting history, the score or the detection time through risks/status.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		forged := &isms.Risk{}
		if err := alice.Get(context.Background(), client.ObjectKeyFromObject(risk), forged); err != nil {
			return err
		}
		forged.Status.History = []isms.HistoryEntry{{At: metav1.Now(), State: isms.StateResolved, Reason: isms.ReasonDriftCorrected, Message: "never happened"}}
		forged.Status.Score, forged.Status.Rating, forged.Status.State = 1, isms.RatingLow, isms.StateResolved
		forged.Status.FirstDetected = &metav1.Time{Time: time.Now().Add(-365 * 24 * time.Hour)}
		return alice.Status().Update(context.Background(), forged)
	})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "status is written only by the isms-operator") {
		t.Errorf("a user's status write: got %v, want it refused by the isms-status-writer policy", err)
	}
	// Nor the asset's or a plan's status.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		asset := &isms.InformationAsset{}
		if err := alice.Get(context.Background(), client.ObjectKeyFromObject(e.asset), asset); err != nil {
			return err
		}
		meta.SetStatusCondition(&asset.Status.Conditions, metav1.Condition{Type: isms.ConditionCompliant, Status: metav1.ConditionTrue, Reason: "Forged"})
		return alice.Status().Update(context.Background(), asset)
	})
	if !apierrors.IsForbidden(err) {
		t.Errorf("a user's write of the asset's status: got %v, want Forbidden", err)
	}
	if after := riskNamed(t, e.ns, name, isms.StateOpen); after.Status.Score != risk.Status.Score || len(after.Status.History) != len(risk.Status.History) {
		t.Errorf("the register changed: score %d, %d history entries; want %d and %d", after.Status.Score, len(after.Status.History), risk.Status.Score, len(risk.Status.History))
	}

	// Raising a Detected risk, ahead of a drift, pre-accepted for twenty years.
	preAccepted := &isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: register.Name(e.asset.Name, isms.ControlNetworkIsolation)},
		Spec: isms.RiskSpec{Title: "pre-accepted", Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: e.asset.Name},
			Control: isms.ControlNetworkIsolation, Owner: isms.Person{Name: "Alice"}, Likelihood: 1, Consequence: 1}}
	tolerate(preAccepted)
	preAccepted.Spec.Treatment.Acceptance.Expires = metav1.NewTime(time.Now().Add(20 * 365 * 24 * time.Hour))
	err = alice.Create(context.Background(), preAccepted)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "raised only by the isms-operator") {
		t.Errorf("a user raising a Detected risk: got %v, want it refused by the isms-detected-risks policy", err)
	}
}

func TestAnAcceptanceCannotBeForgedWhileTheWebhookIsAbsent(t *testing.T) {
	ctx := context.Background()
	var hooks admissionWebhooks
	removeWebhooks(t, &hooks)
	alice := registerEditor(t, "alice@nhs.net")
	ns := env.Namespace(t)

	// Another's name as the acceptor is refused.
	forged := declaredRisk(ns, 2, 3)
	tolerate(forged)
	forged.Annotations = map[string]string{register.AnnotationAcceptedBy: "the.siro@nhs.net", register.AnnotationAcceptedAt: "2026-01-01T00:00:00Z"}
	err := alice.Create(ctx, forged)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "accepted-by") {
		t.Fatalf("a Tolerate recording someone else as the acceptor: got %v, want it refused by the isms-risk-acceptor policy", err)
	}
	// No acceptor recorded: admitted, but not honoured.
	unrecorded := declaredRisk(ns, 2, 3)
	unrecorded.Name = "unrecorded"
	tolerate(unrecorded)
	if err := alice.Create(ctx, unrecorded); err != nil {
		t.Fatal(err)
	}
	risk := riskNamed(t, ns, unrecorded.Name, isms.StateOpen)
	if c := meta.FindStatusCondition(risk.Status.Conditions, isms.ConditionAcceptanceRefused); c == nil || c.Status != metav1.ConditionTrue || c.Reason != isms.ReasonAcceptorNotRecorded {
		t.Errorf("AcceptanceRefused = %+v, want True with reason AcceptorNotRecorded", c)
	}
	// Her own name is her own word, recorded as hers.
	own := declaredRisk(ns, 2, 3)
	own.Name = "own"
	tolerate(own)
	own.Annotations = map[string]string{register.AnnotationAcceptedBy: "alice@nhs.net", register.AnnotationAcceptedAt: time.Now().UTC().Format(time.RFC3339)}
	if err := alice.Create(ctx, own); err != nil {
		t.Fatal(err)
	}
	if risk := riskNamed(t, ns, own.Name, isms.StateAccepted); risk.Status.AcceptedBy == nil || risk.Status.AcceptedBy.Username != "alice@nhs.net" {
		t.Errorf("acceptedBy = %+v, want alice@nhs.net", risk.Status.AcceptedBy)
	}
	// Extending that acceptance while keeping her name as the acceptor is bob's decision,
	// not hers: refused unless bob records himself.
	bob := registerEditor(t, "bob@nhs.net")
	err = updateAs(t, bob, own.DeepCopy(), func(r *isms.Risk) {
		r.Spec.Treatment.Acceptance.Expires = metav1.NewTime(time.Now().Add(200 * 24 * time.Hour))
	})
	if !apierrors.IsForbidden(err) {
		t.Errorf("extending another's acceptance under their name: got %v, want Forbidden", err)
	}
	// Nor may bob claim her unchanged acceptance as his: the record says who decided.
	err = updateAs(t, bob, own.DeepCopy(), func(r *isms.Risk) { r.Annotations[register.AnnotationAcceptedBy] = "bob@nhs.net" })
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "accepted-by") {
		t.Errorf("claiming another's acceptance: got %v, want it refused by the isms-risk-acceptor policy", err)
	}
}

// admissionWebhooks is the test environment's webhook configuration, kept to be put back.
type admissionWebhooks struct{ mutating []byte }

// removeWebhooks deletes the operator's webhook configuration for the test, as an outage
// or a broken install would, and puts it back afterwards.
func removeWebhooks(t *testing.T, hooks *admissionWebhooks) {
	t.Helper()
	out, err := env.Kubectl(nil, "get", "mutatingwebhookconfigurations", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	hooks.mutating = []byte(out)
	if _, err := env.Kubectl(nil, "delete", "mutatingwebhookconfigurations", "--all"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(hooks.mutating, &list); err != nil {
			t.Fatal(err)
		}
		for _, item := range list.Items {
			metadata := item["metadata"].(map[string]any)
			for _, key := range []string{"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"} {
				delete(metadata, key)
			}
			data, _ := json.Marshal(item)
			if _, err := env.Kubectl(strings.NewReader(string(data)), "create", "-f", "-"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestAControlNoLongerRequiredResolvesWithItsOwnReason(t *testing.T) {
	e := newEstate(t)
	privileged(t, e, true)
	name := register.Name(e.asset.Name, isms.ControlPodSecurity)
	riskNamed(t, e.ns, name, isms.StateOpen)

	level := func(l isms.ControlLevel) {
		update(t, e.asset, func(a *isms.InformationAsset) {
			if a.Spec.Controls.Access == nil {
				a.Spec.Controls.Access = &isms.AccessControls{}
			}
			a.Spec.Controls.Access.PodSecurity = l
		})
	}
	level(isms.LevelRecommended)
	risk := riskNamed(t, e.ns, name, isms.StateResolved)
	last := risk.Status.History[len(risk.Status.History)-1]
	if last.Reason != isms.ReasonControlNoLongerRequired || strings.Contains(last.Message, "passes") {
		t.Errorf("last transition %+v, want ControlNoLongerRequired, not a claim that it passes", last)
	}
	level(isms.LevelRequired)
	risk = riskNamed(t, e.ns, name, isms.StateOpen)
	if got, want := reasons(risk.Status.History), "Open DriftDetected, Resolved ControlNoLongerRequired, Open ControlRequiredAgain"; got != want {
		t.Errorf("history = %s, want %s", got, want)
	}
	if risk.Status.Occurrences != 1 {
		t.Errorf("occurrences = %d, want 1: it is the same drift, not a recurrence", risk.Status.Occurrences)
	}
}

func TestAnInvalidSelectorMakesComplianceUnknownNotAStaleTrue(t *testing.T) {
	e := newEstate(t)
	// The schema refuses what it can: an operator that does not exist.
	err := updateAs(t, env.Client, e.asset.DeepCopy(), func(a *isms.InformationAsset) {
		a.Spec.Selector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Foo", Values: []string{"x"}}}}
	})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.selector.matchExpressions") {
		t.Errorf("a selector with operator Foo: got %v, want it refused naming spec.selector.matchExpressions", err)
	}
	// What only parsing finds (a label value with a space) is shown, not hidden.
	update(t, e.asset, func(a *isms.InformationAsset) {
		a.Spec.Selector = metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "epr db"}}
	})
	asset := waitFor(t, e, isms.ConditionCompliant, metav1.ConditionUnknown)
	if asset.Status.Compliance != "not evaluated" || asset.Status.ObservedGeneration != asset.Generation {
		t.Errorf("compliance %q for generation %d of %d, want \"not evaluated\" for the current generation", asset.Status.Compliance, asset.Status.ObservedGeneration, asset.Generation)
	}
	for _, c := range asset.Status.Controls {
		if c.Status != isms.OutcomeNotEvaluated {
			t.Errorf("control %s kept the outcome %s of a selector that no longer applies", c.Control, c.Status)
		}
	}
	stalled := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionStalled)
	ready := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionReady)
	if stalled == nil || stalled.Reason != isms.ReasonInvalidSelector || ready.Status != metav1.ConditionFalse || !strings.Contains(ready.Message, "spec.selector") {
		t.Errorf("Stalled %+v, Ready %+v: want InvalidSelector naming spec.selector", stalled, ready)
	}
	out, err := env.Kubectl(nil, "get", "ia", "-n", e.ns, e.asset.Name, "--no-headers")
	if err != nil {
		t.Fatal(err)
	}
	if fields := strings.Fields(out); !strings.Contains(out, "not evaluated") || slices.Contains(fields, "True") {
		t.Errorf("kubectl get ia prints %q; want COMPLIANCE \"not evaluated\" and no COMPLIANT True", out)
	}
}

func TestAHandMadeDetectedRiskIsNotTheRegistersRecord(t *testing.T) {
	e := newEstate(t)
	// Made before the policies were installed (here: by the operator's own identity).
	handMade := &isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "pod-security-accepted"},
		Spec: isms.RiskSpec{Title: "hand-made", Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: e.asset.Name},
			Control: isms.ControlPodSecurity, Owner: isms.Person{Name: "Mallory"}, Likelihood: 1, Consequence: 1}}
	if err := operatorClient(t).Create(context.Background(), handMade); err != nil {
		t.Fatal(err)
	}
	privileged(t, e, true)
	record := riskNamed(t, e.ns, register.Name(e.asset.Name, isms.ControlPodSecurity), isms.StateOpen)
	if record.Status.Score != 20 {
		t.Errorf("the record scores %d, want 20 (4 x 5): the hand-made 1x1 risk must not stand in for it", record.Status.Score)
	}
	asset := waitFor(t, e, isms.ConditionCompliant, metav1.ConditionFalse)
	if asset.Status.Summary.Accepted != 0 {
		t.Errorf("summary %+v: nothing is accepted", asset.Status.Summary)
	}
	kept := &isms.Risk{}
	eventually(t, drift, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(handMade), kept); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(kept.Status.Conditions, isms.ConditionStalled); c == nil || c.Reason != isms.ReasonNotRegisterRecord {
			return fmt.Errorf("the hand-made risk's Stalled = %+v, want NotRegisterRecord", c)
		}
		return nil
	})
	if kept.Status.Evidence != nil || kept.Status.FirstDetected != nil {
		t.Errorf("the hand-made risk got drift recorded on it: %+v", kept.Status)
	}
}

func TestAForgedStateIsPutBackWithoutAHistoryEntry(t *testing.T) {
	e := newEstate(t)
	privileged(t, e, true)
	name := register.Name(e.asset.Name, isms.ControlPodSecurity)
	risk := riskNamed(t, e.ns, name, isms.StateOpen)
	before := reasons(risk.Status.History)
	// Written past the policies (by the operator's identity, outside the operator).
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		forged := &isms.Risk{}
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(risk), forged); err != nil {
			return err
		}
		forged.Status.State = isms.StateAccepted
		return operatorClient(t).Status().Update(context.Background(), forged)
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, drift, func() error {
		current := &isms.Risk{}
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(risk), current); err != nil {
			return err
		}
		if current.Status.State != isms.StateOpen {
			return fmt.Errorf("state %s, want the forged Accepted put back to Open", current.Status.State)
		}
		if got := reasons(current.Status.History); got != before {
			return fmt.Errorf("history %s, want it unchanged: %s", got, before)
		}
		return nil
	})
}

func TestOversizeFindingsAndNamesAreFittedAndRecorded(t *testing.T) {
	e := newEstate(t)
	// An Ingress with 100 hosts without TLS reaching the asset.
	update(t, e.ingress, func(i *networkingv1.Ingress) {
		for n := range 100 {
			rule := *i.Spec.Rules[0].DeepCopy()
			rule.Host = fmt.Sprintf("clinic-%03d.outpatients.region.example.nhs.uk", n)
			i.Spec.Rules = append(i.Spec.Rules, rule)
		}
	})
	// A DaemonSet with a 253-character name whose 20 containers each fail the restricted standard.
	labels := map[string]string{"app.kubernetes.io/name": "epr-db"}
	var containers []corev1.Container
	for n := range 20 {
		containers = append(containers, corev1.Container{Name: fmt.Sprintf("collector-%02d", n), Image: "busybox",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true), RunAsUser: ptr.To[int64](0)}})
	}
	create(t, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: longName("log-collector")},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{ServiceAccountName: "epr-db", Containers: containers}}}})
	// And a second asset over the same workloads, with a 253-character name.
	second := e.asset.DeepCopy()
	second.ObjectMeta = metav1.ObjectMeta{Namespace: e.ns, Name: longName("patient-records")}
	create(t, second)

	for _, asset := range []*isms.InformationAsset{e.asset, second} {
		var current *isms.InformationAsset
		eventually(t, drift, func() error {
			current = &isms.InformationAsset{}
			if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(asset), current); err != nil {
				return err
			}
			for _, control := range []isms.ControlID{isms.ControlIngressTLS, isms.ControlPodSecurity} {
				if _, failing := finding(current, control); !failing {
					return fmt.Errorf("no %s finding: %+v", control, current.Status.Findings)
				}
			}
			if c := meta.FindStatusCondition(current.Status.Conditions, isms.ConditionCompliant); c == nil || c.Status != metav1.ConditionFalse {
				return fmt.Errorf("Compliant = %+v, want False", c)
			}
			return nil
		})
		for _, control := range []isms.ControlID{isms.ControlIngressTLS, isms.ControlPodSecurity} {
			risk := riskNamed(t, e.ns, register.Name(asset.Name, control), isms.StateOpen)
			for _, problem := range outOfBounds(t, risk) {
				t.Error(problem)
			}
		}
		assertWithinBounds(t, current)
	}
}

// longName is prefix made 253 characters long, the longest name most kinds allow.
func longName(prefix string) string {
	return prefix + "-" + strings.Repeat("x", 253-len(prefix)-1)
}

func TestALongAssetNameRaisesItsRisk(t *testing.T) {
	e := newEstate(t)
	long := e.asset.DeepCopy()
	long.ObjectMeta = metav1.ObjectMeta{Namespace: e.ns, Name: "patient-records-outpatients-and-community-services-east-region-65"}
	if len(long.Name) != 65 {
		t.Fatalf("the name has %d characters, want 65", len(long.Name))
	}
	create(t, long)
	privileged(t, e, true)
	risk := riskNamed(t, e.ns, register.Name(long.Name, isms.ControlPodSecurity), isms.StateOpen)
	if v := risk.Labels[register.LabelAsset]; len(v) > 63 || v == long.Name {
		t.Errorf("label %s = %q, want a value of at most 63 bytes standing for the name", register.LabelAsset, v)
	}
	eventually(t, drift, func() error {
		current := &isms.InformationAsset{}
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(long), current); err != nil {
			return err
		}
		if r := current.Status.Risks; r == nil || !slices.Contains(r.Names, risk.Name) {
			return fmt.Errorf("the asset's risks %+v do not list %s", r, risk.Name)
		}
		return nil
	})
}

func TestTheHistorySurvivesFlapping(t *testing.T) {
	if testing.Short() {
		t.Skip("flaps a control 60 times")
	}
	e := newEstate(t)
	name := register.Name(e.asset.Name, isms.ControlPodSecurity)
	privileged(t, e, true)
	riskNamed(t, e.ns, name, isms.StateOpen)
	// Re-assessed and accepted by a person: the acceptance must survive the flapping.
	jane := registerEditor(t, "jane.smith@nhs.net")
	if err := updateAs(t, jane, &isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: name}}, func(r *isms.Risk) {
		r.Spec.Likelihood, r.Spec.Consequence = 2, 5
		tolerate(r)
	}); err != nil {
		t.Fatal(err)
	}
	riskNamed(t, e.ns, name, isms.StateAccepted)
	for n := range 30 {
		privileged(t, e, false)
		riskNamed(t, e.ns, name, isms.StateResolved)
		privileged(t, e, true)
		if risk := riskNamed(t, e.ns, name, isms.StateAccepted); risk.Status.Occurrences != int32(n+2) {
			t.Fatalf("occurrences %d after %d recurrences", risk.Status.Occurrences, n+1)
		}
	}
	risk := riskNamed(t, e.ns, name, isms.StateAccepted)
	h := risk.Status.History
	if len(h) > register.MaxHistory || h[0].Reason != isms.ReasonDriftDetected {
		t.Fatalf("%d entries starting %+v; want at most %d, the first detection first", len(h), h[0], register.MaxHistory)
	}
	var transitions int32
	accepted := false
	for _, entry := range h {
		accepted = accepted || (entry.Reason == isms.ReasonRiskAccepted && strings.Contains(entry.Message, "jane.smith@nhs.net"))
		if entry.Reason == isms.ReasonFlapping {
			transitions += entry.Count
			if entry.Until == nil || entry.Until.Before(&entry.At) {
				t.Errorf("a folded entry has no time span: %+v", entry)
			}
		} else if entry.Reason == isms.ReasonDriftRecurred || entry.Reason == isms.ReasonDriftCorrected {
			transitions++
		}
	}
	if !accepted || transitions != 60 {
		t.Errorf("history %s: want jane's acceptance kept and 60 drift transitions counted, got %d", reasons(h), transitions)
	}
}

// assertWithinBounds checks the asset's status against every maxLength and maxItems of the
// InformationAsset CRD (read from the generated CRD, not from the code), and its size.
func assertWithinBounds(t *testing.T, asset *isms.InformationAsset) {
	t.Helper()
	for _, problem := range outOfBounds(t, asset) {
		t.Error(problem)
	}
	data, err := json.Marshal(asset.Status)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the status of %s is %d bytes", asset.Name, len(data))
	if len(data) > 16*1024 {
		t.Errorf("the asset's status is %d bytes, want under 16 KiB", len(data))
	}
}
