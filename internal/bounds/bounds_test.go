package bounds

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

func TestCut(t *testing.T) {
	cases := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"fits", "hosts a, b", 10, "hosts a, b"},
		{"cut with a note of what is left out", strings.Repeat("a", 100), 40, strings.Repeat("a", 15) + "… (85 more characters)"},
		{"never inside a character", strings.Repeat("é", 50), 40, strings.Repeat("é", 8) + "… (42 more characters)"},
		{"too short for a note", strings.Repeat("a", 100), 10, strings.Repeat("a", 10)},
		{"too short for a note, on a character boundary", "ééééé", 5, "éé"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Cut(tc.s, tc.n)
			if got != tc.want {
				t.Errorf("Cut(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
			}
			if len(got) > tc.n || !utf8.ValidString(got) {
				t.Errorf("Cut(%q, %d) = %q: %d bytes, valid UTF-8 %v; want at most %d bytes of valid UTF-8", tc.s, tc.n, got, len(got), utf8.ValidString(got), tc.n)
			}
		})
	}
}

func TestFitCutsToTheCRDsBounds(t *testing.T) {
	asset := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "n"}}
	long := strings.Repeat("host.example.nhs.uk, ", 200)
	for range 150 {
		asset.Status.Findings = append(asset.Status.Findings, isms.Finding{Control: isms.ControlIngressTLS, Level: isms.LevelRequired,
			Resource: "Ingress/epr", Message: long})
	}
	asset.Status.Compliance = "far too long for the column"
	cut, err := Fit(asset, scheme.New())
	if err != nil {
		t.Fatal(err)
	}
	if len(asset.Status.Findings) != 100 {
		t.Errorf("%d findings, want the CRD's maxItems 100", len(asset.Status.Findings))
	}
	for _, f := range asset.Status.Findings {
		if utf8.RuneCountInString(f.Message) > 1024 || !strings.HasSuffix(f.Message, "more characters)") {
			t.Fatalf("a finding's message is %d characters, ending %q; want it cut to 1024 with a note", utf8.RuneCountInString(f.Message), f.Message[len(f.Message)-30:])
		}
	}
	if len(asset.Status.Compliance) > 16 {
		t.Errorf("compliance %q is over its maxLength 16", asset.Status.Compliance)
	}
	for _, want := range []string{".status.findings", ".status.findings[0].message", ".status.compliance"} {
		if !slices.Contains(cut, want) {
			t.Errorf("Fit reported %v, want it to name %s", cut, want)
		}
	}
}

func TestFitLeavesAnObjectWithinBoundsAlone(t *testing.T) {
	risk := &isms.Risk{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "n"},
		Spec:   isms.RiskSpec{Title: "t", Source: isms.SourceDeclared, Owner: isms.Person{Name: "Jane"}, Likelihood: 2, Consequence: 3},
		Status: isms.RiskStatus{State: isms.StateOpen, History: []isms.HistoryEntry{{At: metav1.Now(), State: isms.StateOpen, Reason: "Declared", Message: "m"}}}}
	before := risk.DeepCopy()
	cut, err := Fit(risk, scheme.New())
	if err != nil || cut != nil {
		t.Fatalf("Fit = %v, %v; want nothing cut", cut, err)
	}
	if diff := cmp.Diff(before, risk); diff != "" {
		t.Errorf("Fit changed an object within its bounds (-before +after):\n%s", diff)
	}
}

// TestEveryStatusFieldIsBounded: every string and list the operator writes has a bound in
// its CRD, so that Fit can keep it within the API's limits (style.md 17).
func TestEveryStatusFieldIsBounded(t *testing.T) {
	schemas, err := Schemas()
	if err != nil {
		t.Fatal(err)
	}
	if len(schemas) != 4 {
		t.Fatalf("%d kinds in the embedded CRDs, want 4", len(schemas))
	}
	for gvk, s := range schemas {
		status := s.Properties["status"]
		for _, path := range unbounded(&status, gvk.Kind+".status") {
			t.Errorf("%s has no maxLength or maxItems", path)
		}
	}
}

func unbounded(s *apiextensionsv1.JSONSchemaProps, path string) []string {
	var out []string
	switch s.Type {
	case "string":
		if s.MaxLength == nil && len(s.Enum) == 0 && s.Format != "date-time" {
			out = append(out, path)
		}
	case "array":
		if s.MaxItems == nil {
			out = append(out, path)
		}
		if s.Items != nil && s.Items.Schema != nil {
			out = append(out, unbounded(s.Items.Schema, path+"[]")...)
		}
	case "object":
		for name, p := range s.Properties {
			out = append(out, unbounded(&p, path+"."+name)...)
		}
	}
	return out
}
