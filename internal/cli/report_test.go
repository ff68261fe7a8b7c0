package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// kubeconfig writes a kubeconfig with the contexts north and south (whose server nothing
// serves: these cases fail before a request) and the given current context.
func kubeconfig(t *testing.T, current string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	config := `apiVersion: v1
kind: Config
clusters:
- name: north
  cluster: {server: "https://127.0.0.1:1"}
- name: south
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: ig-lead
  user: {token: not-a-secret}
contexts:
- name: north
  context: {cluster: north, user: ig-lead}
- name: south
  context: {cluster: south, user: ig-lead}
current-context: "` + current + `"
`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportRefusesWhatItCannotUse: the report's flags and kubeconfig are checked before
// any cluster is read, with the flag named; a report of the demo's register, from the
// built binary, is in test/e2e.
func TestReportRefusesWhatItCannotUse(t *testing.T) {
	withCurrent, withoutCurrent := kubeconfig(t, "north"), kubeconfig(t, "")
	cases := map[string]struct {
		args   []string
		want   int
		stderr []string
	}{
		"an unknown format":                {[]string{"--kubeconfig", withCurrent, "-o", "pdf"}, exitBadInput, []string{`-o "pdf"`, "csv, json, html, soa or incidents"}},
		"a stray argument":                 {[]string{"--kubeconfig", withCurrent, "north"}, exitBadInput, []string{`unexpected argument "north"`}},
		"bands with a gap":                 {[]string{"--kubeconfig", withCurrent, "--rating-bands", "Low=1-3,Moderate=5-6,High=8-12,Extreme=15-25"}, exitBadInput, []string{"--rating-bands", "no band rates score 4"}},
		"an unknown flag":                  {[]string{"--cluster", "north"}, exitBadInput, []string{"cluster"}},
		"a context given twice":            {[]string{"--kubeconfig", withCurrent, "--context", "north", "--context", "north"}, exitFailed, []string{`--context "north" is given twice`}},
		"a context the kubeconfig lacks":   {[]string{"--kubeconfig", withCurrent, "--context", "west"}, exitFailed, []string{`context "west"`}},
		"no context and no current one":    {[]string{"--kubeconfig", withoutCurrent}, exitFailed, []string{"no current-context", "--context"}},
		"a kubeconfig that does not exist": {[]string{"--kubeconfig", filepath.Join(t.TempDir(), "missing")}, exitFailed, []string{"missing"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Report(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.want, stderr.String())
			}
			for _, text := range tc.stderr {
				if !strings.Contains(stderr.String(), text) {
					t.Errorf("stderr does not mention %q:\n%s", text, stderr.String())
				}
			}
			if stdout.Len() > 0 {
				t.Errorf("a refused report wrote to stdout:\n%s", stdout.String())
			}
		})
	}
}

// TestReportNamesEveryFormat: the usage line names the formats of reportWriters, and each
// passes the flag checks, failing only on reaching the cluster (nothing serves north).
func TestReportNamesEveryFormat(t *testing.T) {
	var help bytes.Buffer
	if code := Report(context.Background(), []string{"-h"}, io.Discard, &help); code != exitOK {
		t.Fatalf("-h: exit code %d", code)
	}
	_, after, _ := strings.Cut(help.String(), "[-o ")
	named, _, _ := strings.Cut(after, "]")
	formats := strings.Split(named, "|")
	if want := slices.Sorted(maps.Keys(reportWriters)); !slices.Equal(want, slices.Sorted(slices.Values(formats))) {
		t.Errorf("the usage names the formats %v, want %v:\n%s", formats, want, help.String())
	}
	config := kubeconfig(t, "north")
	for _, format := range formats {
		var stdout, stderr bytes.Buffer
		code := Report(context.Background(), []string{"--kubeconfig", config, "-o", format}, &stdout, &stderr)
		if code != exitFailed || strings.Contains(stderr.String(), "the format must be") || !strings.Contains(stderr.String(), "127.0.0.1:1") {
			t.Errorf("-o %s: exit code %d, want %d for the unreachable cluster alone; stderr:\n%s", format, code, exitFailed, stderr.String())
		}
	}
}

// TestReportOfARealCluster runs the report against a real API server with no operator:
// -o incidents writes the incident as stored, not graded yet and overdue from its spec and
// the clock; once the SecurityIncident CRD is removed, as on a cluster whose CRDs predate
// the kind, the report is still written, names the cluster and the remedy, and warns.
func TestReportOfARealCluster(t *testing.T) {
	ctx := context.Background()
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	config, err := env.WriteKubeconfig(filepath.Join(t.TempDir(), "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	ns := env.Namespace(t)
	aware := metav1.NewTime(time.Now().Add(-96 * time.Hour).Truncate(time.Second))
	incident := &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "rota-export-misdirected"},
		Spec: isms.SecurityIncidentSpec{Title: "Rota export emailed to the wrong trust", AssetRefs: []isms.LocalObjectReference{{Name: "staff-records"}},
			DetectedAt: aware, AwareAt: aware, Reporter: isms.Person{Name: "Sam Patel"}, Affected: []isms.SecurityProperty{isms.PropertyConfidentiality},
			Grading: isms.IncidentGrading{Likelihood: 3, Severity: 3}}}
	if err := env.Client.Create(ctx, incident); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := Report(ctx, []string{"--kubeconfig", config, "-o", "incidents"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("-o incidents: exit code %d; stderr:\n%s", code, stderr.String())
	}
	records, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("-o incidents wrote %d records (%v), want the header and the incident:\n%s", len(records), err, stdout.String())
	}
	row := map[string]string{}
	for i, column := range records[0] {
		row[column] = records[1][i]
	}
	for column, want := range map[string]string{"namespace": ns, "name": "rota-export-misdirected", "aware at": aware.UTC().Format(time.RFC3339),
		"reportable": "not graded yet", "notification overdue": "DeadlinePassed"} {
		if row[column] != want {
			t.Errorf("%s = %q, want %q", column, row[column], want)
		}
	}

	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "securityincidents.isms.nhs.uk"}}
	if err := env.Client.Delete(ctx, crd); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); !apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(crd), crd)); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the SecurityIncident CRD is still there after 30 s")
		}
	}
	stdout.Reset()
	stderr.Reset()
	if code := Report(ctx, []string{"--kubeconfig", config, "-o", "html"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("-o html without the SecurityIncident CRD: exit code %d, want the report; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "does not serve SecurityIncidents: upgrade its CRDs") || strings.Contains(stdout.String(), "No incident is open.") {
		t.Error("the HTML report does not say the cluster serves no SecurityIncidents, or counts none")
	}
	if !strings.Contains(stderr.String(), "does not serve SecurityIncidents: upgrade its CRDs; its incidents are not in the report") {
		t.Errorf("no warning on stderr:\n%s", stderr.String())
	}
}

// TestWriteFileKeepsThePreviousReportOnFailure: a report that fails half way leaves the
// previous file whole and no temporary file beside it; one that succeeds replaces it.
func TestWriteFileKeepsThePreviousReportOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "board.html")
	if err := os.WriteFile(path, []byte("last month's report"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeFile(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half a report")
		return errors.New("the cluster went away")
	})
	if err == nil || !strings.Contains(err.Error(), "the cluster went away") {
		t.Errorf("writeFile = %v, want the writer's error", err)
	}
	assertDir(t, dir, map[string]string{"board.html": "last month's report"})

	if err := writeFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "this month's report"); return err }); err != nil {
		t.Fatal(err)
	}
	assertDir(t, dir, map[string]string{"board.html": "this month's report"})
}

func assertDir(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("the directory holds %v, want only %v", entries, want)
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != content {
			t.Errorf("%s = %q (%v), want %q", name, got, err, content)
		}
	}
}
