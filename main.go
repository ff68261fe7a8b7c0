// Command isms-operator runs the isms-operator manager: it watches InformationAssets, the
// workloads that hold them, Risks and ContinuityPlans, and keeps the register live.
//
// Two subcommands use the same catalogue away from the manager: `isms-operator audit`
// evaluates manifests in a CI pipeline, and `isms-operator report` writes the register of
// one or more clusters for the board.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/controllers"
	"github.com/isms-operator/isms-operator/internal/cli"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/incidents"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
	"github.com/isms-operator/isms-operator/internal/scheme"
	"github.com/isms-operator/isms-operator/internal/version"
	ismswebhook "github.com/isms-operator/isms-operator/internal/webhook"
)

const (
	// leaderElectionID names the Lease that replicas compete for.
	leaderElectionID = "isms-operator.isms.nhs.uk"
	// discoveryInterval is how often the operator looks for optional CRDs (Istio, Velero,
	// CSI snapshots) that are absent.
	discoveryInterval = time.Minute
)

// options are the command-line settings of the manager.
type options struct {
	metricsAddr             string
	metricsSecure           bool
	metricsCertDir          string
	enableHTTP2             bool
	probeAddr               string
	leaderElect             bool
	leaderElectionNamespace string
	exemptSubjects          string
	istioRootNamespace      string
	ratingBands             string
	riskAppetite            int
	incidentLikelihood      int
	incidentSeverity        int
	enableWebhooks          bool
	webhookPort             int
	webhookCertDir          string
	webhookCertificates     string
	webhookSecret           string
	webhookService          string
	webhookConfiguration    string
	watchNamespaces         string
	excludeNamespaces       string
	printVersion            bool
	openReports             bool
}

func (o *options) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443", `Address the Prometheus metrics endpoint binds to; "0" disables it.`)
	fs.BoolVar(&o.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS, only to callers the API server authenticates and authorizes for get on the /metrics non-resource URL; false serves plain HTTP to anyone who can reach the port.")
	fs.StringVar(&o.metricsCertDir, "metrics-cert-dir", "", "Directory holding the metrics server's tls.crt and tls.key (reloaded when they change); a self-signed certificate when empty.")
	fs.BoolVar(&o.enableHTTP2, "enable-http2", false, "Serve HTTP/2 on the metrics and webhook servers; off by default against HTTP/2's stream-reset and rapid-reset attacks (CVE-2023-44487, CVE-2023-39325).")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one of several replicas acts at a time.")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election Lease; defaults to the operator's own namespace in a cluster.")
	fs.StringVar(&o.exemptSubjects, "exempt-subjects", controls.FormatSubjects(controls.DefaultExemptSubjects),
		"Comma-separated subjects ACC-03 never flags, as Kind:name or ServiceAccount:namespace:name (* matches any name). The operator's own ServiceAccount (from $OPERATOR_NAMESPACE and $OPERATOR_SERVICE_ACCOUNT) is added.")
	fs.StringVar(&o.istioRootNamespace, "istio-root-namespace", controls.DefaultIstioRootNamespace, "Namespace of Istio's mesh-wide PeerAuthentication.")
	fs.StringVar(&o.ratingBands, "rating-bands", riskmatrix.NPSA.String(), "Risk rating bands of the 5x5 matrix, as Rating=min-max for Low, Moderate, High and Extreme; they must cover scores 1-25 without overlap.")
	fs.IntVar(&o.riskAppetite, "risk-appetite", register.DefaultAppetite, "Highest risk score (1-25) that may be tolerated: a Tolerate decision above it stays Open. Set it to the value the isms-risk-appetite admission policy's parameter holds (the Helm chart sets both from riskAppetite).")
	fs.IntVar(&o.incidentLikelihood, "incident-reportable-likelihood", int(incidents.DefaultGrid.Likelihood), "Lowest likelihood (1-5) on the notification grid of NHS England's Guide to the Notification of Data Security and Protection Incidents at which a SecurityIncident is reportable to the ICO, with --incident-reportable-severity.")
	fs.IntVar(&o.incidentSeverity, "incident-reportable-severity", int(incidents.DefaultGrid.Severity), "Lowest severity (1-5) on the notification grid at which a SecurityIncident is reportable to the ICO, with --incident-reportable-likelihood.")
	fs.BoolVar(&o.enableWebhooks, "enable-webhooks", true, "Serve the admission webhook that records who accepted a risk and who recorded an incident's notifications; off when running outside the cluster.")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "Port the admission webhook server listens on.")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces the operator works in (its caches, watches and register); every namespace when empty.")
	fs.StringVar(&o.excludeNamespaces, "exclude-namespaces", "", "Comma-separated namespaces the operator leaves out, of every namespace or of --watch-namespaces.")
	fs.BoolVar(&o.printVersion, "version", false, "Print the version and exit.")
	fs.BoolVar(&o.openReports, "openreports", false, "Write each namespace's findings as an OpenReports Report (openreports.io/v1alpha1), for Policy Reporter, once OpenReports' CRDs are installed.")
	fs.StringVar(&o.webhookCertificates, "webhook-certificates", certificatesFromFiles,
		`Where the webhook server's certificate comes from: "files", tls.crt and tls.key in --webhook-cert-dir (cert-manager's, say), reloaded when they change; or "operator", made and renewed by the operator in the Secret --webhook-secret of its namespace ($OPERATOR_NAMESPACE), for the Service --webhook-service, its CA written into the caBundle of the MutatingWebhookConfiguration --webhook-configuration.`)
	fs.StringVar(&o.webhookSecret, "webhook-secret", "", `The Secret of the operator's namespace that holds the webhook's certificates (--webhook-certificates=operator).`)
	fs.StringVar(&o.webhookService, "webhook-service", "", `The webhook's Service in the operator's namespace: the certificate is for <service>.<namespace>.svc (--webhook-certificates=operator).`)
	fs.StringVar(&o.webhookConfiguration, "webhook-configuration", "", `The MutatingWebhookConfiguration whose caBundle the operator writes (--webhook-certificates=operator).`)
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "", "Directory holding the webhook server's tls.crt and tls.key; defaults to controller-runtime's (/tmp/k8s-webhook-server/serving-certs).")
}

// config turns the options into the reconcilers' settings.
func (o options) config() (controllers.Config, error) {
	exempt, err := controls.ParseSubjects(o.exemptSubjects)
	if err != nil {
		return controllers.Config{}, err
	}
	if ns, sa := os.Getenv("OPERATOR_NAMESPACE"), os.Getenv("OPERATOR_SERVICE_ACCOUNT"); ns != "" && sa != "" {
		exempt = append(exempt, isms.Subject{Kind: "ServiceAccount", Namespace: ns, Name: sa})
	}
	matrix, err := riskmatrix.Parse(o.ratingBands)
	if err != nil {
		return controllers.Config{}, fmt.Errorf("--rating-bands: %w", err)
	}
	if o.riskAppetite < 1 || o.riskAppetite > 25 {
		return controllers.Config{}, fmt.Errorf("--risk-appetite must be a score from 1 to 25, got %d", o.riskAppetite)
	}
	for flag, value := range map[string]int{"incident-reportable-likelihood": o.incidentLikelihood, "incident-reportable-severity": o.incidentSeverity} {
		if value < 1 || value > 5 {
			return controllers.Config{}, fmt.Errorf("--%s must be a grade of the notification grid, 1 to 5, got %d", flag, value)
		}
	}
	scope, err := controllers.ParseScope(o.watchNamespaces, o.excludeNamespaces)
	if err != nil {
		return controllers.Config{}, err
	}
	return controllers.Config{ExemptSubjects: exempt, IstioRootNamespace: o.istioRootNamespace, DiscoveryInterval: discoveryInterval,
		Rules: register.Rules{Matrix: matrix, Appetite: int32(o.riskAppetite)}, Scope: scope, OpenReports: o.openReports,
		IncidentGrid: incidents.Grid{Likelihood: int32(o.incidentLikelihood), Severity: int32(o.incidentSeverity)}}, nil
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "audit":
			if os.Getenv("GOGC") == "" {
				// CI runners' memory is tighter than their time, and the audit takes a
				// fraction of kube-score's: collect garbage twice as often as Go would.
				debug.SetGCPercent(50)
			}
			os.Exit(cli.Audit(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case "report":
			os.Exit(cli.Report(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	var opts options
	opts.bindFlags(flag.CommandLine)
	logOpts := zap.Options{}
	logOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	if opts.printVersion {
		fmt.Println(version.Get())
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&logOpts)))
	log := ctrl.Log.WithName("setup")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "Could not load a kubeconfig")
		os.Exit(1)
	}
	ctx := ctrl.SetupSignalHandler()
	mgr, err := newManager(ctx, cfg, opts)
	if err != nil {
		log.Error(err, "Could not set up the manager")
		os.Exit(1)
	}
	build := version.Get()
	log.Info("Starting the manager", "version", build.Version, "revision", build.Revision)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "The manager stopped with an error")
		os.Exit(1)
	}
}

// newManager builds the manager: scheme, cache, probes, metrics, leader election and the
// reconcilers. It fails early, with the remedy in the message, when the cluster lacks the
// operator's CRDs or a flag is wrong.
func newManager(ctx context.Context, cfg *rest.Config, opts options) (manager.Manager, error) {
	config, err := opts.config()
	if err != nil {
		return nil, err
	}
	keeper, err := opts.certificateKeeper()
	if err != nil {
		return nil, err
	}
	api := &controllers.APIServer{}
	var tlsOpts []func(*tls.Config)
	if !opts.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	webhookTLS := tlsOpts
	if keeper != nil {
		webhookTLS = append(slices.Clone(tlsOpts), func(c *tls.Config) { c.GetCertificate = keeper.GetCertificate })
	}
	metrics := metricsserver.Options{BindAddress: opts.metricsAddr, SecureServing: opts.metricsSecure, CertDir: opts.metricsCertDir, TLSOpts: tlsOpts}
	if opts.metricsSecure {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	mgr, err := ctrl.NewManager(api.Wrap(cfg), ctrl.Options{
		Scheme:                        scheme.New(),
		Cache:                         controllers.CacheOptions(config.Scope),
		Client:                        controllers.ClientOptions(),
		Metrics:                       metrics,
		HealthProbeBindAddress:        opts.probeAddr,
		LeaderElection:                opts.leaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       opts.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		WebhookServer:                 webhook.NewServer(webhook.Options{Port: opts.webhookPort, CertDir: opts.webhookCertDir, TLSOpts: webhookTLS}),
	})
	if err != nil {
		return nil, err
	}
	if err := requireCRDs(mgr.GetRESTMapper()); err != nil {
		return nil, err
	}
	if err := controllers.Setup(ctx, mgr, config); err != nil {
		return nil, err
	}
	if opts.enableWebhooks {
		if err := (&ismswebhook.RiskAdmission{}).SetupWithManager(mgr); err != nil {
			return nil, err
		}
		if err := (&ismswebhook.IncidentAdmission{}).SetupWithManager(mgr); err != nil {
			return nil, err
		}
	}
	if keeper != nil {
		if err := keeper.SetupWithManager(mgr); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("webhook-certificate", keeper.Ready); err != nil {
			return nil, err
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	ready := healthz.Ping
	if opts.enableWebhooks {
		ready = mgr.GetWebhookServer().StartedChecker() // Risk and incident writes fail while it is down
	}
	if err := mgr.AddReadyzCheck("readyz", ready); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("apiserver", api.Ready); err != nil {
		return nil, err
	}
	return mgr, nil
}

// The sources of the webhook server's certificate (--webhook-certificates).
const (
	certificatesFromFiles    = "files"
	certificatesFromOperator = "operator"
)

// certificateKeeper is the keeper of the webhook's certificates when the operator makes
// them; nil when they come from files.
func (o options) certificateKeeper() (*ismswebhook.CertificateKeeper, error) {
	switch {
	case !o.enableWebhooks || o.webhookCertificates == certificatesFromFiles:
		return nil, nil
	case o.webhookCertificates != certificatesFromOperator:
		return nil, fmt.Errorf("--webhook-certificates must be %q or %q, got %q", certificatesFromFiles, certificatesFromOperator, o.webhookCertificates)
	}
	namespace := os.Getenv("OPERATOR_NAMESPACE")
	for _, required := range []struct{ name, value string }{
		{"--webhook-secret", o.webhookSecret}, {"--webhook-service", o.webhookService},
		{"--webhook-configuration", o.webhookConfiguration}, {"$OPERATOR_NAMESPACE", namespace},
	} {
		if required.value == "" {
			return nil, fmt.Errorf("--webhook-certificates=operator needs %s", required.name)
		}
	}
	return &ismswebhook.CertificateKeeper{Namespace: namespace, Secret: o.webhookSecret, Configuration: o.webhookConfiguration,
		DNSNames: ismswebhook.ServiceNames(o.webhookService, namespace)}, nil
}

// requireCRDs checks that every kind of the isms.nhs.uk API is served.
func requireCRDs(mapper meta.RESTMapper) error {
	var missing []error
	for _, kind := range []string{"InformationAsset", "Risk", "ContinuityPlan"} { // SecurityIncident is found when served, as an optional kind
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
