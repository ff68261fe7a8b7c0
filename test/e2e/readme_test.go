package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/internal/testenv"
)

// TestREADMEsCIExampleRuns checks the README's pipeline job as written: as many script
// lines as the README says, an image whose Go builds this module, helm pinned to the
// version the Makefile tests with, and its last two lines (render, audit) run in a shell
// with the helm and operator they install, writing a JUnit report.
func TestREADMEsCIExampleRuns(t *testing.T) {
	root := testenv.RepoRoot()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile("(?s)A pipeline job \\(GitLab CI; any CI with Go runs the same (\\w+) lines\\).*?```yaml\n(.*?)```").FindStringSubmatch(string(readme))
	if example == nil {
		t.Fatal("the README has no pipeline job example")
	}
	var jobs map[string]struct {
		Image  string   `json:"image"`
		Script []string `json:"script"`
	}
	if err := yaml.Unmarshal([]byte(example[2]), &jobs); err != nil {
		t.Fatalf("the README's pipeline job is not YAML: %v", err)
	}
	job := jobs["isms-audit"]
	if words := map[int]string{2: "two", 3: "three", 4: "four", 5: "five"}; words[len(job.Script)] != example[1] {
		t.Errorf("the README says %q lines; the job has %d", example[1], len(job.Script))
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	required := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(goMod))[1]
	image, ok := strings.CutPrefix(job.Image, "golang:")
	if !ok || minor(image) < minor(required) {
		t.Errorf("the job's image %q does not have Go %s, which go.mod requires", job.Image, required)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	helmVersion := regexp.MustCompile(`(?m)^HELM_VERSION \?= (\S+)`).FindStringSubmatch(string(makefile))[1]
	if len(job.Script) != 4 || job.Script[0] != "go install helm.sh/helm/v3/cmd/helm@"+helmVersion ||
		!strings.HasPrefix(job.Script[1], "go install github.com/isms-operator/isms-operator@") {
		t.Fatalf("the job does not install helm %s and the operator first: %q", helmVersion, job.Script)
	}

	// A trust's repository: the chart the job renders, and the platform's manifests.
	work := t.TempDir()
	files := map[string]string{
		"charts/epr/Chart.yaml": "apiVersion: v2\nname: epr\nversion: 1.0.0\n",
		"charts/epr/templates/epr.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: epr-db, namespace: epr}
spec:
  selector: {matchLabels: {app: epr-db}}
  template:
    metadata: {labels: {app: epr-db}}
    spec:
      containers: [{name: db, image: postgres:17, securityContext: {privileged: true}}]
---
apiVersion: isms.nhs.uk/v1alpha1
kind: InformationAsset
metadata: {name: patient-records, namespace: epr}
spec:
  owner: {name: Jane Smith}
  classification: OFFICIAL-SENSITIVE
  criticality: High
  selector: {matchLabels: {app: epr-db}}
`,
		"k8s/namespaces.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: epr}\n",
	}
	for name, content := range files {
		path := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tools := filepath.Join(work, "gobin")
	if err := os.MkdirAll(tools, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"helm": helmPath(t), "isms-operator": operator} {
		if err := os.Symlink(path, filepath.Join(tools, name)); err != nil {
			t.Fatal(err)
		}
	}
	shell := exec.Command("/bin/sh", "-c", job.Script[2]+"\n"+job.Script[3])
	shell.Dir, shell.Env = work, []string{"PATH=" + tools + ":/usr/bin:/bin", "HOME=" + work}
	out, err := shell.CombinedOutput()
	// The audit exits 1 when an asset fails a Required control, as this one does.
	if exit, ok := err.(*exec.ExitError); err != nil && (!ok || exit.ExitCode() != 1) {
		t.Fatalf("the job's script failed: %v\n%s", err, out)
	}
	report, err := os.ReadFile(filepath.Join(work, "isms-audit.xml"))
	if err != nil || !strings.Contains(string(report), "<testsuites") || !strings.Contains(string(report), "ACC-01") {
		t.Errorf("the job wrote no JUnit report with the asset's controls (%v):\n%s\n%s", err, report, out)
	}
}

// minor is the minor version of a Go release 1.N (or 1.N.P): N, or -1.
func minor(version string) int {
	parts := strings.Split(version, ".")
	if len(parts) < 2 || parts[0] != "1" {
		return -1
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return -1
	}
	return n
}
