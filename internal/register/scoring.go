package register

import (
	"slices"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// Consequence of a detected risk comes from the asset: criticality Low 2, Medium 3, High
// 4, Critical 5, raised by one (at most 5) when it holds confidential patient information
// or special category data.
func Consequence(asset *isms.InformationAsset) int32 {
	consequence := map[isms.Criticality]int32{
		isms.CriticalityLow: 2, isms.CriticalityMedium: 3, isms.CriticalityHigh: 4, isms.CriticalityCritical: 5,
	}[asset.Spec.Criticality]
	if slices.Contains(asset.Spec.DataCategories, isms.DataPatientIdentifiable) || slices.Contains(asset.Spec.DataCategories, isms.DataSpecialCategory) {
		consequence++
	}
	return min(max(consequence, 1), 5)
}

// Likelihood of a detected risk is the control's default, raised by one (at most 5) when
// the failing resource is reachable from outside the cluster.
func Likelihood(control isms.ControlID, exposed bool) int32 {
	c, _ := controls.Lookup(control)
	likelihood := c.Likelihood
	if exposed {
		likelihood++
	}
	return min(max(likelihood, 1), 5)
}
