package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SecurityProperty is one of the properties of information a breach can affect (CIA).
// +kubebuilder:validation:Enum=Confidentiality;Integrity;Availability
type SecurityProperty string

// The properties of information, as the Code of Practice defines information security.
const (
	PropertyConfidentiality SecurityProperty = "Confidentiality"
	PropertyIntegrity       SecurityProperty = "Integrity"
	PropertyAvailability    SecurityProperty = "Availability"
)

// IncidentActionKind says what an action of an incident does.
// +kubebuilder:validation:Enum=Containment;Remediation
type IncidentActionKind string

// The kinds of incident action.
const (
	// ActionContainment stops the breach from spreading or recurring (e.g. recall the data).
	ActionContainment IncidentActionKind = "Containment"
	// ActionRemediation repairs its cause (e.g. fix the export's recipient check).
	ActionRemediation IncidentActionKind = "Remediation"
)

// SecurityIncidentSpec records an actual or suspected information security incident against the assets it touched (CoP §24), graded on the NHS notification grid.
// +kubebuilder:validation:XValidation:rule="timestamp(self.awareAt) >= timestamp(self.detectedAt)",message="awareAt must not be before detectedAt: the organisation becomes aware of an incident when or after it is detected",fieldPath=.awareAt
// +kubebuilder:validation:XValidation:rule="!has(self.closure) || (has(self.lessonsLearned) && size(self.lessonsLearned) > 0)",message="lessonsLearned is required to close an incident",fieldPath=.lessonsLearned,reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.notifications) || !has(self.notifications.ico) || timestamp(self.notifications.ico.notifiedAt) >= timestamp(self.awareAt)",message="notifiedAt must not be before awareAt: a report to the ICO follows the organisation becoming aware of the breach",fieldPath=.notifications.ico.notifiedAt
// +kubebuilder:validation:XValidation:rule="!has(self.notifications) || !has(self.notifications.ico) || !has(self.decisionNotToNotify)",message="decisionNotToNotify contradicts notifications.ico: the incident was either reported to the ICO or decided not reportable",fieldPath=.decisionNotToNotify
type SecurityIncidentSpec struct {
	// title says in a few words what happened, e.g. "Patient list exported to the wrong trust".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	Title string `json:"title"`

	// description is what happened, as known so far.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`

	// assetRefs are the InformationAssets of the incident's namespace that it touched.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	AssetRefs []LocalObjectReference `json:"assetRefs"`

	// detectedAt is when the incident was first detected.
	// +required
	DetectedAt metav1.Time `json:"detectedAt"`

	// awareAt is when the organisation became aware that the incident is a breach of personal data: the 72-hour clock of UK GDPR Article 33 starts here. It may be corrected to an earlier time, never to a later one, which would move the deadline.
	// +required
	// +kubebuilder:validation:XValidation:rule="timestamp(self) <= timestamp(oldSelf)",message="awareAt may only be corrected to an earlier time: a later one would move the 72-hour deadline"
	AwareAt metav1.Time `json:"awareAt"`

	// reporter is who reported the incident.
	// +required
	Reporter Person `json:"reporter"`

	// affected are the properties of the information the incident affected.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=3
	Affected []SecurityProperty `json:"affected"`

	// dataCategories are the categories of data involved.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	DataCategories []DataCategory `json:"dataCategories,omitempty"`

	// dataSubjects is the approximate number of people whose data is involved.
	// +optional
	// +kubebuilder:validation:Minimum=0
	DataSubjects *int64 `json:"dataSubjects,omitempty"`

	// grading is the incident's place on the grid of NHS England's "Guide to the Notification of Data Security and Protection Incidents".
	// +required
	Grading IncidentGrading `json:"grading"`

	// actions are the containment and remediation steps, with due dates.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Actions []IncidentAction `json:"actions,omitempty"`

	// notifications record to whom the incident was reported, and when.
	// +optional
	Notifications *IncidentNotifications `json:"notifications,omitempty"`

	// decisionNotToNotify records that the incident was judged not reportable to the ICO, and why (the ICO expects the reasons recorded).
	// +optional
	DecisionNotToNotify *NotificationDecision `json:"decisionNotToNotify,omitempty"`

	// lessonsLearned is what the organisation changes because of the incident.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	LessonsLearned string `json:"lessonsLearned,omitempty"`

	// closure records that the incident is closed.
	// +optional
	Closure *IncidentClosure `json:"closure,omitempty"`
}

// IncidentGrading places an incident on the guide's 5x5 grid.
type IncidentGrading struct {
	// likelihood that people's rights have been affected: 1 not occurred, 2 not likely (or any incident involving vulnerable groups even if no adverse effect occurred), 3 likely, 4 highly likely, 5 occurred.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	Likelihood int32 `json:"likelihood"`

	// severity of the adverse effect on people: 1 no adverse effect, 2 potentially minor (or any incident involving vulnerable groups even if no adverse effect occurred), 3 potentially some adverse effect, 4 potentially pain and suffering or financial loss, 5 death or catastrophic event.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	Severity int32 `json:"severity"`
}

// IncidentAction is one containment or remediation step.
type IncidentAction struct {
	// kind is Containment or Remediation.
	// +required
	Kind IncidentActionKind `json:"kind"`

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

// IncidentNotifications record the reports made about an incident.
type IncidentNotifications struct {
	// ico records the report to the Information Commissioner's Office through the Data Security and Protection Toolkit.
	// +optional
	ICO *RegulatorNotification `json:"ico,omitempty"`

	// dataSubjectsInformedAt is when the people whose data is involved were told.
	// +optional
	DataSubjectsInformedAt *metav1.Time `json:"dataSubjectsInformedAt,omitempty"`
}

// RegulatorNotification is a report to a regulator.
type RegulatorNotification struct {
	// reference is the Toolkit's or the ICO's reference for the report.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Reference string `json:"reference"`

	// notifiedAt is when the report was made.
	// +required
	NotifiedAt metav1.Time `json:"notifiedAt"`

	// notifiedBy is who made the report.
	// +required
	NotifiedBy Person `json:"notifiedBy"`
}

// NotificationDecision records a decision not to report an incident.
type NotificationDecision struct {
	// justification is why the incident is not reportable.
	// +required
	// +kubebuilder:validation:MinLength=20
	// +kubebuilder:validation:MaxLength=2048
	Justification string `json:"justification"`

	// decidedBy is who decided, e.g. the Data Protection Officer.
	// +required
	DecidedBy Person `json:"decidedBy"`

	// decidedAt is when.
	// +required
	DecidedAt metav1.Time `json:"decidedAt"`
}

// IncidentClosure records that an incident is closed.
type IncidentClosure struct {
	// closedAt is when the incident was closed.
	// +required
	ClosedAt metav1.Time `json:"closedAt"`

	// closedBy is who closed it, e.g. the SIRO.
	// +required
	ClosedBy Person `json:"closedBy"`
}

// SecurityIncidentStatus is the incident as the operator grades it and keeps its clock.
type SecurityIncidentStatus struct {
	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// reportable says whether the grading puts the incident in the part of the notification grid that must be reported to the ICO.
	// +optional
	Reportable *bool `json:"reportable,omitempty"`

	// notificationDeadline is 72 hours after awareAt: when a reportable incident must have reached the ICO.
	// +optional
	NotificationDeadline *metav1.Time `json:"notificationDeadline,omitempty"`

	// risksAtDetection are the register's Risks of failing controls of the incident's assets that were open or accepted at detectedAt: the register had foreseen the weakness. The Foreseen condition says so in words; at most 32, the count is in its message.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	RisksAtDetection []IncidentRisk `json:"risksAtDetection,omitempty"`

	// notificationsRecordedBy is who last wrote spec.notifications, as the API server authenticated them.
	// +optional
	NotificationsRecordedBy *RecordedBy `json:"notificationsRecordedBy,omitempty"`

	// decisionRecordedBy is who wrote spec.decisionNotToNotify, as the API server authenticated them.
	// +optional
	DecisionRecordedBy *RecordedBy `json:"decisionRecordedBy,omitempty"`

	// conditions are NotificationDue, NotificationOverdue, Contained, Closed and Foreseen.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// IncidentRisk is a Risk of the register that stood against an incident's asset when the incident was detected.
type IncidentRisk struct {
	// name of the Risk, in the incident's namespace.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// asset the Risk is of.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Asset string `json:"asset"`

	// control that was failing.
	// +required
	Control ControlID `json:"control"`

	// state of the Risk at detectedAt: Open or Accepted.
	// +required
	State RiskState `json:"state"`
}

// RecordedBy is who wrote part of a record, as the API server authenticated them.
type RecordedBy struct {
	// username as authenticated by the API server.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Username string `json:"username"`

	// at is when it was written.
	// +required
	At metav1.Time `json:"at"`
}

// SecurityIncident records an information security incident against the assets it touched, for the incident register the Code of Practice asks for.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=incident;incidents,categories=isms
// +kubebuilder:printcolumn:name="Title",type=string,JSONPath=`.spec.title`
// +kubebuilder:printcolumn:name="Aware",type=date,JSONPath=`.spec.awareAt`
// +kubebuilder:printcolumn:name="Likelihood",type=integer,JSONPath=`.spec.grading.likelihood`
// +kubebuilder:printcolumn:name="Severity",type=integer,JSONPath=`.spec.grading.severity`
// +kubebuilder:printcolumn:name="Reportable",type=boolean,JSONPath=`.status.reportable`
// +kubebuilder:printcolumn:name="Deadline",type=string,JSONPath=`.status.notificationDeadline`
// +kubebuilder:printcolumn:name="Overdue",type=string,JSONPath=`.status.conditions[?(@.type=="NotificationOverdue")].status`
// +kubebuilder:printcolumn:name="Foreseen",type=string,JSONPath=`.status.conditions[?(@.type=="Foreseen")].status`,priority=1
// +kubebuilder:printcolumn:name="ICO",type=string,JSONPath=`.spec.notifications.ico.reference`
// +kubebuilder:printcolumn:name="Closed",type=date,JSONPath=`.spec.closure.closedAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type SecurityIncident struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the incident as recorded.
	// +required
	Spec SecurityIncidentSpec `json:"spec"`

	// status is the incident's grading and clock, kept by the operator.
	// +optional
	Status SecurityIncidentStatus `json:"status,omitempty"`
}

// SecurityIncidentList is a list of SecurityIncidents.
//
// +kubebuilder:object:root=true
type SecurityIncidentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SecurityIncident `json:"items"`
}

func init() {
	SchemeBuilder.Register(&SecurityIncident{}, &SecurityIncidentList{})
}
