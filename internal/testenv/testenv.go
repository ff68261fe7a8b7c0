// Package testenv runs a real kube-apiserver and etcd (controller-runtime's envtest) with
// the operator's CRDs installed, for integration tests. The binaries come from the local
// control plane that `make envtest` builds; `make test` points KUBEBUILDER_ASSETS at them.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

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
	env := &envtest.Environment{ErrorIfCRDPathMissing: true}
	if !opts.SkipCRDs {
		env.CRDDirectoryPaths = []string{filepath.Join(RepoRoot(), "config", "crd", "bases")}
	}
	if opts.Webhooks {
		env.WebhookInstallOptions.Paths = []string{filepath.Join(RepoRoot(), "config", "webhook")}
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the local control plane: %w", err)
	}
	e := &Env{Config: cfg, env: env}
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
	kubectl, err := admin.Kubectl()
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	e.kubectlPath, e.kubectlArgs = kubectl.Path, kubectl.Opts
	return e, nil
}

// WebhookServer returns a webhook server at the address and with the certificates the
// installed webhook configurations point at (Options.Webhooks).
func (e *Env) WebhookServer() webhook.Server {
	o := e.env.WebhookInstallOptions
	return webhook.NewServer(webhook.Options{Host: o.LocalServingHost, Port: o.LocalServingPort, CertDir: o.LocalServingCertDir})
}

// Stop stops the control plane.
func (e *Env) Stop() error { return e.env.Stop() }

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
