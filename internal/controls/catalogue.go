// Package controls is the control catalogue: each control's ID, family, default level,
// default likelihood and references, and one pure check per control that turns an
// Evidence value into findings. Nothing here calls an API: the operator and the offline
// audit run the same checks on evidence gathered elsewhere.
package controls

import (
	"time"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Control is one entry of the catalogue.
type Control struct {
	// ID is the stable identifier, e.g. ENC-01.
	ID isms.ControlID
	// Family is the InformationAsset condition type the control reports under.
	Family string
	// Title says in a few words what passing means.
	Title string
	// Failure says in a few words what failing means, for the title of the Risk it raises.
	Failure string
	// Likelihood is the default likelihood (1-5) of a Risk raised when the control fails.
	Likelihood int32
	// References map the control to the standards trusts report against, each with its
	// version: ISO/IEC 27001:2022 Annex A, NCSC CAF 3.2, the National Data Guardian
	// standards and the NHS Code of Practice.
	References []string

	// defaultLevel is the level when the asset does not override it.
	defaultLevel func(profile) isms.ControlLevel
	// override is the asset's own level for the control, or "".
	override func(*isms.ControlsSpec) isms.ControlLevel
	// check evaluates the control.
	check func(*Evidence) outcome
	// judgesWorkloads: the control judges the asset's workloads, so with none it has no
	// evidence either way and is not evaluated (never passed on nothing).
	judgesWorkloads bool
}

// outcome is what a check found: failing findings (Level left empty means the control's
// level; a check may mark a finding advisory with LevelRecommended), and sentences naming
// the evidence that passed.
type outcome struct {
	findings []isms.Finding
	passed   []string
	// recheckAt is when the outcome may change with no change in the cluster (zero if never).
	recheckAt time.Time
	// notEvaluated, when set, says why the evidence cannot decide yet (e.g. a plan that has
	// not been evaluated): the control is neither passed nor failed.
	notEvaluated string
}

// NoWorkloads is the reason a control that judges workloads reports when the asset's
// selector matches none.
const NoWorkloads = "not evaluated: no workload in the namespace matches spec.selector, so there is no evidence either way"

// Catalogue is every control, in the order reports list them.
var Catalogue = []Control{
	{
		ID: isms.ControlEncryptedVolumes, Family: isms.ConditionEncryptedAtRest, Likelihood: 2,
		Title:           "Volumes are encrypted at rest",
		Failure:         "volumes not encrypted at rest",
		References:      []string{"iso27001-2022:A.8.24", "caf-3.2:B3.c", "ndg:9", "nhs-cop-2007:22-24"},
		defaultLevel:    always(isms.LevelRequired),
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return encryption(c).AtRest },
		check:           checkEncryptedVolumes,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlIngressTLS, Family: isms.ConditionEncryptedInTransit, Likelihood: 4,
		Title:           "Traffic that reaches the asset from outside the cluster is encrypted: Ingresses, Gateway API routes, LoadBalancer and NodePort Services",
		Failure:         "unencrypted traffic from outside the cluster",
		References:      []string{"iso27001-2022:A.8.24", "iso27001-2022:A.8.20", "caf-3.2:B3.b", "ndg:9", "nhs-cop-2007:22-24"},
		defaultLevel:    always(isms.LevelRequired),
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return encryption(c).InTransit },
		check:           checkExternalTLS,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlMeshMTLS, Family: isms.ConditionEncryptedInTransit, Likelihood: 2,
		Title:           "The asset's pods are in a mesh that refuses plaintext",
		Failure:         "pods accept plaintext traffic",
		References:      []string{"iso27001-2022:A.8.24", "iso27001-2022:A.8.21", "caf-3.2:B3.b", "ndg:9", "nhs-cop-2007:22-24"},
		defaultLevel:    sensitiveOr(isms.LevelRecommended, isms.LevelNotRequired),
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return encryption(c).MeshTLS },
		check:           checkMeshMTLS,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlBackupRecent, Family: isms.ConditionBackedUp, Likelihood: 3,
		Title:      "A complete backup of the asset is younger than its maximum age",
		Failure:    "no recent complete backup",
		References: []string{"iso27001-2022:A.8.13", "caf-3.2:B5.c", "caf-3.2:B3.c", "ndg:7", "nhs-cop-2007:22-24"},
		defaultLevel: func(p profile) isms.ControlLevel {
			if p.sensitive || p.criticality >= criticalityMedium {
				return isms.LevelRequired
			}
			return isms.LevelRecommended
		},
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return backup(c).Recency },
		check:           checkBackupRecent,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlRestoreTested, Family: isms.ConditionBackedUp, Likelihood: 2,
		Title:      "A restore of the asset was tested within the restore test interval",
		Failure:    "restore not tested recently",
		References: []string{"iso27001-2022:A.8.13", "iso27001-2022:A.5.30", "caf-3.2:B5.c", "caf-3.2:D1.c", "ndg:7", "nhs-cop-2007:24"},
		defaultLevel: func(p profile) isms.ControlLevel {
			if p.sensitive && p.criticality >= criticalityHigh {
				return isms.LevelRequired
			}
			return isms.LevelRecommended
		},
		override: func(c *isms.ControlsSpec) isms.ControlLevel { return backup(c).RestoreTest },
		check:    checkRestoreTested,
		// A restore of a namespace-wide Backup shows nothing of an asset that selects nothing.
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlPodSecurity, Family: isms.ConditionAccessControlled, Likelihood: 3,
		Title:           "Every pod template meets the Pod Security Standard asked",
		Failure:         "pods break the Pod Security Standard",
		References:      []string{"iso27001-2022:A.8.2", "iso27001-2022:A.8.9", "caf-3.2:B4.b", "ndg:9", "nhs-cop-2007:22-24"},
		defaultLevel:    always(isms.LevelRequired),
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return access(c).PodSecurity },
		check:           checkPodSecurity,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlNetworkIsolation, Family: isms.ConditionAccessControlled, Likelihood: 3,
		Title:           "A NetworkPolicy restricts ingress to every asset pod",
		Failure:         "pods open to unrestricted ingress",
		References:      []string{"iso27001-2022:A.8.20", "iso27001-2022:A.8.22", "caf-3.2:B4.a", "caf-3.2:B5.b", "ndg:9", "nhs-cop-2007:22-24"},
		defaultLevel:    sensitiveOr(isms.LevelRequired, isms.LevelRecommended),
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return access(c).NetworkIsolation },
		check:           checkNetworkIsolation,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlSecretAccess, Family: isms.ConditionAccessControlled, Likelihood: 3,
		Title:           "Only allowed subjects can read the asset's Secrets or reach them: exec into or attach to its pods, create or change workloads beside them, request its ServiceAccounts' tokens, impersonate, escalate or bind roles",
		Failure:         "unapproved access to Secrets or pods",
		References:      []string{"iso27001-2022:A.5.15", "iso27001-2022:A.5.18", "iso27001-2022:A.8.2", "iso27001-2022:A.8.3", "caf-3.2:B2.a", "caf-3.2:B2.c", "ndg:4", "nhs-cop-2007:22-24"},
		defaultLevel:    sensitiveOr(isms.LevelRequired, isms.LevelRecommended),
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return access(c).SecretAccess },
		check:           checkSecretAccess,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlServiceAccount, Family: isms.ConditionAccessControlled, Likelihood: 2,
		Title:           "Pods use their own ServiceAccount and mount no API token they have no use for",
		Failure:         "pods run with a shared or unneeded API identity",
		References:      []string{"iso27001-2022:A.5.15", "iso27001-2022:A.8.2", "caf-3.2:B2.a", "ndg:4", "nhs-cop-2007:22-24"},
		defaultLevel:    sensitiveOr(isms.LevelRequired, isms.LevelRecommended),
		override:        func(c *isms.ControlsSpec) isms.ControlLevel { return access(c).ServiceAccount },
		check:           checkServiceAccount,
		judgesWorkloads: true,
	},
	{
		ID: isms.ControlReviewed, Family: isms.ConditionReviewed, Likelihood: 2,
		Title:        "The owner reviewed the asset within the review interval",
		Failure:      "asset review overdue",
		References:   []string{"iso27001-2022:A.5.9", "iso27001-2022:A.5.12", "caf-3.2:A3.a", "caf-3.2:B3.a", "ndg:1", "nhs-cop-2007:31-33"},
		defaultLevel: always(isms.LevelRequired),
		override:     func(c *isms.ControlsSpec) isms.ControlLevel { return c.Review },
		check:        checkReviewed,
	},
	{
		ID: isms.ControlContinuityPlan, Family: isms.ConditionContinuityPlanned, Likelihood: 3,
		Title:      "A High or Critical asset names a Ready ContinuityPlan that covers it",
		Failure:    "no ready continuity plan",
		References: []string{"iso27001-2022:A.5.29", "iso27001-2022:A.5.30", "caf-3.2:B5.a", "caf-3.2:D1.a", "caf-3.2:D1.c", "ndg:7", "nhs-cop-2007:24"},
		defaultLevel: func(p profile) isms.ControlLevel {
			switch {
			case p.criticality >= criticalityHigh:
				return isms.LevelRequired
			case p.hasPlan:
				return isms.LevelRecommended
			}
			return isms.LevelNotRequired
		},
		override: func(c *isms.ControlsSpec) isms.ControlLevel { return c.ContinuityPlan },
		check:    checkContinuityPlan,
	},
}

// Families are the InformationAsset condition types of the control families, in order.
var Families = []string{
	isms.ConditionEncryptedAtRest, isms.ConditionEncryptedInTransit, isms.ConditionBackedUp,
	isms.ConditionAccessControlled, isms.ConditionReviewed, isms.ConditionContinuityPlanned,
}

// Lookup returns the control with the given ID.
func Lookup(id isms.ControlID) (Control, bool) {
	for _, c := range Catalogue {
		if c.ID == id {
			return c, true
		}
	}
	return Control{}, false
}

// LevelFor returns the control's level for the asset: its override, else the default for
// the asset's classification, data categories and criticality.
func (c Control) LevelFor(asset *isms.InformationAsset) isms.ControlLevel {
	if spec := asset.Spec.Controls; spec != nil {
		if level := c.override(spec); level != "" {
			return level
		}
	}
	return c.defaultLevel(profileOf(asset))
}

// criticality orders isms.Criticality.
type criticality int

const (
	criticalityLow criticality = iota
	criticalityMedium
	criticalityHigh
	criticalityCritical
)

// profile is what the default levels depend on.
type profile struct {
	sensitive   bool
	criticality criticality
	hasPlan     bool
}

func profileOf(asset *isms.InformationAsset) profile {
	return profile{
		sensitive:   isSensitive(asset),
		criticality: map[isms.Criticality]criticality{isms.CriticalityMedium: criticalityMedium, isms.CriticalityHigh: criticalityHigh, isms.CriticalityCritical: criticalityCritical}[asset.Spec.Criticality],
		hasPlan:     asset.Spec.ContinuityPlanRef != nil,
	}
}

// isSensitive: OFFICIAL-SENSITIVE or above, or personal, special category or confidential
// patient information, which the defaults treat alike (controls.md).
func isSensitive(asset *isms.InformationAsset) bool {
	if asset.Spec.Classification != isms.ClassificationOfficial {
		return true
	}
	for _, category := range asset.Spec.DataCategories {
		switch category {
		case isms.DataPersonal, isms.DataSpecialCategory, isms.DataPatientIdentifiable:
			return true
		}
	}
	return false
}

func always(level isms.ControlLevel) func(profile) isms.ControlLevel {
	return func(profile) isms.ControlLevel { return level }
}

func sensitiveOr(sensitive, otherwise isms.ControlLevel) func(profile) isms.ControlLevel {
	return func(p profile) isms.ControlLevel {
		if p.sensitive {
			return sensitive
		}
		return otherwise
	}
}

// The family accessors return an empty value when the asset does not set the family, so
// overrides read as one expression.
func encryption(c *isms.ControlsSpec) isms.EncryptionControls {
	if c.Encryption == nil {
		return isms.EncryptionControls{}
	}
	return *c.Encryption
}

func backup(c *isms.ControlsSpec) isms.BackupControls {
	if c.Backup == nil {
		return isms.BackupControls{}
	}
	return *c.Backup
}

func access(c *isms.ControlsSpec) isms.AccessControls {
	if c.Access == nil {
		return isms.AccessControls{}
	}
	return *c.Access
}
