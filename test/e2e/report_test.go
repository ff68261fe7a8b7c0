package e2e

import (
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/isms-operator/isms-operator/internal/testenv"
)

// twoClusters writes a kubeconfig whose contexts north and south both reach the local
// control plane, as a trust's kubeconfig reaches its clusters.
func twoClusters(t *testing.T) string {
	t.Helper()
	config, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	current := config.Contexts[config.CurrentContext]
	for _, name := range []string{"north", "south"} {
		c := *current
		config.Contexts[name] = &c
	}
	path := filepath.Join(t.TempDir(), "trust.kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertReportOfTwoClusters runs the built binary's report over the demo's register, as
// two clusters: the CSV register holds the staff system's detected risks once per
// cluster, each row labelled with it, and the HTML report is written whole to a file.
func assertReportOfTwoClusters(t *testing.T) {
	t.Helper()
	trust := twoClusters(t)
	out := run(t, operator, "report", "--kubeconfig", trust, "--context", "north", "--context", "south", "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("report -o csv is not CSV: %v\n%s", err, out)
	}
	if len(rows) < 2 || !slices.Equal(rows[0][:6], []string{"cluster", "id", "title", "asset", "owner", "control"}) {
		t.Fatalf("report -o csv header = %v", rows[:min(len(rows), 1)])
	}
	controls := map[string][]string{}
	for _, row := range rows[1:] {
		if row[3] == "staff-records" {
			controls[row[0]] = append(controls[row[0]], row[5])
		}
		if row[3] == "patient-records" {
			t.Errorf("the compliant asset has a risk in the report: %v", row)
		}
	}
	for _, cluster := range []string{"north", "south"} {
		for _, control := range []string{"ENC-01", "ENC-02", "ACC-01"} {
			if !slices.Contains(controls[cluster], control) {
				t.Errorf("cluster %s: the report's register lacks the staff system's %s risk; it has %v", cluster, control, controls[cluster])
			}
		}
	}

	html := filepath.Join(t.TempDir(), "board.html")
	run(t, operator, "report", "--kubeconfig", trust, "--context", "north", "-o", "html", "--output", html)
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"</html>", "staff-records", "patient-records", "epr-continuity"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}

	if out, err := runErr(operator, "report", "--kubeconfig", trust, "--context", "west"); err == nil || !strings.Contains(out, `context "west"`) {
		t.Errorf("report of an unknown context: %v, want an error naming it:\n%s", err, out)
	}
}

// TestAuditFromTheBuiltBinary runs the built binary's audit over the audit's fixtures:
// the compliant estate exits 0, with the drifting one 1.
func TestAuditFromTheBuiltBinary(t *testing.T) {
	fixtures := filepath.Join(testenv.RepoRoot(), "internal", "audit", "testdata", "manifests")
	now := "--now=2026-11-01T09:00:00Z"
	if out := run(t, operator, "audit", "-f", filepath.Join(fixtures, "epr"), now); !strings.Contains(out, "1 assets, 1 compliant, 0 required failures") {
		t.Errorf("audit of the compliant estate:\n%s", out)
	}
	out, err := runErr(operator, "audit", "-f", filepath.Join(fixtures, "epr"), "-f", filepath.Join(fixtures, "hr"), now, "-o", "junit")
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "<testsuites") {
		t.Errorf("audit with the drifting estate: %v, want exit status 1 and JUnit:\n%s", err, out)
	}
}
