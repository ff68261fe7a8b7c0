package register

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// Labels on the Risks the operator raises, for `kubectl get risks -l`. They are a
// convenience for people: the operator finds a Risk by its deterministic name and an
// asset's Risks by a field index on spec.assetRef, never by label.
const (
	LabelAsset   = "isms.nhs.uk/asset"
	LabelControl = "isms.nhs.uk/control"
)

// DefaultAppetite is the highest score a risk may have and be tolerated, unless the trust
// sets its own (risk.md).
const DefaultAppetite = 12

// maxNameLength keeps Risk names usable as label values and in kubectl output.
const maxNameLength = 63

// Name is the Risk's name for an asset and control: "<asset>-<control id, lower case>",
// e.g. patient-records-enc-01. It is deterministic, so a restart, a retry or two replicas
// racing find the same Risk instead of raising a duplicate. A name that would be too long
// keeps the asset name's start and adds a hash of the whole.
func Name(asset string, control isms.ControlID) string {
	return shorten(asset, "-"+strings.ToLower(string(control)), maxNameLength)
}

// LabelValue is a name as a label value: the name itself when it fits in 63 bytes, else
// its start and a hash of the whole.
func LabelValue(name string) string {
	return shorten(name, "", bounds.LabelValue)
}

// shorten returns prefix+suffix when it fits in n bytes, else the start of prefix, a hash
// of prefix and the suffix.
func shorten(prefix, suffix string, n int) string {
	if len(prefix)+len(suffix) <= n {
		return prefix + suffix
	}
	sum := sha256.Sum256([]byte(prefix))
	hash := "-" + hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(prefix[:n-len(hash)-len(suffix)], "-.") + hash + suffix
}

// IsRecord reports whether risk is the register's record of a control of an asset: a
// Detected risk at the name Name gives its asset and control. Only the operator creates
// Detected risks (the ValidatingAdmissionPolicy isms-detected-risks), their asset and
// control never change (CRD transition rules), and drift is recorded on records only.
func IsRecord(risk *isms.Risk) bool {
	s := risk.Spec
	return s.Source == isms.SourceDetected && s.AssetRef != nil && s.Control != "" && risk.Name == Name(s.AssetRef.Name, s.Control)
}

// Holds reports whether risk, found at Name(asset, control), is the register's record of
// that control of that asset. A Risk there that is not is a name conflict: the operator
// cannot record the drift until a person renames or removes it.
func Holds(risk *isms.Risk, asset string, control isms.ControlID) bool {
	return IsRecord(risk) && risk.Spec.AssetRef.Name == asset && risk.Spec.Control == control
}

// NewRisk is the Risk raised when control first fails at level Required for the asset,
// exposed saying whether a failing resource is reachable from outside the cluster. Its
// likelihood and consequence are set once, here: people may re-assess them, and the
// operator never writes a Risk's spec again. The risk controller writes its status.
func NewRisk(asset *isms.InformationAsset, control isms.ControlID, exposed bool) *isms.Risk {
	c, _ := controls.Lookup(control)
	return &isms.Risk{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: asset.Namespace,
			Name:      Name(asset.Name, c.ID),
			Labels:    map[string]string{LabelAsset: LabelValue(asset.Name), LabelControl: strings.ToLower(string(c.ID))},
		},
		Spec: isms.RiskSpec{
			Title: title(asset.Name, c.Failure),
			Description: fmt.Sprintf("Raised by isms-operator: the Required control %s (%s) fails for InformationAsset %s. "+
				"status.evidence lists what fails. References: %s.", c.ID, c.Title, asset.Name, strings.Join(c.References, ", ")),
			Source:      isms.SourceDetected,
			AssetRef:    &isms.LocalObjectReference{Name: asset.Name},
			Control:     c.ID,
			Owner:       asset.Spec.Owner,
			Likelihood:  Likelihood(c.ID, exposed),
			Consequence: Consequence(asset),
		},
	}
}

// maxTitle is the longest title the API accepts.
const maxTitle = 256

// title is "<asset>: <failure>", the asset's name shortened when the whole would be too long.
func title(asset, failure string) string {
	suffix := ": " + failure
	if len(asset)+len(suffix) > maxTitle {
		asset = bounds.Cut(asset, maxTitle-len(suffix))
	}
	return asset + suffix
}
