// Command isms-operator runs the isms-operator manager: it watches InformationAssets, the
// workloads that hold them, Risks and ContinuityPlans, and keeps the register live.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

// leaderElectionID names the Lease that replicas compete for.
const leaderElectionID = "isms-operator.isms.nhs.uk"

// options are the command-line settings of the manager.
type options struct {
	metricsAddr             string
	probeAddr               string
	leaderElect             bool
	leaderElectionNamespace string
}

func (o *options) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", `Address the Prometheus metrics endpoint binds to; "0" disables it.`)
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one of several replicas acts at a time.")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election Lease; defaults to the operator's own namespace in a cluster.")
}

func main() {
	var opts options
	opts.bindFlags(flag.CommandLine)
	logOpts := zap.Options{}
	logOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&logOpts)))
	log := ctrl.Log.WithName("setup")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "Could not load a kubeconfig")
		os.Exit(1)
	}
	mgr, err := newManager(cfg, opts)
	if err != nil {
		log.Error(err, "Could not set up the manager")
		os.Exit(1)
	}
	log.Info("Starting the manager")
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "The manager stopped with an error")
		os.Exit(1)
	}
}

// newManager builds the manager: scheme, probes, metrics and leader election. It fails
// early, with the remedy in the message, when the cluster lacks the operator's CRDs.
func newManager(cfg *rest.Config, opts options) (manager.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme.New(),
		Metrics:                       metricsserver.Options{BindAddress: opts.metricsAddr},
		HealthProbeBindAddress:        opts.probeAddr,
		LeaderElection:                opts.leaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       opts.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, err
	}
	if err := requireCRDs(mgr.GetRESTMapper()); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

// requireCRDs checks that every kind of the isms.nhs.uk API is served.
func requireCRDs(mapper meta.RESTMapper) error {
	var missing []error
	for _, kind := range []string{"InformationAsset", "Risk", "ContinuityPlan"} {
		gk := isms.GroupVersion.WithKind(kind).GroupKind()
		if _, err := mapper.RESTMapping(gk, isms.GroupVersion.Version); err != nil {
			missing = append(missing, fmt.Errorf("%s: %w", gk, err))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the isms.nhs.uk %s CRDs are not installed in this cluster (install them with `make install` or the Helm chart): %w",
			isms.GroupVersion.Version, errors.Join(missing...))
	}
	return nil
}
