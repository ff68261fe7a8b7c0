package manifests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	input := `# a Helm-style stream
---
apiVersion: v1
kind: Namespace
metadata:
  name: epr
---
# only a comment
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata: {name: a, namespace: epr}
  - apiVersion: v1
    kind: ServiceAccount
    metadata: {namespace: epr}
  - {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "b", "namespace": "epr"}}
  - 42
---
kind: Deployment
metadata: {name: no-version}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: [not, a, string]}
---
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "json"}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: yaml-boolean, namespace: off}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: numeric-label, labels: {version: 2}}
---
{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a", "name": "b"}}
`
	docs, problems := Parse("stream.yaml", strings.NewReader(input))
	type doc struct {
		Index, Item int
		Kind, Name  string
	}
	var got []doc
	for _, d := range docs {
		got = append(got, doc{d.Index, d.Item, d.Kind, d.Name})
	}
	want := []doc{{1, -1, "Namespace", "epr"}, {3, 0, "ServiceAccount", "a"}, {3, 2, "ServiceAccount", "b"}, {6, -1, "Service", "json"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	var bad []string
	for _, p := range problems {
		bad = append(bad, fmt.Sprintf("%s: document %d: %v", p.Source, p.Index, p.Err))
	}
	wantBad := []string{
		// A bad List item is reported; the List's other items are kept.
		"stream.yaml: document 3: List item 1: ServiceAccount without metadata.name",
		"stream.yaml: document 3: List item 3: not an object",
		"stream.yaml: document 4: no apiVersion",
		"stream.yaml: document 5: ConfigMap: metadata.name must be a string, not a list",
		// YAML reads `off` as false: kubectl apply refuses it, so must the audit.
		"stream.yaml: document 7: ServiceAccount: metadata.namespace must be a string, not false (a boolean)",
		"stream.yaml: document 8: ServiceAccount: metadata.labels[version] must be a string, not 2 (a number)",
		"stream.yaml: document 9: a key given twice (kubectl apply refuses it)",
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("problems = %q, want %d", bad, len(wantBad))
	}
	for i := range wantBad {
		if !strings.HasPrefix(bad[i], wantBad[i]) {
			t.Errorf("problem %d = %q, want it to start with %q", i, bad[i], wantBad[i])
		}
	}
}

func TestReadWalksDirectoriesAndStdin(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := writeFile(dir+"/"+name, content); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
	write("nested/b.yml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
	write("README.md", "not a manifest")
	docs, problems, err := Read([]string{dir, "-"}, strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n"))
	if err != nil || len(problems) != 0 {
		t.Fatalf("Read: %v, %v", err, problems)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.Name)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if _, _, err := Read([]string{dir + "/missing.yaml"}, nil); err == nil {
		t.Error("a missing file gave no error")
	}
}

// FuzzParse: arbitrary bytes never make the reader panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "---", "apiVersion: v1\nkind: List\nitems: [1, 2]", "{\"kind\":", "a: [b", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, _ := Parse("fuzz", strings.NewReader(string(data)))
		for _, d := range docs {
			if d.Kind == "" || d.Name == "" {
				t.Fatalf("a document without kind or name was accepted: %s", d.JSON)
			}
		}
	})
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
