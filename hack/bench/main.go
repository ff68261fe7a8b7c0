// Command bench measures isms-operator at trust scale (make bench): it starts the local
// control plane, creates an estate of InformationAssets over workloads in namespaces, runs
// the operator binary (the production code path) against it, and measures the time to
// evaluate every asset, drift-to-Risk latency against the floor of a bare watch seeing the
// same write, the operator's heap and RSS, and the API requests and status writes it makes
// while nothing changes. It prints a table and writes the same figures as JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/isms-operator/isms-operator/internal/scheme"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// Results are the figures of one run.
type Results struct {
	Assets     int `json:"assets"`
	Workloads  int `json:"workloads"`
	Namespaces int `json:"namespaces"`
	Objects    int `json:"objects"`

	CreateSeconds      float64 `json:"createSeconds"`
	FullEvaluationSecs float64 `json:"fullEvaluationSeconds"`

	Backups     int `json:"backups"`
	BurstAssets int `json:"burstAssets"`

	// OpenReports, ReportBytes and ReportSeconds: with -openreports, the Reports written
	// (one per namespace), their size as stored (their JSON, which etcd holds), and how
	// long after the full evaluation the last was written.
	OpenReports   int     `json:"openReports"`
	ReportBytes   int     `json:"openReportsBytes"`
	ReportSeconds float64 `json:"openReportsSeconds"`

	Drifts       int          `json:"drifts"`
	DriftLatency Distribution `json:"driftToRiskSeconds"`
	Floor        Distribution `json:"bareWatchFloorSeconds"`
	RatioP50     float64      `json:"ratioP50"`
	RatioP99     float64      `json:"ratioP99"`

	// BurstLatency is drift -> Risk of assets elsewhere while a burst of reconciles runs.
	BurstDrifts  int          `json:"burstDrifts"`
	BurstLatency Distribution `json:"burstDriftToRiskSeconds"`
	// BurstStatusWrites counts the operator's writes while the bursts ran: a change that
	// alters no asset's evidence writes nothing.
	BurstStatusWrites int `json:"burstStatusWrites"`

	// EvaluationMeanMs is the mean time of one asset's evaluation (gather and evaluate)
	// while the drifts are timed: the steady state, not the first evaluation of all.
	EvaluationMeanMs float64 `json:"evaluationMeanMilliseconds"`

	HeapMiB float64 `json:"heapMiB"`
	RSSMiB  float64 `json:"rssMiB"`

	IdleSeconds           float64            `json:"idleSeconds"`
	IdleOperatorRequests  map[string]float64 `json:"idleOperatorRequestsByMethod"`
	IdleAPIServerRequests map[string]float64 `json:"idleAPIServerRequestsByVerbAndResource"`
	IdleStatusWrites      int                `json:"idleStatusWrites"`
}

func main() {
	e := estate{}
	flag.IntVar(&e.assets, "assets", 1000, "InformationAssets to create")
	flag.IntVar(&e.workloads, "workloads", 10000, "workloads (Deployments) to create, spread over the assets")
	flag.IntVar(&e.namespaces, "namespaces", 100, "namespaces to spread the estate over")
	flag.Float64Var(&e.driftShare, "drift-share", 0.1, "share of assets that start with a failing control")
	flag.IntVar(&e.backups, "backups", 0, "Velero Backups to create, spread over the namespaces (with the backup controls on; needs VELERO_CRDS)")
	flag.IntVar(&e.burst, "burst", 0, "extra assets in the first namespace that all select one workload, changed again and again while drifts elsewhere are timed")
	drifts := flag.Int("drifts", 200, "drifts to time (each on a distinct compliant asset)")
	idle := flag.Duration("idle", 60*time.Second, "the idle window in which requests and writes are counted")
	operator := flag.String("operator", "bin/isms-operator", "the operator binary")
	out := flag.String("json", "bin/bench/results.json", "where to write the figures as JSON")
	operatorLog := flag.String("operator-log", "", "where to keep the operator's log (by default it is removed with the run)")
	flag.BoolVar(&e.openReports, "openreports", false, "run the operator with --openreports and measure the Reports it writes (needs OPENREPORTS_CRDS)")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard()) // client-go's complaints about requests cancelled at exit

	results, err := run(context.Background(), e, *drifts, *idle, *operator, *operatorLog)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	printTable(os.Stdout, results)
	if err := writeJSON(*out, results); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Printf("\nFigures written to %s\n", *out)
}

func writeJSON(path string, results *Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func run(ctx context.Context, e estate, drifts int, idle time.Duration, operator, operatorLog string) (*Results, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run `make bench`")
	}
	r := &Results{Assets: e.assets, Workloads: e.workloads, Namespaces: e.namespaces, Backups: e.backups, BurstAssets: e.burst}
	step("Starting the local control plane")
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	for _, upstream := range []struct {
		crds testenv.UpstreamCRDs
		on   bool
	}{{testenv.UpstreamVelero, e.backups > 0}, {testenv.UpstreamOpenReports, e.openReports}} {
		if !upstream.on {
			continue
		}
		crds, err := upstream.crds.Paths()
		if err != nil {
			return nil, err
		}
		env.CRDDirectoryPaths = append(env.CRDDirectoryPaths, crds...)
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, err
	}
	defer func() { _ = env.Stop() }()
	cfg.QPS, cfg.Burst = -1, 0 // the estate is created as fast as the API server takes it
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, err
	}

	objs := append(e.objects(), e.veleroObjects(time.Now())...)
	r.Objects = len(objs)
	step(fmt.Sprintf("Creating the estate: %d assets, %d workloads, %d namespaces, %d objects in all", e.assets, e.workloads, e.namespaces, len(objs)))
	started := time.Now()
	if err := create(ctx, c, objs, 32); err != nil {
		return nil, err
	}
	r.CreateSeconds = time.Since(started).Seconds()

	w, err := startWatches(ctx, c)
	if err != nil {
		return nil, err
	}
	defer w.stop()

	admin, err := env.ControlPlane.AddUser(envtest.User{Name: "bench", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "isms-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	kubeconfigPath := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return nil, err
	}
	metricsAddr, err := testenv.FreeAddr()
	if err != nil {
		return nil, err
	}

	step("Starting the operator and waiting until every asset is evaluated")
	started = time.Now()
	// Metrics in plain HTTP, on loopback, for the bench to read.
	cmd := exec.Command(operator, "--kubeconfig", kubeconfigPath, "--enable-webhooks=false", "--metrics-secure=false",
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0", fmt.Sprintf("--openreports=%t", e.openReports))
	if operatorLog == "" {
		operatorLog = filepath.Join(dir, "operator.log")
	}
	logFile, err := os.Create(operatorLog)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (run `make build`): %w", operator, err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	if err := w.waitEvaluated(e.assets+e.burst, 20*time.Minute); err != nil {
		return nil, err
	}
	r.FullEvaluationSecs = time.Since(started).Seconds()
	if e.openReports {
		step("Waiting for the OpenReports Reports and measuring them")
		evaluated := time.Now()
		if err := measureReports(ctx, c, e.namespaces, r); err != nil {
			return nil, err
		}
		r.ReportSeconds = time.Since(evaluated).Seconds()
	}

	step(fmt.Sprintf("Timing drift to Risk over %d drifts", drifts))
	metricsURL := "http://" + metricsAddr + "/metrics"
	countBefore, secondsBefore, err := evaluations(metricsURL)
	if err != nil {
		return nil, err
	}
	latencies, floors, err := timeDrifts(ctx, c, w, e, drifts)
	if err != nil {
		return nil, err
	}
	countAfter, secondsAfter, err := evaluations(metricsURL)
	if err != nil {
		return nil, err
	}
	r.EvaluationMeanMs = (secondsAfter - secondsBefore) / float64(max(countAfter-countBefore, 1)) * 1000
	r.Drifts = len(latencies)
	r.DriftLatency, r.Floor = distribution(latencies), distribution(floors)
	r.RatioP50 = r.DriftLatency.P50 / r.Floor.P50
	r.RatioP99 = r.DriftLatency.P99 / r.Floor.P99

	if e.burst > 0 {
		step(fmt.Sprintf("Timing drifts elsewhere while %d assets re-evaluate at once", e.burst))
		writesBefore := w.statusWrites.Load()
		burst, err := timeDriftsDuringBursts(ctx, c, w, e, drifts, 20)
		if err != nil {
			return nil, err
		}
		r.BurstDrifts, r.BurstLatency = len(burst), distribution(burst)
		r.BurstStatusWrites = int(w.statusWrites.Load() - writesBefore)
	}

	if e.openReports {
		// The Reports follow a change after reports.Burst: let them catch up with the last
		// drifts, so that the idle window counts only what idleness writes.
		time.Sleep(5 * time.Second)
	}
	step(fmt.Sprintf("Counting requests and writes during %s of idleness", idle))
	if err := measureIdle(ctx, cfg, w, metricsURL, idle, r); err != nil {
		return nil, err
	}
	return r, nil
}

// measureReports waits until a Report exists in each namespace, then counts their bytes.
func measureReports(ctx context.Context, c client.Client, namespaces int, r *Results) error {
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		var reports orv1alpha1.ReportList
		if err := c.List(ctx, &reports); err != nil {
			return err
		}
		if len(reports.Items) >= namespaces {
			r.OpenReports, r.ReportBytes = len(reports.Items), 0
			for i := range reports.Items {
				data, err := json.Marshal(&reports.Items[i])
				if err != nil {
					return err
				}
				r.ReportBytes += len(data)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d namespaces have their Report after 5 minutes", len(reports.Items), namespaces)
		}
	}
}

func step(message string) { fmt.Printf("==> %s\n", message) }
