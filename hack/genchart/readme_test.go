package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const chart = "../../charts/isms-operator"

// schemaValues are the values the chart's schema defines, as dotted paths: every property
// that is not an object of properties itself (a map passed through to Kubernetes, such as
// resources, is one value).
func schemaValues(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chart, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		Properties map[string]*node `json:"properties"`
	}
	var root node
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		if len(n.Properties) == 0 {
			paths = append(paths, path)
			return
		}
		for name, child := range n.Properties {
			walk(child, strings.TrimPrefix(path+"."+name, "."))
		}
	}
	walk(&root, "")
	slices.Sort(paths)
	return paths
}

// TestChartREADMEListsEveryValue: the chart README's values table has one row for each
// value of the schema and none for a value the schema does not have, and every value of
// values.yaml is one the schema defines.
func TestChartREADMEListsEveryValue(t *testing.T) {
	values := schemaValues(t)
	readme, err := os.ReadFile(filepath.Join(chart, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, row := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		listed = append(listed, row[1])
	}
	for _, value := range values {
		if !slices.Contains(listed, value) {
			t.Errorf("the chart README's values table lacks `%s`", value)
		}
	}
	for _, row := range listed {
		if !slices.Contains(values, row) && !strings.HasPrefix(row, "<fullname>") {
			t.Errorf("the chart README lists `%s`, which values.schema.json does not define", row)
		}
	}

	data, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var defaults map[string]any
	if err := yaml.Unmarshal(data, &defaults); err != nil {
		t.Fatal(err)
	}
	var check func(v any, path string)
	check = func(v any, path string) {
		if slices.Contains(values, path) {
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			t.Errorf("values.yaml sets %s, which values.schema.json does not define", path)
			return
		}
		for name, child := range m {
			check(child, strings.TrimPrefix(path+"."+name, "."))
		}
	}
	check(defaults, "")
}
