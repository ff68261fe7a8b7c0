// Package integration holds tests that run several operator managers against one control
// plane: restarts and replicas racing without leader election must never duplicate a Risk
// or a transition in its history.
package integration

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/controllers"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
	"github.com/isms-operator/isms-operator/internal/scheme"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{Register: true}, &env))
}

// managerOptions vary a test's manager from the one main.go builds.
type managerOptions struct {
	// appetite is the operator's risk appetite; testenv.Appetite (the policies') when 0.
	appetite int32
	// newClient builds the manager's client; controller-runtime's when nil.
	newClient client.NewClientFunc
	// apiServer, when set, wraps the manager's configuration as main.go does, and serves
	// its readiness check at probes.
	apiServer *controllers.APIServer
	probes    string
	// leaderElection makes the manager elect a leader, as main.go's --leader-elect does,
	// through a Lease in the operator's namespace, renewed every second.
	leaderElection bool
	// scope is the namespaces the manager works in (--watch-namespaces, --exclude-namespaces).
	scope controllers.Scope
	// openReports writes OpenReports Reports (--openreports).
	openReports bool
}

// startManager runs a manager built as main.go builds it, as the operator's ServiceAccount,
// until the returned function stops it; it fails the test if the manager stops with an
// error.
func startManager(t *testing.T, opts ...managerOptions) (stop func()) {
	t.Helper()
	stopManager, exited := runManager(t, opts...)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			stopManager()
			if err := <-exited; err != nil {
				t.Errorf("manager stopped with an error: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// runManager runs a manager built as main.go builds it, as the operator's ServiceAccount,
// until the returned function stops it; exited gives what its Start returned.
func runManager(t *testing.T, opts ...managerOptions) (stop func(), exited <-chan error) {
	t.Helper()
	var o managerOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	cfg, probes := env.OperatorConfig(), cmp.Or(o.probes, "0")
	if o.apiServer != nil {
		cfg = o.apiServer.Wrap(cfg)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme.New(), Cache: controllers.CacheOptions(o.scope), Client: controllers.ClientOptions(), NewClient: o.newClient,
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: probes,
		// Controller names must be unique within a process; these managers share one.
		Controller:     config.Controller{SkipNameValidation: ptr.To(true)},
		LeaderElection: o.leaderElection, LeaderElectionID: "isms-operator.isms.nhs.uk", LeaderElectionNamespace: testenv.OperatorNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 ptr.To(3 * time.Second), RenewDeadline: ptr.To(2 * time.Second), RetryPeriod: ptr.To(500 * time.Millisecond),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	config := controllers.Config{ExemptSubjects: controls.DefaultExemptSubjects, DiscoveryInterval: time.Second,
		Rules: register.Rules{Matrix: riskmatrix.NPSA, Appetite: cmp.Or(o.appetite, testenv.Appetite)}, Scope: o.scope, OpenReports: o.openReports}
	if err := controllers.Setup(ctx, mgr, config); err != nil {
		t.Fatal(err)
	}
	if o.apiServer != nil {
		if err := mgr.AddReadyzCheck("apiserver", o.apiServer.Ready); err != nil {
			t.Fatal(err)
		}
	}
	done, result := make(chan error, 1), make(chan error, 1)
	go func() {
		err := mgr.Start(ctx)
		done <- err
		result <- err
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop, result
}

// drifting creates, in a new namespace, testenv's drifting asset, and returns the
// namespace and its Deployment.
func drifting(t *testing.T) (string, *appsv1.Deployment) {
	t.Helper()
	ns := env.Namespace(t)
	_, d := env.DriftingAsset(t, ns)
	return ns, d
}

// waitForHistory waits until the namespace holds exactly one Risk whose history reads
// want (state and reason of each transition, oldest first), and returns it.
func waitForHistory(t *testing.T, ns string, want ...string) isms.Risk {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var risks isms.RiskList
		if err := env.Client.List(context.Background(), &risks, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		var got []string
		if len(risks.Items) == 1 {
			for _, h := range risks.Items[0].Status.History {
				got = append(got, string(h.State)+" "+h.Reason)
			}
		}
		last = fmt.Sprintf("%d risks, history %v", len(risks.Items), got)
		if len(risks.Items) == 1 && strings.Join(got, ", ") == strings.Join(want, ", ") {
			return risks.Items[0]
		}
	}
	t.Fatalf("want exactly one risk with history %v; got %s", want, last)
	return isms.Risk{}
}

// settle lets managers act on what they have seen, so a duplicate would have time to appear.
func settle() { time.Sleep(2 * time.Second) }

func TestRestartKeepsOneRiskAndItsHistory(t *testing.T) {
	ns, d := drifting(t)
	stop := startManager(t)
	waitForHistory(t, ns, "Open DriftDetected")
	stop()

	startManager(t) // a new process finds the same Risk by its name and the drift unchanged
	settle()
	waitForHistory(t, ns, "Open DriftDetected")

	env.SetPrivileged(t, d, false)
	waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected")
}

func TestReplicasRacingWithoutLeaderElectionKeepOneRisk(t *testing.T) {
	startManager(t)
	startManager(t)
	ns, d := drifting(t)
	waitForHistory(t, ns, "Open DriftDetected")

	env.SetPrivileged(t, d, false)
	waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected")
	env.SetPrivileged(t, d, true)
	settle()
	risk := waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected", "Open DriftRecurred")
	if risk.Status.Occurrences != 2 {
		t.Errorf("occurrences = %d, want 2", risk.Status.Occurrences)
	}
}
