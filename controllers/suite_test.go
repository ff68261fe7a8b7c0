package controllers_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/isms-operator/isms-operator/controllers"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
	"github.com/isms-operator/isms-operator/internal/scheme"
	"github.com/isms-operator/isms-operator/internal/testenv"
	"github.com/isms-operator/isms-operator/internal/webhook"
)

var (
	// env is the real kube-apiserver and etcd these tests run against.
	env *testenv.Env
	// cached reads through the running manager's cache.
	cached client.Reader
	// clockOffset moves the reconcilers' clock (time.Now plus the offset), so tests can
	// let backups and exercises fall due.
	clockOffset atomic.Int64
)

// now is the reconcilers' clock.
func now() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }

// moveClock sets the reconcilers' clock offset for the rest of the test.
func moveClock(t *testing.T, offset time.Duration) {
	clockOffset.Store(int64(offset))
	t.Cleanup(func() { clockOffset.Store(0) })
}

// TestMain starts the control plane and one manager, built as main.go builds it, whose
// reconcilers every test in this package exercises in a namespace of its own.
func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{Webhooks: true, Register: true,
		UpstreamCRDs: []testenv.UpstreamCRDs{testenv.UpstreamVelero, testenv.UpstreamSnapshots, testenv.UpstreamGateway}}, &env, startManager))
}

// startManager runs the operator as its own ServiceAccount, with the chart's RBAC and
// under the admission policies, as a cluster runs it.
func startManager(ctx context.Context, e *testenv.Env) error {
	mgr, err := ctrl.NewManager(e.OperatorConfig(), ctrl.Options{
		Scheme:                 scheme.New(),
		Cache:                  controllers.CacheOptions(controllers.Scope{}),
		Client:                 controllers.ClientOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer:          e.WebhookServer(),
	})
	if err != nil {
		return err
	}
	// Reports on, without OpenReports' CRDs: every test here also shows that their absence
	// changes nothing else.
	cfg := controllers.Config{ExemptSubjects: controls.DefaultExemptSubjects, DiscoveryInterval: time.Second, Now: now,
		Rules: register.Rules{Matrix: riskmatrix.NPSA, Appetite: testenv.Appetite}, OpenReports: true}
	if err := controllers.Setup(ctx, mgr, cfg); err != nil {
		return err
	}
	if err := (&webhook.RiskAdmission{}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&webhook.IncidentAdmission{}).SetupWithManager(mgr); err != nil {
		return err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "the manager stopped:", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fmt.Errorf("the manager's cache did not sync")
	}
	cached = mgr.GetCache()
	return nil
}

// eventually retries check until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = check(); err == nil {
			return
		}
	}
	t.Fatalf("not within %s: %v", timeout, err)
}
