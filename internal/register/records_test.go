package register

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// detectedAt is a Detected Risk named name, for asset (nil assetRef when "") and control.
func detectedAt(name, asset string, control isms.ControlID) *isms.Risk {
	r := &isms.Risk{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: name},
		Spec: isms.RiskSpec{Title: "Volumes not encrypted", Source: isms.SourceDetected, Control: control,
			Owner: jane, Likelihood: 2, Consequence: 5},
	}
	if asset != "" {
		r.Spec.AssetRef = &isms.LocalObjectReference{Name: asset}
	}
	return r
}

func TestIsRecord(t *testing.T) {
	longAsset := strings.Repeat("records.", 31) + "epr1a"
	cases := []struct {
		name string
		risk *isms.Risk
		want bool
	}{
		{name: "the Risk NewRisk raises", risk: newRecord(), want: true},
		{name: "a Detected Risk at Name(asset, control)", risk: detectedAt(enc01Risk, testAssetName, isms.ControlEncryptedVolumes), want: true},
		{name: "a Detected Risk for a 253-character asset at its shortened name",
			risk: detectedAt(Name(longAsset, isms.ControlReviewed), longAsset, isms.ControlReviewed), want: true},
		{name: "a Declared Risk at the record's name", risk: func() *isms.Risk {
			r := detectedAt(enc01Risk, testAssetName, isms.ControlEncryptedVolumes)
			r.Spec.Source = isms.SourceDeclared
			return r
		}()},
		{name: "a Detected Risk at another name", risk: detectedAt("epr-encryption-gap", testAssetName, isms.ControlEncryptedVolumes)},
		{name: "a Detected Risk at the name of another control of its asset",
			risk: detectedAt(enc02Risk, testAssetName, isms.ControlEncryptedVolumes)},
		{name: "a Detected Risk at the name of the same control of another asset",
			risk: detectedAt(enc01Risk, "pharmacy-stock", isms.ControlEncryptedVolumes)},
		{name: "a Detected Risk with no assetRef", risk: detectedAt(enc01Risk, "", isms.ControlEncryptedVolumes)},
		{name: "a Detected Risk with no control", risk: detectedAt(testAssetName+"-", testAssetName, "")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsRecord(tc.risk); got != tc.want {
				t.Errorf("IsRecord(%s) = %t, want %t", tc.risk.Name, got, tc.want)
			}
		})
	}
}

func TestHolds(t *testing.T) {
	cases := []struct {
		name    string
		risk    *isms.Risk
		asset   string
		control isms.ControlID
		want    bool
	}{
		{name: "the record of the asset's control", risk: newRecord(), asset: testAssetName, control: isms.ControlEncryptedVolumes, want: true},
		{name: "the record of another control", risk: newRecord(), asset: testAssetName, control: isms.ControlIngressTLS},
		{name: "the record of another asset", risk: newRecord(), asset: "pharmacy-stock", control: isms.ControlEncryptedVolumes},
		{name: "a Declared Risk at the name: a conflict", asset: testAssetName, control: isms.ControlEncryptedVolumes,
			risk: func() *isms.Risk {
				r := newRecord()
				r.Spec.Source = isms.SourceDeclared
				return r
			}()},
		{name: "a Detected Risk of another asset at the name: a conflict", asset: testAssetName, control: isms.ControlEncryptedVolumes,
			risk: detectedAt(enc01Risk, "pharmacy-stock", isms.ControlEncryptedVolumes)},
		{name: "a Detected Risk of another control at the name: a conflict", asset: testAssetName, control: isms.ControlEncryptedVolumes,
			risk: detectedAt(enc01Risk, testAssetName, isms.ControlPodSecurity)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Holds(tc.risk, tc.asset, tc.control); got != tc.want {
				t.Errorf("Holds(%s, %s, %s) = %t, want %t", tc.risk.Name, tc.asset, tc.control, got, tc.want)
			}
		})
	}
}

// TestNewRisk checks the whole Risk raised for a failing control: what identifies it, how
// it is scored (risk.md "Scoring a detected risk"), what it says, and that it carries no
// owner reference to the asset (risk.md: a deleted asset must not garbage-collect its risk
// history) and no status (the risk controller writes it).
func TestNewRisk(t *testing.T) {
	longAsset := strings.Repeat("records.", 31) + "epr1a"
	lowCorporate := func() *isms.InformationAsset {
		a := testAsset()
		a.Spec.Criticality = isms.CriticalityLow
		a.Spec.DataCategories = []isms.DataCategory{isms.DataCorporate}
		return a
	}
	cases := []struct {
		name    string
		asset   *isms.InformationAsset
		control isms.ControlID
		exposed bool
		want    isms.Risk
		inTitle []string
	}{
		{
			name:  "ENC-01 on a High patient-identifiable asset: likelihood 2, consequence 4+1",
			asset: testAsset(), control: isms.ControlEncryptedVolumes,
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: enc01Risk,
					Labels: map[string]string{LabelAsset: testAssetName, LabelControl: "enc-01"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: testAssetName},
					Control: isms.ControlEncryptedVolumes, Owner: jane, Likelihood: 2, Consequence: 5},
			},
			inTitle: []string{testAssetName, "volumes not encrypted at rest"},
		},
		{
			name:  "ENC-01 exposed: likelihood raised by one",
			asset: testAsset(), control: isms.ControlEncryptedVolumes, exposed: true,
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: enc01Risk,
					Labels: map[string]string{LabelAsset: testAssetName, LabelControl: "enc-01"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: testAssetName},
					Control: isms.ControlEncryptedVolumes, Owner: jane, Likelihood: 3, Consequence: 5},
			},
			inTitle: []string{testAssetName, "volumes not encrypted at rest"},
		},
		{
			name:  "ENC-02 exposed on a Low asset with no sensitive data: likelihood 4+1, consequence 2",
			asset: lowCorporate(), control: isms.ControlIngressTLS, exposed: true,
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: enc02Risk,
					Labels: map[string]string{LabelAsset: testAssetName, LabelControl: "enc-02"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: testAssetName},
					Control: isms.ControlIngressTLS, Owner: jane, Likelihood: 5, Consequence: 2},
			},
			inTitle: []string{testAssetName, "unencrypted traffic from outside the cluster"},
		},
		{
			name:  "ACC-01 not exposed: the control's default likelihood 3",
			asset: testAsset(), control: isms.ControlPodSecurity,
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: acc01Risk,
					Labels: map[string]string{LabelAsset: testAssetName, LabelControl: "acc-01"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: testAssetName},
					Control: isms.ControlPodSecurity, Owner: jane, Likelihood: 3, Consequence: 5},
			},
			inTitle: []string{testAssetName, "pods break the Pod Security Standard"},
		},
		{
			name: "a 253-character asset: name and asset label shortened, assetRef whole",
			asset: func() *isms.InformationAsset {
				a := lowCorporate()
				a.Name = longAsset
				return a
			}(),
			control: isms.ControlReviewed,
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: Name(longAsset, isms.ControlReviewed),
					Labels: map[string]string{LabelAsset: LabelValue(longAsset), LabelControl: "gov-01"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: longAsset},
					Control: isms.ControlReviewed, Owner: jane, Likelihood: 2, Consequence: 2},
			},
			inTitle: []string{"records.records.", "asset review overdue"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asset := tc.asset.DeepCopy()
			risk := NewRisk(tc.asset, tc.control, tc.exposed)
			if diff := cmp.Diff(asset, tc.asset); diff != "" {
				t.Errorf("NewRisk modified the asset (-before +after):\n%s", diff)
			}
			opts := cmpopts.IgnoreFields(isms.RiskSpec{}, "Title", "Description")
			if diff := cmp.Diff(tc.want, *risk, opts); diff != "" {
				t.Errorf("NewRisk() (-want +got):\n%s", diff)
			}
			for _, s := range tc.inTitle {
				if !strings.Contains(risk.Spec.Title, s) {
					t.Errorf("title %q does not say %q", risk.Spec.Title, s)
				}
			}
			if n := len(risk.Spec.Title); n == 0 || n > 256 {
				t.Errorf("title is %d characters, the API allows 1-256: %q", n, risk.Spec.Title)
			}
			c, _ := controls.Lookup(tc.control)
			for _, s := range append([]string{string(tc.control), c.Title, tc.asset.Name}, c.References...) {
				if !strings.Contains(risk.Spec.Description, s) {
					t.Errorf("description does not say %q: %q", s, risk.Spec.Description)
				}
			}
			if n := len(risk.Spec.Description); n > 4096 {
				t.Errorf("description is %d characters, the API allows 4096", n)
			}
			for k, v := range risk.Labels {
				if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
					t.Errorf("label %s=%q is not a valid label value: %v", k, v, errs)
				}
			}
		})
	}
}

// TestNewRiskIsRecord: every Risk NewRisk raises is the register's record of its asset's
// control, whatever the control and however long the asset's name, so that the drift of
// each is recorded on it and none is taken for a name conflict.
func TestNewRiskIsRecord(t *testing.T) {
	for _, name := range []string{testAssetName, strings.Repeat("pharmacy-stock-", 17)[:253], strings.Repeat("records.", 31) + "epr1a"} {
		for _, c := range controls.Catalogue {
			asset := testAsset()
			asset.Name = name
			r := NewRisk(asset, c.ID, false)
			if !IsRecord(r) || !Holds(r, name, c.ID) {
				t.Errorf("NewRisk(%q, %s) = %s: IsRecord %t, Holds %t, want both true", name, c.ID, r.Name, IsRecord(r), Holds(r, name, c.ID))
			}
		}
	}
}
