package v1alpha1

// Person is someone accountable for an asset, a risk, a plan or an action.
type Person struct {
	// name is the person's full name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// email is the person's work address, e.g. jane.smith@nhs.net.
	// +optional
	// +kubebuilder:validation:MaxLength=320
	// +kubebuilder:validation:Format=email
	Email string `json:"email,omitempty"`

	// role is the person's role for this record, e.g. Information Asset Owner.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Role string `json:"role,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name of the referenced object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ControlLevel says how much a control matters for an asset.
// +kubebuilder:validation:Enum=Required;Recommended;NotRequired
type ControlLevel string

const (
	// LevelRequired: a failure makes the asset non-compliant and raises a Risk.
	LevelRequired ControlLevel = "Required"
	// LevelRecommended: a failure is a finding and a Warning event, but raises no Risk.
	LevelRecommended ControlLevel = "Recommended"
	// LevelNotRequired: the control is not evaluated for the asset.
	LevelNotRequired ControlLevel = "NotRequired"
)

// ControlID is the stable identifier of a control in the catalogue.
// It appears in findings, Risk names, metric labels and the documentation.
// +kubebuilder:validation:Enum=ENC-01;ENC-02;ENC-03;BAK-01;BAK-02;ACC-01;ACC-02;ACC-03;ACC-04;GOV-01;BCP-01
type ControlID string

// The controls of the catalogue (see internal/controls for what each checks).
const (
	// ControlEncryptedVolumes (ENC-01): the asset's volumes are encrypted at rest.
	ControlEncryptedVolumes ControlID = "ENC-01"
	// ControlIngressTLS (ENC-02): traffic from outside the cluster (Ingress, Gateway API routes,
	// LoadBalancer and NodePort Services) reaches the asset encrypted.
	ControlIngressTLS ControlID = "ENC-02"
	// ControlMeshMTLS (ENC-03): the asset's pods are in a mesh that refuses plaintext.
	ControlMeshMTLS ControlID = "ENC-03"
	// ControlBackupRecent (BAK-01): a complete backup of the asset is younger than its maximum age.
	ControlBackupRecent ControlID = "BAK-01"
	// ControlRestoreTested (BAK-02): a restore of the asset was tested recently enough.
	ControlRestoreTested ControlID = "BAK-02"
	// ControlPodSecurity (ACC-01): the asset's pods meet the Pod Security Standard asked.
	ControlPodSecurity ControlID = "ACC-01"
	// ControlNetworkIsolation (ACC-02): a NetworkPolicy restricts ingress to the asset's pods.
	ControlNetworkIsolation ControlID = "ACC-02"
	// ControlSecretAccess (ACC-03): only allowed subjects can read its Secrets, exec into or create its pods.
	ControlSecretAccess ControlID = "ACC-03"
	// ControlServiceAccount (ACC-04): the pods use their own ServiceAccount and no unused API token.
	ControlServiceAccount ControlID = "ACC-04"
	// ControlReviewed (GOV-01): the asset's owner reviewed it within the review interval.
	ControlReviewed ControlID = "GOV-01"
	// ControlContinuityPlan (BCP-01): a High or Critical asset has a Ready continuity plan.
	ControlContinuityPlan ControlID = "BCP-01"
)

// Finding is one failing check: which control, how much it matters, the resource that fails it and why.
// Messages are stable sentences (no timestamps) so an unchanged finding never causes a status write.
type Finding struct {
	// control is the ID of the failing control.
	// +required
	Control ControlID `json:"control"`

	// level is the control's level for the asset.
	// +required
	Level ControlLevel `json:"level"`

	// resource is the object that fails the check, as Kind/name (or Kind/namespace/name for an object in another namespace or cluster-scoped when it helps).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Resource string `json:"resource,omitempty"`

	// message says what is wrong and, where it can, what to do about it.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message"`
}
