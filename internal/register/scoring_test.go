package register

import (
	"testing"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

func TestConsequence(t *testing.T) {
	cases := []struct {
		name        string
		criticality isms.Criticality
		categories  []isms.DataCategory
		want        int32
	}{
		{name: "Low", criticality: isms.CriticalityLow, want: 2},
		{name: "Medium", criticality: isms.CriticalityMedium, want: 3},
		{name: "High", criticality: isms.CriticalityHigh, want: 4},
		{name: "Critical", criticality: isms.CriticalityCritical, want: 5},
		{name: "Low, patient identifiable", criticality: isms.CriticalityLow, categories: []isms.DataCategory{isms.DataPatientIdentifiable}, want: 3},
		{name: "Medium, special category", criticality: isms.CriticalityMedium, categories: []isms.DataCategory{isms.DataSpecialCategory}, want: 4},
		{name: "High, patient identifiable", criticality: isms.CriticalityHigh, categories: []isms.DataCategory{isms.DataPatientIdentifiable}, want: 5},
		{name: "High, both raise once only", criticality: isms.CriticalityHigh,
			categories: []isms.DataCategory{isms.DataPatientIdentifiable, isms.DataSpecialCategory}, want: 5},
		{name: "Medium, both raise once only", criticality: isms.CriticalityMedium,
			categories: []isms.DataCategory{isms.DataSpecialCategory, isms.DataPatientIdentifiable}, want: 4},
		{name: "Critical, patient identifiable: capped at 5", criticality: isms.CriticalityCritical,
			categories: []isms.DataCategory{isms.DataPatientIdentifiable}, want: 5},
		{name: "Critical, special category: capped at 5", criticality: isms.CriticalityCritical,
			categories: []isms.DataCategory{isms.DataSpecialCategory}, want: 5},
		{name: "Low, other categories do not raise it", criticality: isms.CriticalityLow,
			categories: []isms.DataCategory{isms.DataPersonal, isms.DataStaffRecords, isms.DataFinancial, isms.DataCriminalOffence,
				isms.DataPseudonymised, isms.DataAnonymised, isms.DataCorporate, isms.DataPublic}, want: 2},
		{name: "Medium, patient identifiable among others", criticality: isms.CriticalityMedium,
			categories: []isms.DataCategory{isms.DataPersonal, isms.DataPatientIdentifiable}, want: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asset := testAsset()
			asset.Spec.Criticality, asset.Spec.DataCategories = tc.criticality, tc.categories
			if got := Consequence(asset); got != tc.want {
				t.Errorf("Consequence(%s, %v) = %d, want %d", tc.criticality, tc.categories, got, tc.want)
			}
		})
	}
}

type likelihoodCase struct {
	name    string
	control isms.ControlID
	exposed bool
	want    int32
}

func TestLikelihood(t *testing.T) {
	cases := []likelihoodCase{
		{name: "ENC-01 default", control: isms.ControlEncryptedVolumes, want: 2},
		{name: "ENC-01 exposed", control: isms.ControlEncryptedVolumes, exposed: true, want: 3},
		{name: "ENC-02 default", control: isms.ControlIngressTLS, want: 4},
		{name: "ENC-02 exposed", control: isms.ControlIngressTLS, exposed: true, want: 5},
		{name: "ACC-01 default", control: isms.ControlPodSecurity, want: 3},
		{name: "ACC-01 exposed", control: isms.ControlPodSecurity, exposed: true, want: 4},
	}
	// Every control of the catalogue: its default likelihood, one more when exposed, at most 5.
	for _, c := range controls.Catalogue {
		cases = append(cases,
			likelihoodCase{name: string(c.ID) + " from the catalogue", control: c.ID, want: c.Likelihood},
			likelihoodCase{name: string(c.ID) + " from the catalogue, exposed", control: c.ID, exposed: true, want: min(c.Likelihood+1, 5)},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Likelihood(tc.control, tc.exposed); got != tc.want {
				t.Errorf("Likelihood(%s, exposed %t) = %d, want %d", tc.control, tc.exposed, got, tc.want)
			}
		})
	}
}

// TestLikelihoodInRange: every result is a valid likelihood (1-5), exposed or not.
func TestLikelihoodInRange(t *testing.T) {
	for _, c := range controls.Catalogue {
		for _, exposed := range []bool{false, true} {
			if got := Likelihood(c.ID, exposed); got < 1 || got > 5 {
				t.Errorf("Likelihood(%s, %t) = %d, want 1-5", c.ID, exposed, got)
			}
		}
	}
}
