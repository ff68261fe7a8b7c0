package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/demo"
	"github.com/isms-operator/isms-operator/internal/incidents"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// processesMarked returns the ids of the running processes whose environment holds
// marker. The demo's processes (the control plane, the operator) inherit its environment,
// so a marker given to the demo finds exactly its own, whatever else runs meanwhile.
func processesMarked(t *testing.T, marker string) []string {
	t.Helper()
	environs, err := filepath.Glob("/proc/[0-9]*/environ")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, environ := range environs {
		data, err := os.ReadFile(environ)
		if err == nil && slices.Contains(strings.Split(string(data), "\x00"), marker) {
			pids = append(pids, filepath.Base(filepath.Dir(environ)))
		}
	}
	return pids
}

// TestDemoRunsTwiceAndLeavesNoProcesses runs make demo's program twice in a row (stopping
// after it prints, as Ctrl-C would): each run shows the compliance table and the raised
// risks, and leaves no process of its own behind.
func TestDemoRunsTwiceAndLeavesNoProcesses(t *testing.T) {
	crds := demoCRDs(t)
	for attempt := 1; attempt <= 2; attempt++ {
		marker := fmt.Sprintf("ISMS_DEMO_RUN=%s-%d", t.Name(), attempt)
		cmd := exec.Command("go", "run", "./hack/demo", "-exit", "-operator", operator, "-workdir", t.TempDir(),
			"-crds", crds)
		cmd.Dir, cmd.Env = testenv.RepoRoot(), append(os.Environ(), marker)
		output, err := cmd.CombinedOutput()
		out := string(output)
		if err != nil {
			t.Fatalf("run %d: the demo failed: %v\n%s", attempt, err, out)
		}
		for _, want := range []string{
			"$ kubectl get isms -A",
			"informationasset.isms.nhs.uk/patient-records",
			"continuityplan.isms.nhs.uk/epr-continuity",
			"$ kubectl get risks -A --sort-by=.status.score",
			"staff-records-enc-01", "staff-records-acc-01", "staff-records-enc-02",
			"$ kubectl get reports -A", "isms-operator",
			"$ kubectl get incidents -A -o wide", "rota-export-misdirected",
			"Foreseen=True RisksOpenAtDetection:",
			"export KUBECONFIG=",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d: the demo's output lacks %q:\n%s", attempt, want, out)
			}
		}
		// The incident against the staff system names each of its open Risks.
		for _, expected := range demo.Expected {
			for _, control := range expected.Risks {
				if risk := incidents.RiskText(isms.IncidentRisk{Name: register.Name(expected.Asset, control), Control: control, State: isms.StateOpen}); !strings.Contains(out, risk) {
					t.Errorf("run %d: the incident does not name %s as foreseen:\n%s", attempt, risk, out)
				}
			}
		}
		// Each drift with a Risk is a fail result in its namespace's OpenReports Report.
		for _, expected := range demo.Expected {
			if fails := reportColumn(out, expected.Namespace, "FAIL"); fails != strconv.Itoa(len(expected.Risks)) {
				t.Errorf("run %d: the Report of %s counts %q failures, want %d:\n%s", attempt, expected.Namespace, fails, len(expected.Risks), out)
			}
		}
		if strings.Contains(out, "patient-records-") {
			t.Errorf("run %d: the compliant asset has risks in the register:\n%s", attempt, out)
		}
		if left := processesMarked(t, marker); len(left) > 0 {
			t.Errorf("run %d left processes behind: %v", attempt, left)
		}
	}
}

// demoCRDs are the upstream CRDs make demo installs, as its -crds flag takes them.
func demoCRDs(t *testing.T) string {
	t.Helper()
	velero, err := testenv.UpstreamVelero.Paths()
	if err != nil {
		t.Fatal(err)
	}
	snapshots, err := testenv.UpstreamSnapshots.Paths()
	if err != nil {
		t.Fatal(err)
	}
	reports, err := testenv.UpstreamOpenReports.Paths()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(slices.Concat(velero, snapshots, reports), ",")
}

// TestDemosSuggestedFixResolvesTheRisk runs the demo as a person would (until Ctrl-C),
// then, in a shell, the lines it prints as written: the export that puts its kubectl and
// kubeconfig in reach, and the suggested fix, which must resolve the pod-security Risk
// under the restricted standard. The README suggests the same fix. Before the fix, the
// drifting asset's OpenReports Report must say what its Risks say.
func TestDemosSuggestedFixResolvesTheRisk(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), demo.Fix) {
		t.Errorf("the README does not suggest the demo's fix as written:\n%s", demo.Fix)
	}
	binary := filepath.Join(t.TempDir(), "isms-demo")
	build := exec.Command("go", "build", "-o", binary, "./hack/demo")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the demo: %v\n%s", err, out)
	}
	marker := "ISMS_DEMO_RUN=" + t.Name()
	cmd := exec.Command(binary, "-operator", operator, "-workdir", t.TempDir(), "-crds", demoCRDs(t))
	cmd.Dir, cmd.Env = testenv.RepoRoot(), append(os.Environ(), marker)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var printed []string
	for lines := bufio.NewScanner(stdout); lines.Scan(); {
		printed = append(printed, lines.Text())
		if strings.HasPrefix(lines.Text(), "Press Ctrl-C") {
			break
		}
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}
	}
	defer stop()
	var export, fix string
	for i, line := range printed {
		if strings.HasPrefix(strings.TrimSpace(line), "export KUBECONFIG=") {
			export = strings.TrimSpace(line)
		}
		if strings.HasPrefix(line, "Fix a drift") && i+1 < len(printed) {
			fix = strings.TrimSpace(printed[i+1])
		}
	}
	if export == "" || fix != demo.Fix {
		t.Fatalf("the demo did not print the export line and the fix:\n%s", strings.Join(printed, "\n"))
	}
	// A shell without the test's PATH to bin/: only the printed export finds kubectl.
	shell := func(command string) (string, error) {
		out, err := exec.Command("/bin/sh", "-c", export+" && "+command).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	checkDemoReport(t, shell)
	if out, err := shell(fix); err != nil {
		t.Fatalf("the suggested fix failed: %v\n%s", err, out)
	}
	var state string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && state != "Resolved"; time.Sleep(500 * time.Millisecond) {
		if state, err = shell("kubectl get risk staff-records-acc-01 -n hr -o jsonpath={.status.state}"); err != nil {
			t.Fatalf("kubectl as the demo says to run it: %v\n%s", err, state)
		}
	}
	if state != "Resolved" {
		out, _ := shell("kubectl get ia staff-records -n hr -o jsonpath='{.status.findings}'")
		t.Errorf("after the suggested fix, staff-records-acc-01 is %q, want Resolved; findings: %s", state, out)
	}
	stop()
	if left := processesMarked(t, marker); len(left) > 0 {
		t.Errorf("the demo left processes behind: %v", left)
	}
}

// reportColumn reads a column of `kubectl get reports -A` as the demo printed it, for the
// namespace's Report.
func reportColumn(out, namespace, column string) string {
	_, table, _ := strings.Cut(out, "$ kubectl get reports -A\n")
	lines := strings.Split(table, "\n")
	index := slices.Index(strings.Fields(lines[0]), column)
	for _, line := range lines[1:] {
		if fields := strings.Fields(line); len(fields) > index && index >= 0 && fields[0] == namespace {
			return fields[index]
		}
	}
	return ""
}

// checkDemoReport reads, with the demo's kubectl, the hr namespace's OpenReports Report and
// Risks: every Risk of the drifting asset is a fail result, rated as the Risk is.
func checkDemoReport(t *testing.T, shell func(string) (string, error)) {
	t.Helper()
	var report orv1alpha1.Report
	var risks isms.RiskList
	for command, into := range map[string]any{"kubectl get report isms-operator -n hr -o json": &report, "kubectl get risks -n hr -o json": &risks} {
		out, err := shell(command)
		if err != nil {
			t.Fatalf("%s: %v\n%s", command, err, out)
		}
		if err := json.Unmarshal([]byte(out), into); err != nil {
			t.Fatalf("%s: %v", command, err)
		}
	}
	severity := map[isms.Rating]orv1alpha1.ResultSeverity{isms.RatingExtreme: "critical", isms.RatingHigh: "high", isms.RatingModerate: "medium", isms.RatingLow: "low"}
	failing := map[string]orv1alpha1.ReportResult{}
	for _, r := range report.Results {
		if r.Result == "fail" {
			failing[r.Properties["risk"]] = r
		}
	}
	for _, risk := range risks.Items {
		r, ok := failing[risk.Name]
		if !ok || r.Severity != severity[risk.Status.Rating] || r.Policy != string(risk.Spec.Control) || r.Properties["riskState"] != string(risk.Status.State) {
			t.Errorf("Risk %s (%s, %s): its Report result is %+v; want a fail of %s with severity %s", risk.Name, risk.Status.Rating, risk.Status.State,
				r, risk.Spec.Control, severity[risk.Status.Rating])
		}
	}
	if len(failing) != len(risks.Items) {
		t.Errorf("the Report has %d fail results, the register %d Risks", len(failing), len(risks.Items))
	}
}
