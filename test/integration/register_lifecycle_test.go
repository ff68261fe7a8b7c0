package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/controllers"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// eventually retries check until it returns nil or 20 s pass.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = check(); err == nil {
			return
		}
	}
	t.Fatalf("not within 20 s: %v", err)
}

func operatorClient(t *testing.T) client.Client {
	t.Helper()
	c, err := env.OperatorClient()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeletingAnAssetNeverWaitsForTheOperator(t *testing.T) {
	ctx := context.Background()
	ns, _ := drifting(t)
	stop := startManager(t)
	waitForHistory(t, ns, "Open DriftDetected")
	stop()

	// With the operator stopped (or uninstalled, the CRDs kept), the asset goes at once.
	asset := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "staff-records"}}
	if err := env.Client.Delete(ctx, asset); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(asset), asset); !apierrors.IsNotFound(err) {
		t.Fatalf("after the delete the asset is still there (finalizers %v): %v", asset.Finalizers, err)
	}
	// Its Risk is resolved, level-based, when the operator is back.
	startManager(t)
	risk := waitForHistory(t, ns, "Open DriftDetected", "Resolved AssetRemoved")
	if c := meta.FindStatusCondition(risk.Status.Conditions, isms.ConditionControlFailing); c == nil || c.Reason != isms.ReasonAssetRemoved {
		t.Errorf("ControlFailing = %+v, want reason AssetRemoved", c)
	}
}

func TestTheFinalizerOfEarlierVersionsIsRemoved(t *testing.T) {
	ctx := context.Background()
	ns, _ := drifting(t)
	asset := &isms.InformationAsset{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "staff-records"}, asset); err != nil {
		t.Fatal(err)
	}
	asset.Finalizers = []string{"isms.nhs.uk/risk-register"}
	if err := env.Client.Update(ctx, asset); err != nil {
		t.Fatal(err)
	}
	startManager(t)
	eventually(t, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(asset), asset); err != nil {
			return err
		}
		if len(asset.Finalizers) > 0 {
			return fmt.Errorf("finalizers %v, want the earlier versions' removed", asset.Finalizers)
		}
		return nil
	})
}

func TestARiskLeftWithoutStatusIsFinishedFromWhatWasObserved(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failing    bool
		wantStates []string
	}{
		{"the control still fails", true, []string{"Open DriftDetected"}},
		{"the drift was corrected meanwhile", false, []string{"Open DriftDetected", "Resolved DriftCorrected"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, d := drifting(t)
			// The operator raised the Risk and stopped before its first status, as a crash would.
			asset := &isms.InformationAsset{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "staff-records"}, asset); err != nil {
				t.Fatal(err)
			}
			raised := register.NewRisk(asset, isms.ControlPodSecurity, false)
			if err := operatorClient(t).Create(context.Background(), raised); err != nil {
				t.Fatal(err)
			}
			if !tc.failing {
				env.SetPrivileged(t, d, false)
			}
			startManager(t)
			risk := waitForHistory(t, ns, tc.wantStates...)
			if first := risk.Status.FirstDetected; first == nil || !first.Equal(&raised.CreationTimestamp) || risk.Status.Occurrences != 1 {
				t.Errorf("firstDetected %v, occurrences %d: want the Risk's creation %v, and 1", first, risk.Status.Occurrences, raised.CreationTimestamp)
			}
		})
	}
}

func TestTheStateMachineChecksTheAppetiteToo(t *testing.T) {
	ctx := context.Background()
	// The trust lowered its appetite to 6; the policy's parameter still says 12.
	startManager(t, managerOptions{appetite: 6})
	ns, _ := drifting(t)
	risk := waitForHistory(t, ns, "Open DriftDetected")
	if risk.Status.Score != 6 {
		t.Fatalf("the risk scores %d, want 6 (ACC-01 3 x Low 2)", risk.Status.Score)
	}
	jane, err := env.As("jane.smith@nhs.net", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	accept := func(likelihood int32) {
		t.Helper()
		current := &isms.Risk{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(&risk), current); err != nil {
			t.Fatal(err)
		}
		current.Spec.Likelihood = likelihood
		current.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTolerate, Acceptance: &isms.Acceptance{
			Justification: "Vendor fix due next quarter", Expires: metav1.NewTime(time.Now().Add(30 * 24 * time.Hour))}}
		// No webhook runs here: jane records herself, as the acceptor policy allows.
		current.Annotations = map[string]string{register.AnnotationAcceptedBy: "jane.smith@nhs.net",
			register.AnnotationAcceptedAt: time.Now().UTC().Format(time.RFC3339)}
		if err := jane.Update(ctx, current); err != nil {
			t.Fatal(err)
		}
	}
	compliant := func(want metav1.ConditionStatus, reason string) {
		t.Helper()
		eventually(t, func() error {
			asset := &isms.InformationAsset{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "staff-records"}, asset); err != nil {
				return err
			}
			if c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionCompliant); c == nil || c.Status != want || c.Reason != reason {
				return fmt.Errorf("Compliant = %+v, want %s (%s)", c, want, reason)
			}
			return nil
		})
	}

	accept(3) // score 6: within the operator's appetite
	waitForHistory(t, ns, "Open DriftDetected", "Accepted RiskAccepted")
	compliant(metav1.ConditionTrue, isms.ReasonFailureAccepted)

	accept(4) // score 8: admitted (8 <= 12), but above the operator's 6
	risk = waitForHistory(t, ns, "Open DriftDetected", "Accepted RiskAccepted", "Open AboveAppetite")
	if c := meta.FindStatusCondition(risk.Status.Conditions, isms.ConditionAcceptanceRefused); c == nil || c.Status != metav1.ConditionTrue || c.Reason != isms.ReasonAboveAppetite {
		t.Errorf("AcceptanceRefused = %+v, want True (AboveAppetite)", c)
	}
	compliant(metav1.ConditionFalse, isms.ReasonControlsFailing)
}

// staleReads serves, while it holds one, an old copy of an object instead of the cache's:
// the cache lagging behind the API server, on demand.
type staleReads struct {
	client.Client
	mu    sync.Mutex
	stale map[client.ObjectKey]client.Object
}

func (s *staleReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	s.mu.Lock()
	old, ok := s.stale[key]
	s.mu.Unlock()
	if ok {
		if plan, isPlan := obj.(*isms.ContinuityPlan); isPlan {
			old.(*isms.ContinuityPlan).DeepCopyInto(plan)
			return nil
		}
	}
	return s.Client.Get(ctx, key, obj, opts...)
}

func (s *staleReads) set(key client.ObjectKey, obj client.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if obj == nil {
		delete(s.stale, key)
	} else {
		s.stale[key] = obj
	}
}

func TestAPlanStatusFlipIsNeverLostToAStaleCache(t *testing.T) {
	ctx := context.Background()
	stale := &staleReads{stale: map[client.ObjectKey]client.Object{}}
	startManager(t, managerOptions{newClient: func(config *rest.Config, options client.Options) (client.Client, error) {
		c, err := client.New(config, options)
		stale.Client = c
		return stale, err
	}})
	ns := env.Namespace(t)
	mirth := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mirth"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "mirth"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "mirth"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "mirth", Image: "mirth"}}}}}}
	plan := &isms.ContinuityPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "epr-continuity"},
		Spec: isms.ContinuityPlanSpec{Owner: isms.Person{Name: "Jane Smith"}, Assets: []isms.LocalObjectReference{{Name: "patient-records"}},
			Dependencies: []isms.Dependency{{Name: "integration-engine", Fallback: "Paper requests",
				Ref: &isms.DependencyReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "mirth"}}}}}
	for _, obj := range []client.Object{mirth, plan} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	available := func(n int32) {
		t.Helper()
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(mirth), mirth); err != nil {
			t.Fatal(err)
		}
		mirth.Status.Replicas, mirth.Status.ReadyReplicas, mirth.Status.AvailableReplicas = 1, n, n
		if err := env.Client.Status().Update(ctx, mirth); err != nil {
			t.Fatal(err)
		}
	}
	dependencies := func(want metav1.ConditionStatus) *isms.ContinuityPlan {
		t.Helper()
		current := &isms.ContinuityPlan{}
		eventually(t, func() error {
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(plan), current); err != nil {
				return err
			}
			if c := meta.FindStatusCondition(current.Status.Conditions, isms.ConditionDependenciesAvailable); c == nil || c.Status != want {
				return fmt.Errorf("DependenciesAvailable = %+v, want %s", c, want)
			}
			return nil
		})
		return current
	}

	available(1)
	before := dependencies(metav1.ConditionTrue)
	available(0)
	dependencies(metav1.ConditionFalse)
	// The cache still shows the plan as it was before that write when the dependency
	// comes back: a status computed from it looks unchanged, but is not.
	stale.set(client.ObjectKeyFromObject(plan), before)
	available(1)
	time.Sleep(time.Second)
	stale.set(client.ObjectKeyFromObject(plan), nil)
	dependencies(metav1.ConditionTrue)
}

func TestDriftAfterTheAPIServerRestartsShowsAtOnce(t *testing.T) {
	api := &controllers.APIServer{}
	probes, err := testenv.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, managerOptions{apiServer: api, probes: probes})
	ns, d := drifting(t)
	waitForHistory(t, ns, "Open DriftDetected")
	env.SetPrivileged(t, d, false)
	waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected")
	readyz := func() int {
		resp, err := http.Get("http://" + probes + "/readyz")
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		return resp.StatusCode
	}
	if code := readyz(); code != http.StatusOK {
		t.Fatalf("readyz answers %d before the outage, want 200", code)
	}

	stopping := time.Now()
	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	t.Logf("the API server took %s to stop", time.Since(stopping))
	eventually(t, func() error {
		if code := readyz(); code == http.StatusOK {
			return fmt.Errorf("readyz still answers %d with the API server down", code)
		}
		return nil
	})
	// Long enough for client-go's informers to have backed off for tens of seconds, had
	// they been left to retry on their own.
	time.Sleep(20 * time.Second)
	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	env.SetPrivileged(t, d, true)
	waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected", "Open DriftRecurred")
	// A generous bound (the target is 5 s, make bench territory): left to client-go's
	// backoff, the drift showed 40-69 s after the API server answered.
	if took := time.Since(answered); took > 15*time.Second {
		t.Errorf("the drift showed %s after the API server answered again", took)
	} else {
		t.Logf("the drift showed %s after the API server answered again", took)
	}
	eventually(t, func() error {
		if code := readyz(); code != http.StatusOK {
			return fmt.Errorf("readyz answers %d after the API server came back", code)
		}
		return nil
	})
}

// TestLeaderCutOffFromTheAPIServerExitsAndItsRestartSeesDrift: with leader election, an
// operator that cannot renew its Lease stops (main.go then exits non-zero and Kubernetes
// restarts its container, as it does every Deployment's), so that two replicas never act
// at once; the restarted operator takes the Lease again and shows the drift made while it
// was down.
func TestLeaderCutOffFromTheAPIServerExitsAndItsRestartSeesDrift(t *testing.T) {
	_, exited := runManager(t, managerOptions{leaderElection: true, apiServer: &controllers.APIServer{}})
	ns, d := drifting(t)
	waitForHistory(t, ns, "Open DriftDetected")
	env.SetPrivileged(t, d, false)
	waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected")

	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(err.Error(), "leader election lost") {
			t.Errorf("the operator stopped with %v, want leader election lost", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the operator kept running a minute after it could no longer renew its Lease")
	}
	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	env.SetPrivileged(t, d, true)
	startManager(t, managerOptions{leaderElection: true, apiServer: &controllers.APIServer{}})
	waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected", "Open DriftRecurred")
}

// TestScopeLimitsTheOperatorToItsNamespaces: with --watch-namespaces, or
// --exclude-namespaces, an asset outside the scope is neither evaluated nor given a Risk,
// however it drifts, while one inside is, with evidence from outside the scope.
func TestScopeLimitsTheOperatorToItsNamespaces(t *testing.T) {
	if err := env.Install(testenv.UpstreamVelero); err != nil {
		t.Fatal(err)
	}
	for name, scope := range map[string]func(inside, outside string) controllers.Scope{
		"watch": func(inside, _ string) controllers.Scope {
			return controllers.Scope{Watch: []string{inside, "elsewhere"}}
		},
		"exclude": func(_, outside string) controllers.Scope { return controllers.Scope{Exclude: []string{outside}} },
	} {
		t.Run(name, func(t *testing.T) {
			inside, insideWorkload := drifting(t)
			outside, _ := drifting(t)
			stop := startManager(t, managerOptions{scope: scope(inside, outside)})
			defer stop()
			waitForHistory(t, inside, "Open DriftDetected")
			env.SetPrivileged(t, insideWorkload, false)
			waitForHistory(t, inside, "Open DriftDetected", "Resolved DriftCorrected")
			var risks isms.RiskList
			if err := env.Client.List(context.Background(), &risks, client.InNamespace(outside)); err != nil || len(risks.Items) > 0 {
				t.Errorf("namespace %s, out of scope, has %d risks (%v); want none", outside, len(risks.Items), err)
			}
			asset := &isms.InformationAsset{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: outside, Name: "staff-records"}, asset); err != nil {
				t.Fatal(err)
			}
			if asset.Status.ObservedGeneration != 0 || len(asset.Status.Conditions) > 0 {
				t.Errorf("the asset out of scope was evaluated: %+v", asset.Status)
			}

			// Evidence outside the scope is still read: Velero's objects live in its own
			// namespace (here the one out of scope), and back up the asset inside.
			requireBackups(t, inside)
			for _, obj := range []*unstructured.Unstructured{
				velero("BackupStorageLocation", outside, "default", map[string]any{"default": true, "provider": "aws",
					"objectStorage": map[string]any{"bucket": "staff"}}, map[string]any{"phase": "Available"}),
				velero("Backup", outside, "staff-nightly", map[string]any{"includedNamespaces": []any{inside}},
					map[string]any{"phase": "Completed", "completionTimestamp": time.Now().UTC().Format(time.RFC3339)}),
			} {
				createWithStatus(t, obj)
			}
			backedUp(t, inside, metav1.ConditionTrue, "Backup/"+outside+"/staff-nightly")
		})
	}
}
