package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		"an unknown format":                {[]string{"--kubeconfig", withCurrent, "-o", "pdf"}, exitBadInput, []string{`-o "pdf"`, "csv, json, html or soa"}},
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
