// Command demo runs the main job of isms-operator on a bare machine: it starts a local
// control plane (kube-apiserver and etcd built from the Go module proxy), installs the
// CRDs, runs the operator, applies the demo estate (config/demo: a compliant asset and a
// drifting one), waits until it is evaluated, prints what `kubectl get isms -A` and the
// risk register show, and keeps the control plane running until Ctrl-C. `make demo` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/isms-operator/isms-operator/internal/demo"
	"github.com/isms-operator/isms-operator/internal/openreports"
	"github.com/isms-operator/isms-operator/internal/scheme"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

func main() {
	operator := flag.String("operator", "bin/isms-operator", "the operator binary to run")
	workDir := flag.String("workdir", "bin/demo", "where the kubeconfig and the operator's log go")
	crds := flag.String("crds", "", "comma-separated directories or files of CRDs to install besides config/crd/bases (Velero's, the CSI snapshotter's)")
	exit := flag.Bool("exit", false, "stop after printing, instead of waiting for Ctrl-C")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *operator, *workDir, *crds, *exit); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, operator, workDir, extraCRDs string, exit bool) error {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return fmt.Errorf("KUBEBUILDER_ASSETS is not set: run `make demo`, which builds the local control plane into bin/k8s")
	}
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return err
	}
	crdPaths := []string{filepath.Join("config", "crd", "bases")}
	for _, path := range strings.Split(extraCRDs, ",") {
		if path != "" {
			crdPaths = append(crdPaths, path)
		}
	}

	step("Starting a local control plane (kube-apiserver and etcd)")
	env := &envtest.Environment{CRDDirectoryPaths: crdPaths, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	defer func() {
		step("Stopping the local control plane")
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "demo: stopping the control plane:", err)
		}
	}()
	admin, err := env.ControlPlane.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	kubeconfigPath, err := filepath.Abs(filepath.Join(workDir, "kubeconfig"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	kubectl := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"),
			append([]string{"--kubeconfig", kubeconfigPath}, args...)...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}

	step("Starting the operator (log: " + filepath.Join(workDir, "operator.log") + ")")
	logPath := filepath.Join(workDir, "operator.log")
	stopOperator, exited, metricsAddr, err := startOperator(operator, kubeconfigPath, logPath)
	if err != nil {
		return err
	}
	defer stopOperator()

	step("Applying the demo estate (config/demo): Velero's backups first, then the assets")
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return err
	}
	if err := demo.Apply(ctx, c, func(files ...string) error {
		args := []string{"apply"}
		for _, f := range files {
			args = append(args, "-f", f)
		}
		_, err := kubectl(args...)
		return err
	}); err != nil {
		return err
	}
	step("Waiting until the operator has evaluated every asset")
	// An operator that exits (a port taken, a flag refused) ends the wait at once.
	waitCtx, cancelWait := context.WithCancel(ctx)
	go func() {
		select {
		case <-exited:
			cancelWait()
		case <-waitCtx.Done():
		}
	}()
	err = demo.Wait(waitCtx, c, 2*time.Minute)
	cancelWait()
	if ctx.Err() != nil {
		return ctx.Err() // Ctrl-C
	}
	if err != nil {
		select {
		case <-exited:
			err = fmt.Errorf("the operator exited (%v)", err)
		default:
		}
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("the operator did not reach the expected state: %w\nthe end of its log (%s):\n%s", err, logPath, tail(log, 20))
	}

	if err := waitForReports(ctx, c); err != nil {
		return err
	}
	step("Recording a security incident against the drifting staff system (" + demo.IncidentSample + ")")
	if err := demo.RecordIncident(ctx, c, time.Now(), 30*time.Second); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"get", "isms", "-A"},
		{"get", "risks", "-A", "--sort-by=.status.score"},
		{"get", "reports", "-A"},
		{"get", "incidents", "-A", "-o", "wide"},
		{"get", "incident", "rota-export-misdirected", "-n", "hr", "-o", `jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}`},
	} {
		out, err := kubectl(args...)
		if err != nil {
			return err
		}
		fmt.Printf("\n$ kubectl %s\n%s", strings.Join(args, " "), out)
	}
	kubectlDir, err := filepath.Abs(os.Getenv("KUBEBUILDER_ASSETS"))
	if err != nil {
		return err
	}
	fmt.Printf(`
The control plane is running. In another shell, use the kubectl built beside it:
  export KUBECONFIG=%s PATH=%s:$PATH
  kubectl describe ia staff-records -n hr          # why it is not compliant
  kubectl describe risk staff-records-acc-01 -n hr # a raised risk, its evidence and history
  kubectl get bcp -n epr                           # the continuity plan
  kubectl get report isms-operator -n hr -o yaml   # the OpenReports Report Policy Reporter reads
  kubectl describe incident rota-export-misdirected -n hr  # the incident, its clock and the Risks it names
  curl -s http://%s/metrics | grep ^isms_          # the operator's metrics (plain HTTP here, on loopback)
Fix a drift: run the staff system as the restricted Pod Security Standard asks,
  %s
and watch staff-records-acc-01 resolve: kubectl get risks -n hr -w
`, kubeconfigPath, kubectlDir, metricsAddr, demo.Fix)
	if exit {
		return nil
	}
	fmt.Println("Press Ctrl-C to stop and clean up.")
	<-ctx.Done()
	return nil
}

func step(message string) { fmt.Printf("==> %s\n", message) }

// waitForReports waits until the operator has written the OpenReports Report of each of
// the demo's namespaces (a moment after it evaluated their assets).
func waitForReports(ctx context.Context, c client.Reader) error {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		written := 0
		for _, expected := range demo.Expected {
			report := &orv1alpha1.Report{}
			if c.Get(ctx, client.ObjectKey{Namespace: expected.Namespace, Name: openreports.ReportName}, report) == nil {
				written++
			}
		}
		if written == len(demo.Expected) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the operator wrote %d of the demo's %d OpenReports Reports within 30 s", written, len(demo.Expected))
		}
	}
}

// tail is the last n lines of log.
func tail(log []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// startOperator runs the operator binary against the control plane and returns a function
// that stops it and waits for it to exit, a channel closed when it has exited, and its
// metrics address.
func startOperator(binary, kubeconfig, logPath string) (stop func(), exited <-chan struct{}, metricsAddr string, err error) {
	metricsAddr, err = testenv.FreeAddr()
	if err != nil {
		return nil, nil, "", err
	}
	probeAddr, err := testenv.FreeAddr()
	if err != nil {
		return nil, nil, "", err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, "", err
	}
	// No webhook (the control plane cannot call a process on this machine without a
	// certificate it trusts) and metrics in plain HTTP, on loopback, for curl.
	cmd := exec.Command(binary, "--kubeconfig", kubeconfig, "--enable-webhooks=false", "--metrics-secure=false", "--openreports",
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, nil, "", fmt.Errorf("starting %s (run `make build` first): %w", binary, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return func() {
		step("Stopping the operator")
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
	}, done, metricsAddr, nil
}
