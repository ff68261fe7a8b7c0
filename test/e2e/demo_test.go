package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
	velero, err := testenv.UpstreamVelero.Paths()
	if err != nil {
		t.Fatal(err)
	}
	snapshots, err := testenv.UpstreamSnapshots.Paths()
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		marker := fmt.Sprintf("ISMS_DEMO_RUN=%s-%d", t.Name(), attempt)
		cmd := exec.Command("go", "run", "./hack/demo", "-exit", "-operator", operator, "-workdir", t.TempDir(),
			"-crds", strings.Join(append(velero, snapshots...), ","))
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
			"export KUBECONFIG=",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d: the demo's output lacks %q:\n%s", attempt, want, out)
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
