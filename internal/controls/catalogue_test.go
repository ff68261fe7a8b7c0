package controls

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

const (
	wantRequired    = isms.LevelRequired
	wantRecommended = isms.LevelRecommended
	wantNotRequired = isms.LevelNotRequired
)

// specDefaults transcribes "Defaults by classification" of controls.md. BCP-01 is only
// given for High and Critical assets: the table says nothing of the others.
func specDefaults(sensitive bool, criticality isms.Criticality) map[isms.ControlID]isms.ControlLevel {
	highOrCritical := criticality == isms.CriticalityHigh || criticality == isms.CriticalityCritical
	mediumOrAbove := highOrCritical || criticality == isms.CriticalityMedium
	levels := map[isms.ControlID]isms.ControlLevel{
		isms.ControlEncryptedVolumes: wantRequired,
		isms.ControlIngressTLS:       wantRequired,
		isms.ControlPodSecurity:      wantRequired,
		isms.ControlReviewed:         wantRequired,
	}
	pick := func(cond bool, yes, no isms.ControlLevel) isms.ControlLevel {
		if cond {
			return yes
		}
		return no
	}
	if sensitive {
		levels[isms.ControlMeshMTLS] = wantRecommended
		levels[isms.ControlBackupRecent] = wantRequired
		levels[isms.ControlRestoreTested] = pick(highOrCritical, wantRequired, wantRecommended)
		levels[isms.ControlNetworkIsolation] = wantRequired
		levels[isms.ControlSecretAccess] = wantRequired
		levels[isms.ControlServiceAccount] = wantRequired
	} else {
		levels[isms.ControlMeshMTLS] = wantNotRequired
		levels[isms.ControlBackupRecent] = pick(mediumOrAbove, wantRequired, wantRecommended)
		levels[isms.ControlRestoreTested] = wantRecommended
		levels[isms.ControlNetworkIsolation] = wantRecommended
		levels[isms.ControlSecretAccess] = wantRecommended
		levels[isms.ControlServiceAccount] = wantRecommended
	}
	if highOrCritical {
		levels[isms.ControlContinuityPlan] = wantRequired
	}
	return levels
}

func TestDefaultLevels(t *testing.T) {
	cases := []struct {
		name           string
		classification isms.Classification
		categories     []isms.DataCategory
		criticality    isms.Criticality
		// sensitive is which column of the table applies.
		sensitive bool
		standard  isms.PodSecurityStandard
	}{
		{name: "OFFICIAL Low", classification: isms.ClassificationOfficial, criticality: isms.CriticalityLow, standard: isms.PodSecurityBaseline},
		{name: "OFFICIAL Medium", classification: isms.ClassificationOfficial, criticality: isms.CriticalityMedium, standard: isms.PodSecurityBaseline},
		{name: "OFFICIAL High", classification: isms.ClassificationOfficial, criticality: isms.CriticalityHigh, standard: isms.PodSecurityBaseline},
		{name: "OFFICIAL Critical", classification: isms.ClassificationOfficial, criticality: isms.CriticalityCritical, standard: isms.PodSecurityBaseline},
		{name: "OFFICIAL Low, corporate and financial data", classification: isms.ClassificationOfficial,
			categories: []isms.DataCategory{isms.DataCorporate, isms.DataFinancial, isms.DataPublic}, criticality: isms.CriticalityLow, standard: isms.PodSecurityBaseline},
		{name: "OFFICIAL Low, Personal data", classification: isms.ClassificationOfficial,
			categories: []isms.DataCategory{isms.DataCorporate, isms.DataPersonal}, criticality: isms.CriticalityLow, sensitive: true, standard: isms.PodSecurityRestricted},
		{name: "OFFICIAL Medium, SpecialCategory data", classification: isms.ClassificationOfficial,
			categories: []isms.DataCategory{isms.DataSpecialCategory}, criticality: isms.CriticalityMedium, sensitive: true, standard: isms.PodSecurityRestricted},
		{name: "OFFICIAL High, PatientIdentifiable data", classification: isms.ClassificationOfficial,
			categories: []isms.DataCategory{isms.DataPatientIdentifiable}, criticality: isms.CriticalityHigh, sensitive: true, standard: isms.PodSecurityRestricted},
		{name: "OFFICIAL-SENSITIVE Low", classification: isms.ClassificationOfficialSensitive, criticality: isms.CriticalityLow, sensitive: true, standard: isms.PodSecurityRestricted},
		{name: "OFFICIAL-SENSITIVE Medium", classification: isms.ClassificationOfficialSensitive, criticality: isms.CriticalityMedium, sensitive: true, standard: isms.PodSecurityRestricted},
		{name: "OFFICIAL-SENSITIVE High", classification: isms.ClassificationOfficialSensitive, criticality: isms.CriticalityHigh, sensitive: true, standard: isms.PodSecurityRestricted},
		{name: "OFFICIAL-SENSITIVE Critical", classification: isms.ClassificationOfficialSensitive, criticality: isms.CriticalityCritical, sensitive: true, standard: isms.PodSecurityRestricted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asset := newAsset(func(a *isms.InformationAsset) {
				a.Spec.Classification = tc.classification
				a.Spec.DataCategories = tc.categories
				a.Spec.Criticality = tc.criticality
			})
			want := specDefaults(tc.sensitive, tc.criticality)
			got := map[isms.ControlID]isms.ControlLevel{}
			for _, c := range Catalogue {
				level := c.LevelFor(asset)
				if _, inTable := want[c.ID]; inTable {
					got[c.ID] = level
				} else if level == wantRequired {
					t.Errorf("%s is Required for a %s asset; controls.md requires it only of High and Critical assets", c.ID, tc.criticality)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("default levels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.standard, PodSecurityStandardFor(asset)); diff != "" {
				t.Errorf("ACC-01 Pod Security Standard (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLevelOverrides(t *testing.T) {
	cases := []struct {
		name     string
		asset    *isms.InformationAsset
		want     map[isms.ControlID]isms.ControlLevel
		standard isms.PodSecurityStandard
	}{
		{
			name: "every control overridden on an OFFICIAL Low asset",
			asset: newAsset(official, withControls(isms.ControlsSpec{
				Encryption: &isms.EncryptionControls{AtRest: wantRecommended, InTransit: wantNotRequired, MeshTLS: wantRequired},
				Backup:     &isms.BackupControls{Recency: wantNotRequired, RestoreTest: wantRequired},
				Access: &isms.AccessControls{PodSecurity: wantRecommended, PodSecurityStandard: isms.PodSecurityRestricted,
					NetworkIsolation: wantRequired, SecretAccess: wantRequired, ServiceAccount: wantNotRequired},
				Review:         wantRecommended,
				ContinuityPlan: wantRequired,
			})),
			want: map[isms.ControlID]isms.ControlLevel{
				isms.ControlEncryptedVolumes: wantRecommended, isms.ControlIngressTLS: wantNotRequired, isms.ControlMeshMTLS: wantRequired,
				isms.ControlBackupRecent: wantNotRequired, isms.ControlRestoreTested: wantRequired,
				isms.ControlPodSecurity: wantRecommended, isms.ControlNetworkIsolation: wantRequired, isms.ControlSecretAccess: wantRequired,
				isms.ControlServiceAccount: wantNotRequired, isms.ControlReviewed: wantRecommended, isms.ControlContinuityPlan: wantRequired,
			},
			standard: isms.PodSecurityRestricted,
		},
		{
			name: "every control overridden on an OFFICIAL-SENSITIVE Critical asset",
			asset: newAsset(func(a *isms.InformationAsset) { a.Spec.Criticality = isms.CriticalityCritical }, withControls(isms.ControlsSpec{
				Encryption: &isms.EncryptionControls{AtRest: wantNotRequired, InTransit: wantRecommended, MeshTLS: wantNotRequired},
				Backup:     &isms.BackupControls{Recency: wantRecommended, RestoreTest: wantNotRequired},
				Access: &isms.AccessControls{PodSecurity: wantNotRequired, PodSecurityStandard: isms.PodSecurityBaseline,
					NetworkIsolation: wantRecommended, SecretAccess: wantNotRequired, ServiceAccount: wantRecommended},
				Review:         wantNotRequired,
				ContinuityPlan: wantRecommended,
			})),
			want: map[isms.ControlID]isms.ControlLevel{
				isms.ControlEncryptedVolumes: wantNotRequired, isms.ControlIngressTLS: wantRecommended, isms.ControlMeshMTLS: wantNotRequired,
				isms.ControlBackupRecent: wantRecommended, isms.ControlRestoreTested: wantNotRequired,
				isms.ControlPodSecurity: wantNotRequired, isms.ControlNetworkIsolation: wantRecommended, isms.ControlSecretAccess: wantNotRequired,
				isms.ControlServiceAccount: wantRecommended, isms.ControlReviewed: wantNotRequired, isms.ControlContinuityPlan: wantRecommended,
			},
			standard: isms.PodSecurityBaseline,
		},
		{
			name: "one override leaves the other controls at their defaults",
			asset: newAsset(official, withControls(isms.ControlsSpec{
				Encryption: &isms.EncryptionControls{MeshTLS: wantRequired},
			})),
			want: func() map[isms.ControlID]isms.ControlLevel {
				levels := specDefaults(false, isms.CriticalityLow)
				levels[isms.ControlMeshMTLS] = wantRequired
				return levels
			}(),
			standard: isms.PodSecurityBaseline,
		},
		{
			name:  "an empty spec.controls changes nothing",
			asset: newAsset(withControls(isms.ControlsSpec{Access: &isms.AccessControls{}})),
			want: func() map[isms.ControlID]isms.ControlLevel {
				levels := specDefaults(true, isms.CriticalityMedium)
				return levels
			}(),
			standard: isms.PodSecurityRestricted,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[isms.ControlID]isms.ControlLevel{}
			for _, c := range Catalogue {
				if _, asserted := tc.want[c.ID]; asserted { // BCP-01 of a Low or Medium asset is not in controls.md
					got[c.ID] = c.LevelFor(tc.asset)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("levels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.standard, PodSecurityStandardFor(tc.asset)); diff != "" {
				t.Errorf("ACC-01 Pod Security Standard (-want +got):\n%s", diff)
			}
		})
	}
}

// catalogueEntry is a row of the catalogue table of controls.md.
type catalogueEntry struct {
	ID         isms.ControlID
	Family     string
	Likelihood int32
	// References are those of the ISO 27001, CAF and NDG columns.
	References []string
}

func TestCatalogue(t *testing.T) {
	want := []catalogueEntry{
		{isms.ControlEncryptedVolumes, isms.ConditionEncryptedAtRest, 2, []string{"iso27001-2022:A.8.24", "caf-3.2:B3.c", "ndg:9"}},
		{isms.ControlIngressTLS, isms.ConditionEncryptedInTransit, 4, []string{"iso27001-2022:A.8.24", "iso27001-2022:A.8.20", "caf-3.2:B3.b", "ndg:9"}},
		{isms.ControlMeshMTLS, isms.ConditionEncryptedInTransit, 2, []string{"iso27001-2022:A.8.24", "iso27001-2022:A.8.21", "caf-3.2:B3.b", "ndg:9"}},
		{isms.ControlBackupRecent, isms.ConditionBackedUp, 3, []string{"iso27001-2022:A.8.13", "caf-3.2:B5.c", "caf-3.2:B3.c", "ndg:7"}},
		{isms.ControlRestoreTested, isms.ConditionBackedUp, 2, []string{"iso27001-2022:A.8.13", "iso27001-2022:A.5.30", "caf-3.2:B5.c", "caf-3.2:D1.c", "ndg:7"}},
		{isms.ControlPodSecurity, isms.ConditionAccessControlled, 3, []string{"iso27001-2022:A.8.2", "iso27001-2022:A.8.9", "caf-3.2:B4.b", "ndg:9"}},
		{isms.ControlNetworkIsolation, isms.ConditionAccessControlled, 3, []string{"iso27001-2022:A.8.20", "iso27001-2022:A.8.22", "caf-3.2:B4.a", "caf-3.2:B5.b", "ndg:9"}},
		{isms.ControlSecretAccess, isms.ConditionAccessControlled, 3, []string{"iso27001-2022:A.5.15", "iso27001-2022:A.5.18", "iso27001-2022:A.8.2", "iso27001-2022:A.8.3", "caf-3.2:B2.a", "caf-3.2:B2.c", "ndg:4"}},
		{isms.ControlServiceAccount, isms.ConditionAccessControlled, 2, []string{"iso27001-2022:A.5.15", "iso27001-2022:A.8.2", "caf-3.2:B2.a", "ndg:4"}},
		{isms.ControlReviewed, isms.ConditionReviewed, 2, []string{"iso27001-2022:A.5.9", "iso27001-2022:A.5.12", "caf-3.2:A3.a", "caf-3.2:B3.a", "ndg:1"}},
		{isms.ControlContinuityPlan, isms.ConditionContinuityPlanned, 3, []string{"iso27001-2022:A.5.29", "iso27001-2022:A.5.30", "caf-3.2:B5.a", "caf-3.2:D1.a", "caf-3.2:D1.c", "ndg:7"}},
	}
	standards := regexp.MustCompile(`^(iso27001-2022|caf-3\.2|ndg):`)
	var got []catalogueEntry
	for _, c := range Catalogue {
		entry := catalogueEntry{ID: c.ID, Family: c.Family, Likelihood: c.Likelihood}
		for _, ref := range c.References {
			if standards.MatchString(ref) {
				entry.References = append(entry.References, ref)
			}
		}
		got = append(got, entry)
	}
	sortRefs := cmpopts.SortSlices(func(a, b string) bool { return a < b })
	if diff := cmp.Diff(want, got, sortRefs); diff != "" {
		t.Errorf("catalogue, in order (-want +got):\n%s", diff)
	}
}

func TestCatalogueReferencesAreVersioned(t *testing.T) {
	// Every reference names its scheme and version; CoP references (nhs-cop-YEAR:) are
	// the Code of Practice links of controls.md.
	versioned := regexp.MustCompile(`^(iso27001-2022|caf-3\.2|ndg|nhs-cop-[0-9]{4}):[A-Za-z0-9.\-]+$`)
	for _, c := range Catalogue {
		t.Run(string(c.ID), func(t *testing.T) {
			has := map[string]bool{}
			for _, ref := range c.References {
				if !versioned.MatchString(ref) {
					t.Errorf("reference %q does not carry a versioned prefix", ref)
				}
				prefix, _, _ := strings.Cut(ref, ":")
				has[prefix] = true
			}
			for _, prefix := range []string{"iso27001-2022", "caf-3.2", "ndg"} {
				if !has[prefix] {
					t.Errorf("no %s: reference in %q", prefix, c.References)
				}
			}
			if c.Title == "" {
				t.Error("no title")
			}
		})
	}
}

func TestLookup(t *testing.T) {
	for _, id := range []isms.ControlID{isms.ControlEncryptedVolumes, isms.ControlReviewed, isms.ControlContinuityPlan} {
		c, found := Lookup(id)
		if !found || c.ID != id {
			t.Errorf("Lookup(%s) = %s, %t; want the control", id, c.ID, found)
		}
	}
	if _, found := Lookup("ENC-99"); found {
		t.Error("Lookup(ENC-99) found a control")
	}
}
