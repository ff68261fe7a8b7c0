package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ExerciseType is the kind of test a continuity plan went through.
// +kubebuilder:validation:Enum=Communications;TableTop;LivePlay;TechnicalRestore;Failover
type ExerciseType string

// Exercise types.
const (
	ExerciseCommunications   ExerciseType = "Communications"
	ExerciseTableTop         ExerciseType = "TableTop"
	ExerciseLivePlay         ExerciseType = "LivePlay"
	ExerciseTechnicalRestore ExerciseType = "TechnicalRestore"
	ExerciseFailover         ExerciseType = "Failover"
)

// ExerciseResult is the outcome of an exercise.
// +kubebuilder:validation:Enum=Passed;PartiallyPassed;Failed
type ExerciseResult string

// Exercise results.
const (
	ResultPassed          ExerciseResult = "Passed"
	ResultPartiallyPassed ExerciseResult = "PartiallyPassed"
	ResultFailed          ExerciseResult = "Failed"
)

// ContinuityPlanSpec is the business continuity plan for one or more assets (CoP §24).
type ContinuityPlanSpec struct {
	// description of what the plan recovers.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// owner is accountable for the plan.
	// +required
	Owner Person `json:"owner"`

	// assets are the InformationAssets, in this namespace, the plan covers.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	Assets []LocalObjectReference `json:"assets"`

	// objectives are the recovery objectives the plan commits to.
	// +optional
	Objectives *RecoveryObjectives `json:"objectives,omitempty"`

	// dependencies are the critical dependencies and their fallbacks.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Dependencies []Dependency `json:"dependencies,omitempty"`

	// fallbackProcedure links to the manual fallback arrangements.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	FallbackProcedure string `json:"fallbackProcedure,omitempty"`

	// exercises are the evidence that the plan was tested.
	// +optional
	Exercises *Exercises `json:"exercises,omitempty"`
}

// RecoveryObjectives are a plan's recovery time and point objectives.
// +kubebuilder:validation:XValidation:rule="!has(self.rto) || !has(self.mtpd) || duration(self.rto) <= duration(self.mtpd)",message="rto must not exceed mtpd: a recovery time beyond the maximum tolerable period of disruption is a plan that cannot work (ISO 22301)",fieldPath=.rto
type RecoveryObjectives struct {
	// rto is the recovery time objective: how soon service must be back.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 30m or 4h"
	RTO *metav1.Duration `json:"rto,omitempty"`

	// rpo is the recovery point objective: how much data, as time, may be lost.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 15m or 1h"
	RPO *metav1.Duration `json:"rpo,omitempty"`

	// mtpd is the maximum tolerable period of disruption.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 24h or 72h"
	MTPD *metav1.Duration `json:"mtpd,omitempty"`
}

// Dependency is a critical dependency of the assets and the fallback when it fails.
// +kubebuilder:validation:XValidation:rule="has(self.ref) != (has(self.external) && self.external)",message="a dependency needs exactly one of ref (in the cluster) or external: true"
type Dependency struct {
	// name of the dependency.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`

	// ref points at the in-cluster object the plan depends on; the operator reports its availability.
	// +optional
	Ref *DependencyReference `json:"ref,omitempty"`

	// external marks a dependency outside the cluster (e.g. NHS Spine), which the operator cannot observe.
	// +optional
	External bool `json:"external,omitempty"`

	// fallback says what happens while the dependency is unavailable.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Fallback string `json:"fallback,omitempty"`
}

// DependencyReference points at an in-cluster object.
type DependencyReference struct {
	// apiVersion of the object, e.g. apps/v1.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	APIVersion string `json:"apiVersion"`

	// kind of the object: Deployment, StatefulSet or Service are observed.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// name of the object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace of the object; defaults to the plan's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// Exercises is the record of tests of a plan.
type Exercises struct {
	// interval is how often the plan must pass an exercise. Defaults to 8760h (365 days).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 4380h or 8760h"
	Interval *metav1.Duration `json:"interval,omitempty"`

	// records of exercises held.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Records []ExerciseRecord `json:"records,omitempty"`
}

// ExerciseRecord is one test of a plan.
type ExerciseRecord struct {
	// date the exercise was held.
	// +required
	Date metav1.Time `json:"date"`

	// type of exercise.
	// +required
	Type ExerciseType `json:"type"`

	// result of the exercise.
	// +required
	Result ExerciseResult `json:"result"`

	// achievedRTO is how long recovery took.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 45m or 2h"
	AchievedRTO *metav1.Duration `json:"achievedRTO,omitempty"`

	// achievedRPO is how much data, as time, was lost.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('0s')",message="must be a duration such as 0s, 15m or 1h"
	AchievedRPO *metav1.Duration `json:"achievedRPO,omitempty"`

	// evidenceRef links to the exercise report.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	EvidenceRef string `json:"evidenceRef,omitempty"`

	// lessons learned.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=1024
	Lessons []string `json:"lessons,omitempty"`

	// notes on the exercise.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Notes string `json:"notes,omitempty"`
}

// ContinuityPlanStatus is what the operator last observed of the plan.
type ContinuityPlanStatus struct {
	// observedGeneration is the generation of the spec last evaluated.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// assets is the backup state of each covered asset.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Assets []AssetContinuityStatus `json:"assets,omitempty"`

	// lastBackup is the oldest of the covered assets' newest backups: the one that decides whether the plan meets its RPO.
	// +optional
	LastBackup *metav1.Time `json:"lastBackup,omitempty"`

	// lastExercise is the newest passed exercise.
	// +optional
	LastExercise *ExerciseEvidence `json:"lastExercise,omitempty"`

	// nextExerciseDue is when the plan must next pass an exercise.
	// +optional
	NextExerciseDue *metav1.Time `json:"nextExerciseDue,omitempty"`

	// dependencies is the availability of each in-cluster dependency.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Dependencies []DependencyStatus `json:"dependencies,omitempty"`

	// conditions: Ready, BackupsWithinRPO, Exercised, DependenciesAvailable, ObjectivesMet.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AssetBackupState says how a covered asset's backups stand against the RPO.
// +kubebuilder:validation:Enum=WithinRPO;BackupTooOld;NoBackup;AssetNotFound
type AssetBackupState string

// Asset backup states.
const (
	AssetWithinRPO    AssetBackupState = "WithinRPO"
	AssetBackupTooOld AssetBackupState = "BackupTooOld"
	AssetNoBackup     AssetBackupState = "NoBackup"
	AssetNotFound     AssetBackupState = "AssetNotFound"
)

// AssetContinuityStatus is the backup state of one covered asset.
type AssetContinuityStatus struct {
	// name of the asset.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// state of the asset's backups against the RPO.
	// +required
	State AssetBackupState `json:"state"`

	// lastBackup is the newest backup that captured the asset.
	// +optional
	LastBackup *BackupEvidence `json:"lastBackup,omitempty"`

	// backupDue is when the newest backup becomes older than the RPO.
	// +optional
	BackupDue *metav1.Time `json:"backupDue,omitempty"`
}

// BackupEvidence is a backup that captured an asset.
type BackupEvidence struct {
	// time the backup completed.
	// +required
	Time metav1.Time `json:"time"`

	// source names the object that proves it, e.g. Backup/velero/daily-20261123.
	// +required
	// +kubebuilder:validation:MaxLength=512
	Source string `json:"source"`
}

// ExerciseEvidence is a passed exercise: a record in the plan or a completed Velero Restore.
type ExerciseEvidence struct {
	// date of the exercise.
	// +required
	Date metav1.Time `json:"date"`

	// type of the exercise.
	// +required
	Type ExerciseType `json:"type"`

	// source names the evidence: a record of the plan or Restore/velero/NAME.
	// +required
	// +kubebuilder:validation:MaxLength=512
	Source string `json:"source"`

	// achievedRTO is how long recovery took, where known.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	AchievedRTO *metav1.Duration `json:"achievedRTO,omitempty"`
}

// DependencyAvailability is whether the operator sees a dependency working.
// +kubebuilder:validation:Enum=Available;Unavailable;External;Unknown
type DependencyAvailability string

// Dependency availabilities.
const (
	DependencyAvailable   DependencyAvailability = "Available"
	DependencyUnavailable DependencyAvailability = "Unavailable"
	DependencyExternal    DependencyAvailability = "External"
	DependencyUnknown     DependencyAvailability = "Unknown"
)

// DependencyStatus is the observed availability of one dependency.
type DependencyStatus struct {
	// name of the dependency.
	// +required
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`

	// availability observed.
	// +required
	Availability DependencyAvailability `json:"availability"`

	// message says what was observed.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// ContinuityPlan is the business continuity plan for one or more assets: recovery objectives, critical dependencies and their fallbacks, and the exercises that tested it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=bcp;cp,categories=isms
// +kubebuilder:printcolumn:name="Assets",type=string,JSONPath=`.spec.assets[*].name`
// +kubebuilder:printcolumn:name="RTO",type=string,JSONPath=`.spec.objectives.rto`
// +kubebuilder:printcolumn:name="RPO",type=string,JSONPath=`.spec.objectives.rpo`
// +kubebuilder:printcolumn:name="Last Backup",type=date,JSONPath=`.status.lastBackup`
// +kubebuilder:printcolumn:name="Last Exercise",type=date,JSONPath=`.status.lastExercise.date`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ContinuityPlan struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the plan.
	// +required
	Spec ContinuityPlanSpec `json:"spec"`

	// status is what the operator last observed.
	// +optional
	Status ContinuityPlanStatus `json:"status,omitempty"`
}

// ContinuityPlanList is a list of ContinuityPlans.
//
// +kubebuilder:object:root=true
type ContinuityPlanList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ContinuityPlan `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ContinuityPlan{}, &ContinuityPlanList{})
}
