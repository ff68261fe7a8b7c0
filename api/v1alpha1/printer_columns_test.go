package v1alpha1_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// condition is a complete metav1.Condition as unstructured content.
func condition(conditionType, status string) map[string]any {
	return map[string]any{"type": conditionType, "status": status, "reason": "Evaluated",
		"message": "Set by a test.", "lastTransitionTime": "2026-11-20T00:00:00Z"}
}

// createWithStatus creates a sample and writes status to its status subresource.
func createWithStatus(t *testing.T, file, ns string, status map[string]any) {
	t.Helper()
	obj := loadSample(t, file, ns)
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	obj.Object["status"] = status
	if err := env.Client.Status().Update(context.Background(), obj); err != nil {
		t.Fatalf("status update: %v", err)
	}
}

// table parses kubectl's table output into rows of column name -> cell, using the
// positions of the header's columns (cells may hold spaces, e.g. an owner's name).
func table(t *testing.T, out string) []map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := lines[0]
	var names []string
	var starts []int
	for i := 0; i < len(header); i++ {
		if header[i] != ' ' && (i == 0 || header[i-1] == ' ') {
			starts = append(starts, i)
			end := strings.Index(header[i:], "   ")
			if end < 0 {
				end = len(header) - i
			}
			names = append(names, strings.TrimSpace(header[i:i+end]))
		}
	}
	var rows []map[string]string
	for _, line := range lines[1:] {
		row := map[string]string{}
		for c, start := range starts {
			end := len(line)
			if c+1 < len(starts) && starts[c+1] < end {
				end = starts[c+1]
			}
			if start < len(line) {
				row[names[c]] = strings.TrimSpace(line[start:end])
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// oneWordHeaders joins the words of two-word column headers so headers split on spaces.
var oneWordHeaders = strings.NewReplacer("LAST BACKUP", "LAST_BACKUP", "LAST EXERCISE", "LAST_EXERCISE")

// columns returns the header names of kubectl's table output.
func columns(out string) []string {
	header, _, _ := strings.Cut(oneWordHeaders.Replace(out), "\n")
	return strings.Fields(header)
}

func TestPrinterColumns(t *testing.T) {
	ns := env.Namespace(t)
	createWithStatus(t, assetSample, ns, map[string]any{
		"workloads":  map[string]any{"count": int64(2), "names": []any{"Deployment/epr-api", "StatefulSet/epr-db"}},
		"compliance": "7/8",
		"risks":      map[string]any{"open": int64(1), "accepted": int64(0)},
		"conditions": []any{condition("Compliant", "False"), condition("Ready", "True")},
	})
	createWithStatus(t, riskSample, ns, map[string]any{
		"score": int64(12), "rating": "High", "state": "Open",
		"conditions": []any{condition("Ready", "True")},
	})
	createWithStatus(t, planSample, ns, map[string]any{
		"lastBackup":   "2026-11-23T23:00:00Z",
		"lastExercise": map[string]any{"date": "2026-03-01T00:00:00Z", "type": "TechnicalRestore", "source": "record 0"},
		"conditions":   []any{condition("Ready", "False")},
	})

	cases := []struct {
		resource string
		columns  []string
		row      map[string]string // cells to check (AGE and dates change with time)
	}{
		{"informationassets",
			[]string{"NAME", "CLASSIFICATION", "CRITICALITY", "OWNER", "WORKLOADS", "COMPLIANCE", "RISKS", "COMPLIANT", "AGE"},
			map[string]string{"NAME": "patient-records", "CLASSIFICATION": "OFFICIAL-SENSITIVE", "CRITICALITY": "Critical",
				"OWNER": "Jane Smith", "WORKLOADS": "2", "COMPLIANCE": "7/8", "RISKS": "1", "COMPLIANT": "False"}},
		{"risks",
			[]string{"NAME", "ASSET", "CONTROL", "SCORE", "RATING", "STATE", "TREATMENT", "OWNER", "AGE"},
			map[string]string{"NAME": "epr-database-end-of-support", "ASSET": "patient-records", "CONTROL": "",
				"SCORE": "12", "RATING": "High", "STATE": "Open", "TREATMENT": "Treat", "OWNER": "Jane Smith"}},
		{"continuityplans",
			[]string{"NAME", "ASSETS", "RTO", "RPO", "LAST_BACKUP", "LAST_EXERCISE", "READY", "AGE"},
			map[string]string{"NAME": "epr-continuity", "ASSETS": "patient-records", "RTO": "4h", "RPO": "1h", "READY": "False"}},
	}
	for _, tc := range cases {
		t.Run(tc.resource, func(t *testing.T) {
			out, err := env.Kubectl(nil, "get", tc.resource, "-n", ns)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.columns, columns(out)); diff != "" {
				t.Fatalf("columns (-want +got):\n%s\n%s", diff, out)
			}
			rows := table(t, oneWordHeaders.Replace(out))
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1:\n%s", len(rows), out)
			}
			for column, want := range tc.row {
				if got := rows[0][column]; got != want {
					t.Errorf("column %s = %q, want %q:\n%s", column, got, want, out)
				}
			}
		})
	}
}

func TestCategoryAndShortNamesFindEveryKind(t *testing.T) {
	ns := env.Namespace(t)
	for _, file := range []string{assetSample, planSample, riskSample} {
		if err := env.Client.Create(context.Background(), loadSample(t, file, ns)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"continuityplan.isms.nhs.uk/epr-continuity",
		"informationasset.isms.nhs.uk/patient-records",
		"risk.isms.nhs.uk/epr-database-end-of-support",
	}
	for _, resources := range []string{"isms", "ia,risk,bcp", "asset,risk,cp"} {
		out, err := env.Kubectl(nil, "get", resources, "-n", ns, "-o", "name")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Fields(out)
		if diff := cmp.Diff(want, slices.Sorted(slices.Values(got))); diff != "" {
			t.Errorf("kubectl get %s (-want +got):\n%s", resources, diff)
		}
	}
}
