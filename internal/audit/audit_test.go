package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/manifests"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// goldenNow is the time the fixtures are judged at: an hour after their last backup.
var goldenNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// auditFixtures audits testdata/manifests: a compliant EPR estate with its Velero objects
// in a JSON List, a drifting staff system rendered by Helm, and a file with broken
// documents.
func auditFixtures(t *testing.T) *Result {
	t.Helper()
	docs, problems, err := manifests.Read([]string{filepath.Join("testdata", "manifests")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	result, err := Run(context.Background(), docs, problems, Options{Now: goldenNow, Exempt: controls.DefaultExemptSubjects,
		IstioRootNamespace: controls.DefaultIstioRootNamespace})
	if err != nil {
		t.Fatal(err)
	}
	return result
}

func TestOutputsMatchTheGoldenFiles(t *testing.T) {
	result := auditFixtures(t)
	for format, write := range map[string]func(io.Writer, *Result) error{
		"table.txt":        WriteTable,
		"results.json":     WriteJSON,
		"junit.xml":        WriteJUnit,
		"openreports.yaml": WriteOpenReports,
	} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := write(&out, result); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", format)
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/audit -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("%s differs from the golden file (-want +got); if the change is meant, run go test ./internal/audit -update and review the diff:\n%s", format, diff)
			}
		})
	}
}

// TestFindings pins the decisions behind the golden files, so an -update that changes
// them is caught here too.
func TestFindings(t *testing.T) {
	result := auditFixtures(t)
	type key struct{ asset, control string }
	status := map[key]controls.Status{}
	failures := map[key][]string{}
	for _, r := range result.Results {
		if r.Namespace == "audit-ward" {
			continue // TestEvidenceThatUsedToPassFalsely
		}
		k := key{r.Asset, r.Control}
		if r.Status == controls.StatusFail {
			failures[k] = append(failures[k], r.Resource)
		}
		if status[k] != controls.StatusFail {
			status[k] = r.Status
		}
	}
	want := map[key]controls.Status{
		// The compliant estate passes all but what only a cluster shows.
		{"patient-records", "ENC-01"}: controls.StatusPass, {"patient-records", "ENC-02"}: controls.StatusPass,
		{"patient-records", "ENC-03"}: controls.StatusNotEvaluated, // NotRequired, justified
		{"patient-records", "BAK-01"}: controls.StatusPass, {"patient-records", "BAK-02"}: controls.StatusPass,
		{"patient-records", "ACC-01"}: controls.StatusPass, {"patient-records", "ACC-02"}: controls.StatusPass,
		{"patient-records", "ACC-03"}: controls.StatusPass, {"patient-records", "ACC-04"}: controls.StatusPass,
		{"patient-records", "GOV-01"}: controls.StatusPass,
		{"patient-records", "BCP-01"}: controls.StatusNotEvaluated, // the plan's readiness is live
		// The drifting staff system fails every control its manifests show drifted.
		{"staff-records", "ENC-01"}: controls.StatusFail, {"staff-records", "ENC-02"}: controls.StatusFail,
		{"staff-records", "ENC-03"}: controls.StatusNotEvaluated,
		{"staff-records", "BAK-01"}: controls.StatusFail, {"staff-records", "BAK-02"}: controls.StatusFail,
		{"staff-records", "ACC-01"}: controls.StatusFail, {"staff-records", "ACC-02"}: controls.StatusFail,
		{"staff-records", "ACC-03"}: controls.StatusFail, {"staff-records", "ACC-04"}: controls.StatusFail,
		{"staff-records", "GOV-01"}: controls.StatusFail,
		{"staff-records", "BCP-01"}: controls.StatusNotEvaluated, // NotRequired at Medium criticality
	}
	if diff := cmp.Diff(want, status); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := failures[key{"staff-records", "ACC-03"}]; !cmp.Equal(got, []string{"RoleBinding/contractor-reads-secrets"}) {
		t.Errorf("ACC-03 failures name %v, want the contractor's RoleBinding", got)
	}
	// The staff system's 8 failing Required controls, and 4 of the ward's (issue 12's table).
	if want := (Summary{Assets: 10, CompliantAssets: 5, RequiredFailures: 12}); result.Summary != want {
		t.Errorf("summary = %+v, want %+v", result.Summary, want)
	}
	wantErrors := []DocumentError{
		{File: filepath.Join("testdata", "manifests", "broken.yaml"), Document: 1},
		{File: filepath.Join("testdata", "manifests", "broken.yaml"), Document: 2},
		{File: filepath.Join("testdata", "manifests", "broken.yaml"), Document: 3},
		{File: filepath.Join("testdata", "manifests", "broken.yaml"), Document: 4},
	}
	if diff := cmp.Diff(wantErrors, result.Errors, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Message" }, cmp.Ignore())); diff != "" {
		t.Errorf("document errors (-want +got):\n%s", diff)
	}
}

// TestEvidenceThatUsedToPassFalsely: the rows of issue 12's table, in the ward fixtures,
// report what the evidence shows, never a Pass it does not.
func TestEvidenceThatUsedToPassFalsely(t *testing.T) {
	result := auditFixtures(t)
	cases := []struct {
		name, asset, control string
		status               controls.Status
		says                 []string
	}{
		{"a route on a plain-HTTP Gateway listener", "bed-board", "ENC-02", controls.StatusFail,
			[]string{"HTTPRoute/audit-ward/bed-board", "Gateway/audit-ward/edge", `listener "http"`, "beds.ward.example.nhs.uk"}},
		{"a LoadBalancer Service on port 80", "pharmacy-stock", "ENC-02", controls.StatusFail,
			[]string{"Service/pharmacy-stock-public", "LoadBalancer", "80/TCP"}},
		{"a Velero Backup that leaves out the claims", "theatre-lists", "BAK-01", controls.StatusFail,
			[]string{"ward-nightly-20261101080000", "persistentvolumeclaims", "excludedNamespaceScopedResources"}},
		{"no workload, and a Restore of a namespace-wide Backup", "discharge-letters", "BAK-02", controls.StatusNotEvaluated,
			[]string{"no workload"}},
		{"a binding to a role the manifests do not hold", "ward-rota", "ACC-03", controls.StatusNotEvaluated,
			[]string{"RoleBinding/ward-admins", "ClusterRole/admin"}},
		{"a ServiceAccount bound in another namespace only", "referrals", "ACC-04", controls.StatusPass,
			[]string{"RoleBinding audit-shared/referrals-sync"}},
		{"a volume with no source, stored as an emptyDir", "ward-printing", "ACC-01", controls.StatusPass,
			[]string{"Pod/ward-printer meets the restricted Pod Security Standard"}},
		{"a privileged ReplicaSet no Deployment owns", "ward-diagnostics", "ACC-01", controls.StatusFail,
			[]string{"ReplicaSet/ward-debug", "privileged"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rows []Row
			for _, r := range result.Results {
				if r.Namespace == "audit-ward" && r.Asset == tc.asset && r.Control == tc.control {
					rows = append(rows, r)
				}
			}
			if len(rows) == 0 || rows[0].Status != tc.status {
				t.Fatalf("%s %s: rows %+v, want %s first", tc.asset, tc.control, rows, tc.status)
			}
			for _, s := range tc.says {
				if !strings.Contains(rows[0].Resource+" "+rows[0].Message, s) {
					t.Errorf("%s %s: %s %q does not say %q", tc.asset, tc.control, rows[0].Resource, rows[0].Message, s)
				}
			}
		})
	}
	var namespaceOff bool
	for _, e := range result.Errors {
		namespaceOff = namespaceOff || (e.Document == 4 && strings.Contains(e.Message, "metadata.namespace must be a string, not false"))
	}
	if !namespaceOff {
		t.Errorf("errors %+v: want `namespace: off` refused naming metadata.namespace", result.Errors)
	}
}

// TestJSONSchemaIsStable decodes the JSON output strictly into the documented schema
// (README, "Auditing manifests in CI"): a field renamed, added or removed fails here
// before it breaks a pipeline that reads it. Such a change needs a new APIVersion.
func TestJSONSchemaIsStable(t *testing.T) {
	type row struct {
		Asset      string   `json:"asset"`
		Namespace  string   `json:"namespace"`
		Control    string   `json:"control"`
		Level      string   `json:"level"`
		Status     string   `json:"status"`
		Resource   string   `json:"resource"`
		Message    string   `json:"message"`
		References []string `json:"references"`
	}
	var doc struct {
		APIVersion string    `json:"apiVersion"`
		Now        time.Time `json:"now"`
		Summary    struct {
			Assets           int `json:"assets"`
			CompliantAssets  int `json:"compliantAssets"`
			RequiredFailures int `json:"requiredFailures"`
		} `json:"summary"`
		Results []row `json:"results"`
		Errors  []struct {
			File     string `json:"file"`
			Document int    `json:"document"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, auditFixtures(t)); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the JSON output does not fit the documented schema: %v", err)
	}
	if doc.APIVersion != "isms.nhs.uk/audit/v1" || !doc.Now.Equal(goldenNow) || len(doc.Results) == 0 || len(doc.Errors) != 4 {
		t.Errorf("apiVersion %q, now %v, %d results, %d errors", doc.APIVersion, doc.Now, len(doc.Results), len(doc.Errors))
	}
	for _, r := range doc.Results {
		if r.Asset == "" || r.Namespace == "" || r.Control == "" || r.Level == "" || r.Message == "" || len(r.References) == 0 {
			t.Errorf("row with an empty required field: %+v", r)
		}
		switch controls.Status(r.Status) {
		case controls.StatusPass, controls.StatusFail, controls.StatusNotEvaluated:
		default:
			t.Errorf("row with status %q, want Pass, Fail or NotEvaluated", r.Status)
		}
	}
}

func TestJUnitIsWellFormedAndCountsRequiredFailures(t *testing.T) {
	var out bytes.Buffer
	if err := WriteJUnit(&out, auditFixtures(t)); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out.Bytes(), &suites); err != nil {
		t.Fatalf("JUnit output is not XML: %v", err)
	}
	catalogue := len(controls.Catalogue)
	if suites.Tests != 10*catalogue || len(suites.Suites) != 10 || suites.Errors != 4 {
		t.Errorf("tests=%d suites=%d errors=%d, want %d tests in 10 suites and 4 errors", suites.Tests, len(suites.Suites), suites.Errors, 10*catalogue)
	}
	// A Recommended control's failure (BAK-02 for the staff system) is not a test failure.
	if suites.Failures != 12 {
		t.Errorf("failures = %d, want the 12 failing Required controls", suites.Failures)
	}
}

// TestDecodeJudgesWhatTheAPIServerWouldStore: a document is refused as kubectl apply would
// refuse it (a field its kind lacks, a value of the wrong type, each named), and one that is accepted is defaulted and placed in the default namespace.
func TestDecodeJudgesWhatTheAPIServerWouldStore(t *testing.T) {
	asset := "apiVersion: isms.nhs.uk/v1alpha1\nkind: InformationAsset\nmetadata: {name: epr}\nspec: {owner: {name: A}, classification: Official, criticality: Low, selector: {}, %s}\n"
	cases := map[string]struct {
		manifest string
		refused  string // empty when accepted
	}{
		"a misspelt control":          {fmt.Sprintf(asset, "controls: {encyption: {}}"), `unknown field "spec.controls.encyption"`},
		"a value of the wrong type":   {"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: \"443\"}\n", "spec.ports"},
		"a Velero kind, unstructured": {"apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b, namespace: velero}\nspec: {anything: [1]}\n", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			docs, problems := manifests.Parse("case.yaml", strings.NewReader(tc.manifest))
			if len(docs) != 1 || len(problems) != 0 {
				t.Fatalf("parsed %d documents, problems %v", len(docs), problems)
			}
			obj, err := decode(scheme.New(), docs[0], "default")
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Fatalf("error %v, want one saying %q", err, tc.refused)
			case err == nil && obj.GetNamespace() == "":
				t.Errorf("%s has no namespace", obj.GetName())
			}
		})
	}
	docs, _ := manifests.Parse("defaults.yaml", strings.NewReader("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 443}]}\n"))
	obj, err := decode(scheme.New(), docs[0], "epr")
	if err != nil {
		t.Fatal(err)
	}
	if svc := obj.(*corev1.Service); svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Namespace != "epr" {
		t.Errorf("Service type %q in namespace %q, want the API server's default ClusterIP in epr", svc.Spec.Type, svc.Namespace)
	}
}
