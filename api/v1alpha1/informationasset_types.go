package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Classification is the Government Security Classification of the information.
// +kubebuilder:validation:Enum=OFFICIAL;OFFICIAL-SENSITIVE;SECRET
type Classification string

// Classifications.
const (
	ClassificationOfficial          Classification = "OFFICIAL"
	ClassificationOfficialSensitive Classification = "OFFICIAL-SENSITIVE"
	ClassificationSecret            Classification = "SECRET"
)

// Criticality is how much the organisation depends on the asset being available.
// +kubebuilder:validation:Enum=Low;Medium;High;Critical
type Criticality string

// Criticalities, lowest first.
const (
	CriticalityLow      Criticality = "Low"
	CriticalityMedium   Criticality = "Medium"
	CriticalityHigh     Criticality = "High"
	CriticalityCritical Criticality = "Critical"
)

// DataCategory is a kind of information an asset holds.
// +kubebuilder:validation:Enum=Personal;SpecialCategory;PatientIdentifiable;CriminalOffence;Pseudonymised;Anonymised;StaffRecords;Corporate;Financial;Public
type DataCategory string

// Data categories. PatientIdentifiable is confidential patient information.
const (
	DataPersonal            DataCategory = "Personal"
	DataSpecialCategory     DataCategory = "SpecialCategory"
	DataPatientIdentifiable DataCategory = "PatientIdentifiable"
	DataCriminalOffence     DataCategory = "CriminalOffence"
	DataPseudonymised       DataCategory = "Pseudonymised"
	DataAnonymised          DataCategory = "Anonymised"
	DataStaffRecords        DataCategory = "StaffRecords"
	DataCorporate           DataCategory = "Corporate"
	DataFinancial           DataCategory = "Financial"
	DataPublic              DataCategory = "Public"
)

// PodSecurityStandard is a level of the Kubernetes Pod Security Standards.
// +kubebuilder:validation:Enum=baseline;restricted
type PodSecurityStandard string

// Pod Security Standards an asset can ask for.
const (
	PodSecurityBaseline   PodSecurityStandard = "baseline"
	PodSecurityRestricted PodSecurityStandard = "restricted"
)

// InformationAssetSpec declares one entry of the information asset register (CoP §4-5, §31).
// +kubebuilder:validation:XValidation:rule="!(self.criticality in ['High', 'Critical']) || has(self.continuityPlanRef) || (has(self.controls) && has(self.controls.continuityPlan) && self.controls.continuityPlan == 'NotRequired')",message="continuityPlanRef is required when criticality is High or Critical (CoP §24); set controls.continuityPlan: NotRequired to record that no plan applies",fieldPath=.continuityPlanRef,reason=FieldValueRequired
type InformationAssetSpec struct {
	// description says what the information is and what it is used for.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// owner is the Information Asset Owner, accountable for the asset.
	// +required
	Owner Person `json:"owner"`

	// administrator is the Information Asset Administrator, who runs it day to day.
	// +optional
	Administrator *Person `json:"administrator,omitempty"`

	// classification is the Government Security Classification of the information.
	// It sets the default level of each control: OFFICIAL-SENSITIVE and SECRET get the stricter defaults (the README's "The controls" section lists them).
	// +required
	Classification Classification `json:"classification"`

	// dataCategories are the kinds of information held.
	// Personal, SpecialCategory and PatientIdentifiable raise control defaults as OFFICIAL-SENSITIVE does.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	DataCategories []DataCategory `json:"dataCategories,omitempty"`

	// criticality is how much the organisation depends on the asset.
	// High and Critical assets need a continuity plan.
	// +required
	Criticality Criticality `json:"criticality"`

	// selector selects the workloads (by their pod template labels) in this namespace that hold the asset.
	// It must not be empty: an asset that holds every pod is a mistake.
	// +required
	// +kubebuilder:validation:XValidation:rule="(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",message="selector must not be empty: name the labels of the workloads that hold the asset"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",message="matchExpressions[].operator must be In, NotIn, Exists or DoesNotExist",fieldPath=.matchExpressions
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, !(e.operator in ['In', 'NotIn']) || (has(e.values) && size(e.values) > 0))",message="matchExpressions[].values must not be empty with the operators In and NotIn",fieldPath=.matchExpressions
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, !(e.operator in ['Exists', 'DoesNotExist']) || !has(e.values) || size(e.values) == 0)",message="matchExpressions[].values must be empty with the operators Exists and DoesNotExist",fieldPath=.matchExpressions
	Selector metav1.LabelSelector `json:"selector"`

	// continuityPlanRef names the ContinuityPlan, in this namespace, that covers the asset.
	// +optional
	ContinuityPlanRef *LocalObjectReference `json:"continuityPlanRef,omitempty"`

	// review records the owner's periodic review of the asset (GOV-01).
	// +optional
	Review *AssetReview `json:"review,omitempty"`

	// controls overrides the defaults that classification, data categories and criticality give each control.
	// Every field is optional.
	// +optional
	Controls *ControlsSpec `json:"controls,omitempty"`
}

// AssetReview records when the asset was last reviewed and how often it must be.
type AssetReview struct {
	// interval between reviews. Defaults to 8760h (365 days).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 720h or 8760h"
	Interval *metav1.Duration `json:"interval,omitempty"`

	// lastReviewed is when the owner last reviewed the asset.
	// Never reviewed assets get a grace period of 30 days from creation.
	// +optional
	LastReviewed *metav1.Time `json:"lastReviewed,omitempty"`

	// reviewedBy is who carried out the last review.
	// +optional
	ReviewedBy *Person `json:"reviewedBy,omitempty"`
}

// ControlsSpec overrides the default level of controls for one asset.
type ControlsSpec struct {
	// encryption sets the levels of ENC-01 (atRest), ENC-02 (inTransit) and ENC-03 (meshTLS).
	// +optional
	Encryption *EncryptionControls `json:"encryption,omitempty"`

	// backup sets the levels and parameters of BAK-01 and BAK-02.
	// +optional
	Backup *BackupControls `json:"backup,omitempty"`

	// access sets the levels and parameters of ACC-01 to ACC-04.
	// +optional
	Access *AccessControls `json:"access,omitempty"`

	// review sets the level of GOV-01 (owner review within the interval).
	// +optional
	Review ControlLevel `json:"review,omitempty"`

	// continuityPlan sets the level of BCP-01 (a Ready continuity plan covers the asset).
	// +optional
	ContinuityPlan ControlLevel `json:"continuityPlan,omitempty"`

	// justifications record why the asset sets a control's level as it does, above all why a control Required by default is NotRequired here; the Statement of Applicability quotes them.
	// +optional
	// +listType=map
	// +listMapKey=control
	// +kubebuilder:validation:MaxItems=11
	Justifications []ControlJustification `json:"justifications,omitempty"`
}

// ControlJustification records why an asset sets a control's level as it does.
type ControlJustification struct {
	// control is the control's ID.
	// +required
	Control ControlID `json:"control"`

	// reason is the justification, as the Statement of Applicability shows it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`
}

// EncryptionControls sets the levels of the encryption controls.
type EncryptionControls struct {
	// atRest is the level of ENC-01: the asset's volumes use a StorageClass that encrypts.
	// +optional
	AtRest ControlLevel `json:"atRest,omitempty"`

	// inTransit is the level of ENC-02: traffic reaching the asset from outside the cluster (Ingress hosts, Gateway API routes, LoadBalancer and NodePort Services) is encrypted.
	// +optional
	InTransit ControlLevel `json:"inTransit,omitempty"`

	// meshTLS is the level of ENC-03: the asset's pods are in a mesh that enforces mutual TLS.
	// +optional
	MeshTLS ControlLevel `json:"meshTLS,omitempty"`
}

// BackupControls sets the levels and parameters of the backup controls.
type BackupControls struct {
	// recency is the level of BAK-01: a complete backup younger than maxAge.
	// +optional
	Recency ControlLevel `json:"recency,omitempty"`

	// maxAge is the oldest the newest backup may be.
	// The continuity plan's RPO applies instead when it is stricter.
	// Defaults to 24h.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 1h or 24h"
	MaxAge *metav1.Duration `json:"maxAge,omitempty"`

	// restoreTest is the level of BAK-02: a restore tested within restoreTestInterval.
	// +optional
	RestoreTest ControlLevel `json:"restoreTest,omitempty"`

	// restoreTestInterval is how often a restore must be tested. Defaults to 2160h (90 days).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 720h or 2160h"
	RestoreTestInterval *metav1.Duration `json:"restoreTestInterval,omitempty"`
}

// AccessControls sets the levels and parameters of the access controls.
type AccessControls struct {
	// podSecurity is the level of ACC-01: every pod template meets podSecurityStandard.
	// +optional
	PodSecurity ControlLevel `json:"podSecurity,omitempty"`

	// podSecurityStandard is the Pod Security Standard the asset's pods must meet.
	// Defaults to restricted for sensitive assets, baseline otherwise.
	// +optional
	PodSecurityStandard PodSecurityStandard `json:"podSecurityStandard,omitempty"`

	// networkIsolation is the level of ACC-02: a NetworkPolicy restricts ingress to the pods.
	// +optional
	NetworkIsolation ControlLevel `json:"networkIsolation,omitempty"`

	// secretAccess is the level of ACC-03: only allowed subjects can read the asset's Secrets, exec into, attach to or port-forward to its pods, create or change its workloads, make tokens for its ServiceAccounts, impersonate, escalate or bind roles.
	// +optional
	SecretAccess ControlLevel `json:"secretAccess,omitempty"`

	// serviceAccount is the level of ACC-04: pods use their own ServiceAccount and mount no API token they have no use for.
	// +optional
	ServiceAccount ControlLevel `json:"serviceAccount,omitempty"`

	// allowedSubjects may read the asset's Secrets or exec into its pods without a finding, besides the asset's own ServiceAccounts and the operator's install-time exemptions.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	AllowedSubjects []Subject `json:"allowedSubjects,omitempty"`
}

// Subject is a user, group or ServiceAccount as RBAC bindings name them.
// +kubebuilder:validation:XValidation:rule="self.kind == 'ServiceAccount' || !has(self.namespace)",message="namespace is only used with kind ServiceAccount",fieldPath=.namespace
type Subject struct {
	// kind of subject.
	// +required
	// +kubebuilder:validation:Enum=User;Group;ServiceAccount
	Kind string `json:"kind"`

	// name of the subject.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// namespace of a ServiceAccount; defaults to the asset's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// InformationAssetStatus is what the operator last observed of the asset.
type InformationAssetStatus struct {
	// observedGeneration is the generation of the spec last evaluated.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lastEvaluated is when the evaluation result last changed.
	// +optional
	LastEvaluated *metav1.Time `json:"lastEvaluated,omitempty"`

	// workloads are the workloads whose pod templates the selector matches.
	// +optional
	Workloads *WorkloadSummary `json:"workloads,omitempty"`

	// summary counts the controls that apply at level Required.
	// +optional
	Summary *ComplianceSummary `json:"summary,omitempty"`

	// compliance is "passing+accepted/required", for printing.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Compliance string `json:"compliance,omitempty"`

	// controls are the outcome of each control of the catalogue for the asset, in catalogue order: what the report's pass rates and Statement of Applicability count.
	// +optional
	// +listType=map
	// +listMapKey=control
	// +kubebuilder:validation:MaxItems=32
	Controls []ControlOutcome `json:"controls,omitempty"`

	// findings are the failing checks of Required and Recommended controls, sorted: at most eight of each control, then one that counts the rest.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	Findings []Finding `json:"findings,omitempty"`

	// risks summarises the asset's Risks in the register.
	// +optional
	Risks *RiskSummary `json:"risks,omitempty"`

	// conditions: Ready, Compliant, and one per control family (EncryptedAtRest, EncryptedInTransit, BackedUp, AccessControlled, Reviewed, ContinuityPlanned).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// WorkloadSummary lists the workloads that hold an asset.
type WorkloadSummary struct {
	// count of matched workloads.
	// +required
	// +kubebuilder:validation:Minimum=0
	Count int32 `json:"count"`

	// names of the matched workloads as Kind/name, sorted; the first 32.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=320
	Names []string `json:"names,omitempty"`
}

// ComplianceSummary counts the Required controls of an asset by outcome.
type ComplianceSummary struct {
	// required is the number of controls at level Required.
	// +kubebuilder:validation:Minimum=0
	Required int32 `json:"required"`
	// passing is the number of Required controls that pass.
	// +kubebuilder:validation:Minimum=0
	Passing int32 `json:"passing"`
	// failing is the number of Required controls that fail with no accepted Risk.
	// +kubebuilder:validation:Minimum=0
	Failing int32 `json:"failing"`
	// accepted is the number of Required controls that fail under an accepted Risk.
	// +kubebuilder:validation:Minimum=0
	Accepted int32 `json:"accepted"`
}

// ControlOutcome is one control's outcome for an asset.
type ControlOutcome struct {
	// control is the control's ID.
	// +required
	Control ControlID `json:"control"`

	// level is the control's level for the asset.
	// +required
	Level ControlLevel `json:"level"`

	// status is Pass when the evidence shows the control is met, Fail when a check fails at the control's level, and NotEvaluated when it is not required or there is no evidence either way yet (the condition of its family says why).
	// +required
	Status ControlOutcomeStatus `json:"status"`
}

// ControlOutcomeStatus is the outcome of one control.
// +kubebuilder:validation:Enum=Pass;Fail;NotEvaluated
type ControlOutcomeStatus string

// The outcomes of a control.
const (
	OutcomePass         ControlOutcomeStatus = "Pass"
	OutcomeFail         ControlOutcomeStatus = "Fail"
	OutcomeNotEvaluated ControlOutcomeStatus = "NotEvaluated"
)

// RiskSummary counts an asset's Risks in the register.
type RiskSummary struct {
	// open is the number of Open risks.
	// +kubebuilder:validation:Minimum=0
	Open int32 `json:"open"`
	// accepted is the number of Accepted risks.
	// +kubebuilder:validation:Minimum=0
	Accepted int32 `json:"accepted"`
	// names of the open and accepted risks, sorted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	Names []string `json:"names,omitempty"`
}

// InformationAsset is one entry of the information asset register: what the information is, who owns it, how sensitive and critical it is, which workloads hold it, and which controls it needs.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ia;asset,categories=isms
// +kubebuilder:printcolumn:name="Classification",type=string,JSONPath=`.spec.classification`
// +kubebuilder:printcolumn:name="Criticality",type=string,JSONPath=`.spec.criticality`
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.owner.name`
// +kubebuilder:printcolumn:name="Workloads",type=integer,JSONPath=`.status.workloads.count`
// +kubebuilder:printcolumn:name="Compliance",type=string,JSONPath=`.status.compliance`
// +kubebuilder:printcolumn:name="Risks",type=integer,JSONPath=`.status.risks.open`
// +kubebuilder:printcolumn:name="Compliant",type=string,JSONPath=`.status.conditions[?(@.type=="Compliant")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type InformationAsset struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the asset.
	// +required
	Spec InformationAssetSpec `json:"spec"`

	// status is what the operator last observed.
	// +optional
	Status InformationAssetStatus `json:"status,omitempty"`
}

// InformationAssetList is a list of InformationAssets.
//
// +kubebuilder:object:root=true
type InformationAssetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InformationAsset `json:"items"`
}

func init() {
	SchemeBuilder.Register(&InformationAsset{}, &InformationAssetList{})
}
