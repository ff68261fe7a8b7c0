package register

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

func TestName(t *testing.T) {
	long := strings.Repeat("a", 60)
	cases := []struct {
		name    string
		asset   string
		control isms.ControlID
		want    string // "" when only the properties below are checked
		prefix  string // the start of the asset name the result keeps
	}{
		{name: "short name is asset and control in lower case", asset: "patient-records", control: isms.ControlEncryptedVolumes,
			want: "patient-records-enc-01"},
		{name: "another control", asset: "patient-records", control: isms.ControlContinuityPlan, want: "patient-records-bcp-01"},
		{name: "exactly 63 characters is kept", asset: strings.Repeat("x", 56), control: isms.ControlEncryptedVolumes,
			want: strings.Repeat("x", 56) + "-enc-01"},
		{name: "64 characters is shortened", asset: strings.Repeat("x", 57), control: isms.ControlEncryptedVolumes,
			prefix: strings.Repeat("x", 40)},
		{name: "long name is shortened", asset: long + "-electronic-patient-record", control: isms.ControlSecretAccess, prefix: long[:40]},
		{name: "a cut at a dash leaves no dash before the hash", asset: strings.Repeat("b", 44) + "-" + strings.Repeat("c", 40),
			control: isms.ControlEncryptedVolumes, prefix: strings.Repeat("b", 44)},
		{name: "DNS subdomain of 253 characters", asset: strings.Repeat("records.", 31) + "epr1a", control: isms.ControlReviewed,
			prefix: "records.records."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Name(tc.asset, tc.control)
			if tc.want != "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Name(%q, %s) (-want +got):\n%s", tc.asset, tc.control, diff)
				}
			}
			checkName(t, got, tc.control)
			if tc.prefix != "" && !strings.HasPrefix(got, tc.prefix) {
				t.Errorf("Name(%q, %s) = %q, want it to keep the start %q of the asset name", tc.asset, tc.control, got, tc.prefix)
			}
			if again := Name(tc.asset, tc.control); again != got {
				t.Errorf("Name is not deterministic: %q then %q", got, again)
			}
		})
	}
}

// checkName checks what holds of every Risk name: at most 63 characters, a DNS label (when
// the asset name is one) with no "--" or "-." at the seam, ending with the control suffix.
func checkName(t *testing.T, got string, control isms.ControlID) {
	t.Helper()
	if len(got) > 63 {
		t.Errorf("%q is %d characters, want at most 63", got, len(got))
	}
	suffix := "-" + strings.ToLower(string(control))
	if !strings.HasSuffix(got, suffix) {
		t.Errorf("%q does not end with %q", got, suffix)
	}
	if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
		t.Errorf("%q is not a valid object name: %v", got, errs)
	}
	if !strings.Contains(got, ".") {
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("%q is not a DNS label: %v", got, errs)
		}
	}
	if strings.Contains(got, "--") || strings.Contains(got, ".-") || strings.Contains(got, "-.") {
		t.Errorf("%q has an empty segment at the seam", got)
	}
}

func TestNameDistinct(t *testing.T) {
	shared := strings.Repeat("community-mental-health-", 3)[:60]
	cases := []struct {
		name string
		a, b string
	}{
		{name: "long names sharing a 60-character prefix", a: shared + "-north-east", b: shared + "-south-west"},
		{name: "long names differing only in the last character", a: shared + "-records-1", b: shared + "-records-2"},
		{name: "long names differing in length only", a: shared + "-records", b: shared + "-records-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range controls.Catalogue {
				a, b := Name(tc.a, c.ID), Name(tc.b, c.ID)
				if a == b {
					t.Errorf("Name(%q) and Name(%q) are both %q for %s", tc.a, tc.b, a, c.ID)
				}
				checkName(t, a, c.ID)
				checkName(t, b, c.ID)
			}
		})
	}
}

// TestNamePerControl: one asset's Risks have one name per control, none shared.
func TestNamePerControl(t *testing.T) {
	for _, asset := range []string{"patient-records", strings.Repeat("pharmacy-stock-", 10)} {
		seen := map[string]isms.ControlID{}
		for _, c := range controls.Catalogue {
			got := Name(asset, c.ID)
			if other, ok := seen[got]; ok {
				t.Errorf("%s and %s of asset %q share the name %q", other, c.ID, asset, got)
			}
			seen[got] = c.ID
			checkName(t, got, c.ID)
		}
	}
}

func TestLabelValue(t *testing.T) {
	long := strings.Repeat("community-mental-health-", 3)[:60]
	cases := []struct {
		name  string
		value string
		want  string // "" when only the properties below are checked
		keeps string // the start of the name a shortened value keeps
	}{
		{name: "a short name is its own label value", value: "patient-records", want: "patient-records"},
		{name: "a name of 63 bytes is kept", value: strings.Repeat("x", 63), want: strings.Repeat("x", 63)},
		{name: "a name of 64 bytes is shortened", value: strings.Repeat("x", 64), keeps: strings.Repeat("x", 40)},
		{name: "a long name keeps its start", value: long + "-north-east", keeps: long[:40]},
		{name: "a cut at a dash leaves no dash before the hash", value: strings.Repeat("b", 51) + "-" + strings.Repeat("c", 40),
			keeps: strings.Repeat("b", 51)},
		{name: "a cut at a dot leaves no dot before the hash", value: strings.Repeat("b", 51) + "." + strings.Repeat("c", 40),
			keeps: strings.Repeat("b", 51)},
		{name: "a DNS subdomain of 253 characters", value: strings.Repeat("records.", 31) + "epr1a", keeps: "records.records."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := LabelValue(tc.value)
			if tc.want != "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("LabelValue(%q) (-want +got):\n%s", tc.value, diff)
				}
			}
			if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
				t.Errorf("LabelValue(%q) = %q, not a valid label value: %v", tc.value, got, errs)
			}
			if tc.keeps != "" {
				if got == tc.value {
					t.Errorf("LabelValue(%q) kept the whole %d-byte name, want it shortened", tc.value, len(tc.value))
				}
				if !strings.HasPrefix(got, tc.keeps) {
					t.Errorf("LabelValue(%q) = %q, want it to keep the start %q", tc.value, got, tc.keeps)
				}
				if strings.Contains(got, "--") || strings.Contains(got, ".-") {
					t.Errorf("LabelValue(%q) = %q has an empty segment at the seam", tc.value, got)
				}
			}
			if again := LabelValue(tc.value); again != got {
				t.Errorf("LabelValue is not deterministic: %q then %q", got, again)
			}
		})
	}
}

// TestLabelValueDistinct: long names that share their start get distinct label values.
func TestLabelValueDistinct(t *testing.T) {
	shared := strings.Repeat("community-mental-health-", 3)[:60]
	pairs := [][2]string{
		{shared + "-north-east", shared + "-south-west"},
		{shared + "-records-1", shared + "-records-2"},
		{shared + "-records", shared + "-records-"},
	}
	for _, p := range pairs {
		if a, b := LabelValue(p[0]), LabelValue(p[1]); a == b {
			t.Errorf("LabelValue(%q) and LabelValue(%q) are both %q", p[0], p[1], a)
		}
	}
}
