package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// TestReadmeControlsTableIsCurrent fails when README.md's control table differs from the
// catalogue: run `make generate`.
func TestReadmeControlsTableIsCurrent(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := withTable(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("README.md's control table is out of date; run `make generate` (-want +got):\n%s", diff)
	}
}

func TestTableHasEveryControl(t *testing.T) {
	table := catalogueTable()
	for _, c := range controls.Catalogue {
		if !strings.Contains(table, "| "+string(c.ID)+" | "+c.Family+" |") {
			t.Errorf("the table lacks %s", c.ID)
		}
	}
}

func TestDefaultLevels(t *testing.T) {
	cases := map[string]struct {
		id        string
		sensitive bool
		want      string
	}{
		"always required":           {"ENC-01", true, "Required"},
		"by criticality":            {"BAK-02", true, "Required (High, Critical), else Recommended"},
		"by sensitivity":            {"ENC-03", false, "NotRequired"},
		"required from Medium":      {"BAK-01", false, "Required (Medium, High, Critical), else Recommended"},
		"plan only for High ones":   {"BCP-01", true, "Required (High, Critical), else NotRequired"},
		"recommended when official": {"ACC-02", false, "Recommended"},
	}
	for name, tc := range cases {
		c, _ := controls.Lookup(isms.ControlID(tc.id))
		if got := defaultLevels(c, tc.sensitive); got != tc.want {
			t.Errorf("%s: defaultLevels(%s, sensitive=%v) = %q, want %q", name, tc.id, tc.sensitive, got, tc.want)
		}
	}
}
