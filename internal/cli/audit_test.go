package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtures are the audit package's realistic manifests.
var fixtures = filepath.Join("..", "audit", "testdata", "manifests")

func fixture(parts ...string) string { return filepath.Join(append([]string{fixtures}, parts...)...) }

const now = "--now=2026-11-01T09:00:00Z"

func runAudit(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Audit(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAuditExitCodes(t *testing.T) {
	hr, err := os.ReadFile(fixture("hr", "rendered.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		stdin string
		args  []string
		want  int
		// stderr must contain each of these.
		stderr []string
	}{
		"the compliant estate":                    {args: []string{"-f", fixture("epr"), now}, want: exitOK},
		"a file and a directory, one drifting":    {args: []string{"-f", fixture("epr"), "-f", fixture("hr", "rendered.yaml"), now}, want: exitFailed},
		"the drifting system from standard input": {stdin: string(hr), args: []string{"-f", "-", now}, want: exitFailed},
		"a broken document among good ones":       {args: []string{"-f", fixtures, now}, want: exitBadInput},
		"no -f":                                   {args: []string{now}, want: exitBadInput, stderr: []string{"-f: give at least one manifest"}},
		"a path that does not exist":              {args: []string{"-f", fixture("nowhere")}, want: exitBadInput, stderr: []string{"nowhere", "no such file"}},
		"an unknown format":                       {args: []string{"-f", fixture("epr"), "-o", "yaml"}, want: exitBadInput, stderr: []string{`-o "yaml"`, "table, json or junit"}},
		"a --now that is not RFC 3339":            {args: []string{"-f", fixture("epr"), "--now", "1 Nov 2026"}, want: exitBadInput, stderr: []string{`--now "1 Nov 2026"`, "RFC 3339"}},
		"a bad exempt subject":                    {args: []string{"-f", fixture("epr"), "--exempt-subjects", "Robot:r2d2"}, want: exitBadInput, stderr: []string{"--exempt-subjects", "User, Group or ServiceAccount"}},
		"an unknown flag":                         {args: []string{"-f", fixture("epr"), "--frobnicate"}, want: exitBadInput, stderr: []string{"frobnicate"}},
		"a stray argument":                        {args: []string{fixture("epr")}, want: exitBadInput, stderr: []string{"unexpected argument", "-f"}},
		"manifests without an asset":              {stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", args: []string{"-f", "-"}, want: exitBadInput, stderr: []string{"no InformationAsset"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runAudit(t, tc.stdin, tc.args...)
			if code != tc.want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			for _, text := range tc.stderr {
				if !strings.Contains(stderr, text) {
					t.Errorf("stderr does not mention %q:\n%s", text, stderr)
				}
			}
		})
	}
}

// TestAuditReportsBrokenDocumentsAndTheRest: a broken document is named by file and index
// on stderr, and every asset is still audited.
func TestAuditReportsBrokenDocumentsAndTheRest(t *testing.T) {
	code, stdout, stderr := runAudit(t, "", "-f", fixtures, "-o", "json", now)
	if code != exitBadInput {
		t.Errorf("exit code %d, want %d", code, exitBadInput)
	}
	for _, want := range []string{fixture("broken.yaml") + ": document 1: not YAML or JSON", fixture("broken.yaml") + ": document 2: no kind",
		fixture("broken.yaml") + ": document 4: ServiceAccount: metadata.namespace must be a string, not false (a boolean)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	var result struct {
		Summary struct{ Assets int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &result); err != nil {
		t.Fatalf("stdout is not the JSON result: %v", err)
	}
	if result.Summary.Assets != 10 {
		t.Errorf("%d assets audited, want every one of the fixtures' 10", result.Summary.Assets)
	}
}

func TestAuditNowJudgesTime(t *testing.T) {
	// A year after the fixtures, the EPR's backup is stale and its review overdue.
	code, stdout, _ := runAudit(t, "", "-f", fixture("epr"), "--now=2027-11-01T09:00:00Z")
	if code != exitFailed {
		t.Errorf("exit code %d, want %d", code, exitFailed)
	}
	failed := map[string]bool{}
	for _, line := range strings.Split(stdout, "\n") {
		if fields := strings.Fields(line); len(fields) > 4 && fields[4] == "Fail" {
			failed[fields[2]] = true
		}
	}
	for _, control := range []string{"BAK-01", "BAK-02", "GOV-01"} {
		if !failed[control] {
			t.Errorf("the table does not fail %s a year on:\n%s", control, stdout)
		}
	}
}
