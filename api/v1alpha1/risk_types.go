package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RiskSource says who raised a Risk.
// +kubebuilder:validation:Enum=Detected;Declared
type RiskSource string

// Risk sources.
const (
	// SourceDetected: the operator raised the Risk because a Required control drifted.
	SourceDetected RiskSource = "Detected"
	// SourceDeclared: a person wrote the Risk.
	SourceDeclared RiskSource = "Declared"
)

// TreatmentDecision is one of the four Ts of the HM Treasury Orange Book.
// +kubebuilder:validation:Enum=Treat;Tolerate;Transfer;Terminate
type TreatmentDecision string

// Treatment decisions, with the Code of Practice glossary term each maps to.
const (
	// DecisionTreat is risk reduction.
	DecisionTreat TreatmentDecision = "Treat"
	// DecisionTolerate is risk acceptance (retention); it needs a justified, expiring acceptance.
	DecisionTolerate TreatmentDecision = "Tolerate"
	// DecisionTransfer is risk transfer.
	DecisionTransfer TreatmentDecision = "Transfer"
	// DecisionTerminate is risk avoidance.
	DecisionTerminate TreatmentDecision = "Terminate"
)

// RiskState is where a Risk is in its lifecycle (see the README's "The risk register" section).
// +kubebuilder:validation:Enum=Open;Accepted;Resolved;Closed
type RiskState string

// Risk states.
const (
	StateOpen     RiskState = "Open"
	StateAccepted RiskState = "Accepted"
	StateResolved RiskState = "Resolved"
	StateClosed   RiskState = "Closed"
)

// Rating is the band of the NHS 5x5 matrix a score falls in.
// +kubebuilder:validation:Enum=Low;Moderate;High;Extreme
type Rating string

// Ratings, lowest first.
const (
	RatingLow      Rating = "Low"
	RatingModerate Rating = "Moderate"
	RatingHigh     Rating = "High"
	RatingExtreme  Rating = "Extreme"
)

// RiskSpec is one entry of the risk register (CoP §42-44).
// +kubebuilder:validation:XValidation:rule="self.source != 'Detected' || has(self.assetRef)",message="assetRef is required when source is Detected",fieldPath=.assetRef,reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.source != 'Detected' || has(self.control)",message="control is required when source is Detected",fieldPath=.control,reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="oldSelf.source != 'Detected' || (has(self.assetRef) && has(oldSelf.assetRef) && self.assetRef.name == oldSelf.assetRef.name)",message="assetRef of a Detected risk is immutable: it is the operator's record of that asset; declare a new risk (source: Declared) for another asset",fieldPath=.assetRef
// +kubebuilder:validation:XValidation:rule="oldSelf.source != 'Detected' || (has(self.control) && has(oldSelf.control) && self.control == oldSelf.control)",message="control of a Detected risk is immutable: it is the operator's record of that control; declare a new risk (source: Declared) for another control",fieldPath=.control
type RiskSpec struct {
	// title is a one-line summary for the register.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Title string `json:"title"`

	// description of the risk: cause, event and effect.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`

	// source is Detected for risks the operator raises, Declared for risks people write.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="source is immutable"
	Source RiskSource `json:"source"`

	// assetRef names the InformationAsset, in this namespace, the risk is about.
	// Required when source is Detected.
	// +optional
	AssetRef *LocalObjectReference `json:"assetRef,omitempty"`

	// control is the ID of the control whose failure the risk records.
	// Required when source is Detected.
	// +optional
	Control ControlID `json:"control,omitempty"`

	// owner is the risk owner.
	// +required
	Owner Person `json:"owner"`

	// likelihood on the NHS 5x5 matrix: 1 Rare, 2 Unlikely, 3 Possible, 4 Likely, 5 Almost certain.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	Likelihood int32 `json:"likelihood"`

	// consequence on the NHS 5x5 matrix: 1 Negligible, 2 Minor, 3 Moderate, 4 Major, 5 Catastrophic.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	Consequence int32 `json:"consequence"`

	// treatment is the decision taken about the risk and how it is carried out.
	// +optional
	Treatment *Treatment `json:"treatment,omitempty"`

	// target is the residual risk aimed for. Only people set it.
	// +optional
	Target *RiskTarget `json:"target,omitempty"`

	// review sets how often the risk is reviewed and records the last review.
	// +optional
	Review *RiskReview `json:"review,omitempty"`

	// closure closes the risk. A Detected risk whose drift is seen again opens again.
	// +optional
	Closure *Closure `json:"closure,omitempty"`
}

// Treatment is the decision about a risk.
// +kubebuilder:validation:XValidation:rule="self.decision != 'Tolerate' || has(self.acceptance)",message="acceptance (justification and expires) is required when decision is Tolerate",fieldPath=.acceptance,reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.acceptance) || self.decision == 'Tolerate'",message="acceptance is only valid with decision Tolerate",fieldPath=.acceptance
type Treatment struct {
	// decision is Treat, Tolerate, Transfer or Terminate.
	// +required
	Decision TreatmentDecision `json:"decision"`

	// plan says how the decision is carried out.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Plan string `json:"plan,omitempty"`

	// actions are the steps of the plan, each with an owner and a due date.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Actions []Action `json:"actions,omitempty"`

	// acceptance records why a tolerated risk is accepted and until when.
	// +optional
	Acceptance *Acceptance `json:"acceptance,omitempty"`
}

// Action is one step of a risk treatment plan.
type Action struct {
	// description of the step.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description"`

	// owner of the step.
	// +optional
	Owner *Person `json:"owner,omitempty"`

	// due is when the step must be done.
	// +optional
	Due *metav1.Time `json:"due,omitempty"`

	// done records that the step is complete.
	// +optional
	Done bool `json:"done,omitempty"`
}

// Acceptance is the recorded decision to tolerate a risk (CoP glossary "Risk Acceptance").
type Acceptance struct {
	// justification says why the risk is tolerated.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Justification string `json:"justification"`

	// expires is when the acceptance lapses and the risk is Open again.
	// +required
	Expires metav1.Time `json:"expires"`
}

// RiskTarget is the residual risk aimed for.
type RiskTarget struct {
	// likelihood aimed for, 1-5.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	Likelihood int32 `json:"likelihood"`

	// consequence aimed for, 1-5.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	Consequence int32 `json:"consequence"`
}

// RiskReview sets how often a risk is reviewed.
type RiskReview struct {
	// interval between reviews.
	// Defaults from the rating: Extreme 720h, High 2160h, Moderate 4320h, Low 8760h.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) > duration('0s')",message="must be a positive duration such as 720h or 2160h"
	Interval *metav1.Duration `json:"interval,omitempty"`

	// lastReviewed is when the risk was last reviewed; bump it to record a review.
	// +optional
	LastReviewed *metav1.Time `json:"lastReviewed,omitempty"`
}

// Closure closes a risk.
type Closure struct {
	// reason the risk is closed.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`
}

// RiskStatus is the risk's place in its lifecycle and its audit trail.
type RiskStatus struct {
	// observedGeneration is the generation of the spec last processed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// score is likelihood x consequence.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=25
	Score int32 `json:"score,omitempty"`

	// rating is the band the score falls in.
	// +optional
	Rating Rating `json:"rating,omitempty"`

	// state is Open, Accepted, Resolved or Closed.
	// +optional
	State RiskState `json:"state,omitempty"`

	// firstDetected is when the drift was first seen (Detected risks).
	// +optional
	FirstDetected *metav1.Time `json:"firstDetected,omitempty"`

	// lastDetected is when the drift was last seen to start (Detected risks).
	// +optional
	LastDetected *metav1.Time `json:"lastDetected,omitempty"`

	// resolvedAt is when the drift was last seen to end.
	// +optional
	ResolvedAt *metav1.Time `json:"resolvedAt,omitempty"`

	// closedAt is when the risk was closed through spec.closure.
	// +optional
	ClosedAt *metav1.Time `json:"closedAt,omitempty"`

	// occurrences counts how many times the drift has been seen, including the first.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Occurrences int32 `json:"occurrences,omitempty"`

	// evidence are the findings behind the risk.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Evidence []Finding `json:"evidence,omitempty"`

	// acceptedBy is who made the Tolerate decision, as the API server authenticated them.
	// +optional
	AcceptedBy *AcceptedBy `json:"acceptedBy,omitempty"`

	// history records every transition, newest last, in at most 50 entries: the first detection, acceptances and closures are always kept, and when the history is full the oldest run of drift transitions is folded into one Flapping entry with a count.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	History []HistoryEntry `json:"history,omitempty"`

	// conditions: Ready, ReviewOverdue, AcceptanceExpired, AcceptanceRefused, ActionsOverdue, for Detected risks ControlFailing, and Stalled when the operator cannot keep the risk.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=12
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AcceptedBy records who accepted a risk.
type AcceptedBy struct {
	// username as authenticated by the API server.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Username string `json:"username"`

	// at is when the acceptance was made.
	// +required
	At metav1.Time `json:"at"`
}

// HistoryEntry is one transition of a risk.
type HistoryEntry struct {
	// at is when the transition happened.
	// +required
	At metav1.Time `json:"at"`

	// state entered.
	// +required
	State RiskState `json:"state"`

	// reason for the transition, a CamelCase constant such as DriftDetected.
	// +required
	// +kubebuilder:validation:MaxLength=64
	Reason string `json:"reason"`

	// message says what happened.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`

	// count is how many transitions the entry stands for when several were folded into it (reason Flapping); absent for a single transition.
	// +optional
	// +kubebuilder:validation:Minimum=2
	Count int32 `json:"count,omitempty"`

	// until is when the last transition folded into the entry happened; at is the first.
	// +optional
	Until *metav1.Time `json:"until,omitempty"`
}

// Risk is one entry of the risk register, raised by the operator when a Required control drifts or written by a person.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=risk,categories=isms
// +kubebuilder:printcolumn:name="Asset",type=string,JSONPath=`.spec.assetRef.name`
// +kubebuilder:printcolumn:name="Control",type=string,JSONPath=`.spec.control`
// +kubebuilder:printcolumn:name="Score",type=integer,JSONPath=`.status.score`
// +kubebuilder:printcolumn:name="Rating",type=string,JSONPath=`.status.rating`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Treatment",type=string,JSONPath=`.spec.treatment.decision`
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.owner.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Risk struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the risk as recorded.
	// +required
	Spec RiskSpec `json:"spec"`

	// status is the risk's lifecycle and audit trail, kept by the operator.
	// +optional
	Status RiskStatus `json:"status,omitempty"`
}

// RiskList is a list of Risks.
//
// +kubebuilder:object:root=true
type RiskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Risk `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Risk{}, &RiskList{})
}
