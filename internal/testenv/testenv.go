// Package testenv runs a real kube-apiserver and etcd (controller-runtime's envtest) with
// the operator's CRDs installed, for integration tests. The binaries come from the local
// control plane that `make envtest` builds; `make test` points KUBEBUILDER_ASSETS at them.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/isms-operator/isms-operator/internal/scheme"
)

// Env is a running control plane and a client for it.
type Env struct {
	// Config reaches the API server as a cluster administrator.
	Config *rest.Config
	// Client is a direct (uncached) client, able to watch, with the operator's scheme and CRDs.
	Client client.WithWatch

	env         *envtest.Environment
	certDir     string
	admin       *envtest.AuthenticatedUser
	kubectlPath string
	kubectlArgs []string // the flags that connect kubectl to this control plane
}

// Options tune what Start installs.
type Options struct {
	// SkipCRDs starts the control plane without the operator's CRDs.
	SkipCRDs bool
	// Webhooks installs the operator's admission webhooks (config/webhook), pointed at a
	// local webhook server that WebhookServer configures.
	Webhooks bool
	// EndpointRouting makes the API server call a webhook's Service at the addresses of its
	// EndpointSlices, verifying the certificate for the Service's name, as it reaches pods
	// in a cluster: a test can then point a Service at webhook servers on this machine.
	EndpointRouting bool
	// UpstreamCRDs installs other projects' CRDs as well: UpstreamVelero and UpstreamSnapshots.
	UpstreamCRDs []UpstreamCRDs
	// Register installs what the API server enforces of the risk register, as the Helm
	// chart does: the operator's ServiceAccount (OperatorUser) with the ClusterRole the
	// RBAC markers generate, and the ValidatingAdmissionPolicies of config/admission bound
	// to it, with the default risk appetite. Run the operator with OperatorConfig.
	Register bool
}

// The identity the operator runs as under Options.Register, as the Helm chart installs it.
const (
	OperatorNamespace      = "isms-system"
	OperatorServiceAccount = "isms-operator"
	// OperatorUser is the operator's username as the API server authenticates it.
	OperatorUser = "system:serviceaccount:" + OperatorNamespace + ":" + OperatorServiceAccount
	// Appetite is the risk appetite the policies are bound with.
	Appetite = 12
)

// UpstreamCRDs are CRD manifests of another project, found through an environment
// variable that `make test` sets from that project's Go module.
type UpstreamCRDs struct {
	// Env names the variable holding the directory (or file) of the manifests.
	Env string
	// Files, when set, are the manifests to install from that directory.
	Files []string
}

// Upstream CRDs the tests install.
var (
	// UpstreamVelero is Velero's velero.io CRDs.
	UpstreamVelero = UpstreamCRDs{Env: "VELERO_CRDS"}
	// UpstreamSnapshots is the CSI snapshotter's snapshot.storage.k8s.io CRDs.
	UpstreamSnapshots = UpstreamCRDs{Env: "SNAPSHOT_CRDS", Files: []string{
		"snapshot.storage.k8s.io_volumesnapshotclasses.yaml",
		"snapshot.storage.k8s.io_volumesnapshotcontents.yaml",
		"snapshot.storage.k8s.io_volumesnapshots.yaml",
	}}
	// UpstreamIstio is Istio's CRDs (PeerAuthentication among them).
	UpstreamIstio = UpstreamCRDs{Env: "ISTIO_CRDS"}
	// UpstreamMonitoring is the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs.
	UpstreamMonitoring = UpstreamCRDs{Env: "MONITORING_CRDS", Files: []string{
		"monitoring.coreos.com_servicemonitors.yaml",
		"monitoring.coreos.com_prometheusrules.yaml",
	}}
	// UpstreamOpenReports is OpenReports' Report and ClusterReport CRDs.
	UpstreamOpenReports = UpstreamCRDs{Env: "OPENREPORTS_CRDS"}
	// UpstreamGateway is the Gateway API's standard channel CRDs.
	UpstreamGateway = UpstreamCRDs{Env: "GATEWAY_CRDS", Files: []string{
		"gateway.networking.k8s.io_gatewayclasses.yaml",
		"gateway.networking.k8s.io_gateways.yaml",
		"gateway.networking.k8s.io_httproutes.yaml",
		"gateway.networking.k8s.io_grpcroutes.yaml",
		"gateway.networking.k8s.io_tlsroutes.yaml",
		"gateway.networking.k8s.io_referencegrants.yaml",
	}}
)

// Paths returns the manifests' paths, or an error naming the variable to set.
func (u UpstreamCRDs) Paths() ([]string, error) {
	dir := os.Getenv(u.Env)
	if dir == "" {
		return nil, fmt.Errorf("%s is not set: run the tests with `make test`, which points it at the upstream CRDs", u.Env)
	}
	if len(u.Files) == 0 {
		return []string{dir}, nil
	}
	var paths []string
	for _, f := range u.Files {
		paths = append(paths, filepath.Join(dir, f))
	}
	return paths, nil
}

// Install installs the manifests into the running control plane.
func (e *Env) Install(u UpstreamCRDs) error {
	paths, err := u.Paths()
	if err != nil {
		return err
	}
	_, err = envtest.InstallCRDs(e.Config, envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true})
	return err
}

// FreeAddr returns a loopback address with a port nothing listens on, for a process the
// demo or the benchmark starts beside the control plane.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// RepoRoot is the module's top directory, found from this file's location so tests work
// from any package directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start starts kube-apiserver and etcd and installs the CRDs from config/crd/bases.
func Start(opts Options) (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, fmt.Errorf("integration tests need the local control plane: run them with `make test` (which builds it into bin/k8s and sets KUBEBUILDER_ASSETS)")
	}
	// A serving-certificate directory of its own lets the API server restart with the same
	// certificates, so clients keep working across RestartAPIServer.
	certDir, err := os.MkdirTemp("", "isms-apiserver-")
	if err != nil {
		return nil, err
	}
	apiServer := &envtest.APIServer{CertDir: certDir}
	// The API server drains in-flight requests for up to the request timeout when it stops:
	// a short one makes StopAPIServer quick (no test request takes long).
	apiServer.Configure().Set("request-timeout", "5s")
	if opts.EndpointRouting {
		apiServer.Configure().Set("enable-aggregator-routing", "true")
	}
	env := &envtest.Environment{ErrorIfCRDPathMissing: true, ControlPlaneStopTimeout: time.Minute,
		ControlPlane: envtest.ControlPlane{APIServer: apiServer}}
	if !opts.SkipCRDs {
		env.CRDDirectoryPaths = []string{filepath.Join(RepoRoot(), "config", "crd", "bases")}
	}
	if opts.Webhooks {
		env.WebhookInstallOptions.Paths = []string{filepath.Join(RepoRoot(), "config", "webhook")}
	}
	for _, upstream := range opts.UpstreamCRDs {
		paths, err := upstream.Paths()
		if err != nil {
			return nil, err
		}
		env.CRDDirectoryPaths = append(env.CRDDirectoryPaths, paths...)
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the local control plane: %w", err)
	}
	e := &Env{Config: cfg, env: env, certDir: certDir}
	clientScheme := scheme.New()
	utilruntime.Must(apiextensionsv1.AddToScheme(clientScheme))
	if e.Client, err = client.NewWithWatch(cfg, client.Options{Scheme: clientScheme}); err != nil {
		_ = env.Stop()
		return nil, err
	}
	admin, err := env.ControlPlane.AddUser(envtest.User{Name: "test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	e.admin = admin
	kubectl, err := admin.Kubectl()
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	e.kubectlPath, e.kubectlArgs = kubectl.Path, kubectl.Opts
	if opts.Register {
		if err := e.installRegister(context.Background()); err != nil {
			_ = env.Stop()
			return nil, fmt.Errorf("installing the register's RBAC and admission policies: %w", err)
		}
	}
	return e, nil
}

// As returns a client that acts as user, in groups (plus system:authenticated), so a test
// can show what the API server lets that user do.
func (e *Env) As(user string, groups ...string) (client.Client, error) {
	cfg := rest.CopyConfig(e.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append(groups, "system:authenticated")}
	return client.New(cfg, client.Options{Scheme: e.Client.Scheme()})
}

// OperatorClient acts as the operator's ServiceAccount (Options.Register): in tests, for
// writes that got past the register's rules (made before the policies were installed).
func (e *Env) OperatorClient() (client.Client, error) {
	return client.New(e.OperatorConfig(), client.Options{Scheme: e.Client.Scheme()})
}

// OperatorConfig reaches the API server as the operator's ServiceAccount (Options.Register).
func (e *Env) OperatorConfig() *rest.Config {
	cfg := rest.CopyConfig(e.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: OperatorUser,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + OperatorNamespace, "system:authenticated"}}
	return cfg
}

// WriteKubeconfig writes a kubeconfig for a cluster administrator to path, for tools such
// as helm, and returns path.
func (e *Env) WriteKubeconfig(path string) (string, error) {
	data, err := e.admin.KubeConfig()
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, data, 0o600)
}

// WebhookServer returns a webhook server at the address and with the certificates the
// installed webhook configurations point at (Options.Webhooks).
func (e *Env) WebhookServer() webhook.Server {
	o := e.env.WebhookInstallOptions
	return webhook.NewServer(webhook.Options{Host: o.LocalServingHost, Port: o.LocalServingPort, CertDir: o.LocalServingCertDir})
}

// Stop stops the control plane.
func (e *Env) Stop() error {
	defer os.RemoveAll(e.certDir)
	return e.env.Stop()
}

// StopAPIServer stops the API server (etcd keeps running), as an outage would.
func (e *Env) StopAPIServer() error { return e.env.ControlPlane.APIServer.Stop() }

// StartAPIServer starts the API server StopAPIServer stopped, on the same address with the
// same certificates, and returns once it answers.
func (e *Env) StartAPIServer() error {
	return e.env.ControlPlane.APIServer.Start()
}

// Run is the body of a TestMain: it starts the control plane, calls each setup (e.g. to
// start a manager, which stops when the tests end), runs the package's tests, stops the
// control plane, and returns the exit code.
func Run(m *testing.M, opts Options, env **Env, setups ...func(context.Context, *Env) error) int {
	// The operator's logs would drown the test output; the tests assert what users see.
	ctrl.SetLogger(logr.Discard())
	e, err := Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*env = e
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, setup := range setups {
		if err := setup(ctx, e); err != nil {
			fmt.Fprintln(os.Stderr, "setting up the tests:", err)
			_ = e.Stop()
			return 1
		}
	}
	code := m.Run()
	cancel()
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the local control plane:", err)
	}
	return code
}

// Kubectl runs the kubectl of the local control plane as a cluster administrator, with
// stdin (which may be nil) as its standard input, and returns its standard output.
func (e *Env) Kubectl(stdin io.Reader, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(e.kubectlPath, append(append([]string{}, e.kubectlArgs...), args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %v: %w: %s", args, err, stderr.String())
	}
	return stdout.String(), nil
}

// Namespace creates a namespace with a unique name for one test and returns its name.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	if err := e.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a test namespace: %v", err)
	}
	t.Cleanup(func() { _ = e.Client.Delete(context.Background(), ns) })
	return ns.Name
}
