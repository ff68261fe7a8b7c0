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
