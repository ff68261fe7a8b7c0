package register

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// Labels on the Risks the operator raises, for kubectl -l and for finding an asset's risks.
const (
	LabelAsset   = "isms.nhs.uk/asset"
	LabelControl = "isms.nhs.uk/control"
)

// Action is what the register does to one Risk.
type Action string

const (
	// Create raises a new Risk for a Required control that fails.
	Create Action = "Create"
	// Reopen opens a Resolved or Closed Risk again because its drift is back.
	Reopen Action = "Reopen"
	// Resolve resolves a Risk because its drift is gone or its asset was deleted.
	Resolve Action = "Resolve"
	// Update keeps an open Risk's evidence (or its state, as time passes) current.
	Update Action = "Update"
)

// Decision is one change to the register.
type Decision struct {
	Action Action
	// Risk is the Risk to create, or the existing Risk with its new status.
	Risk *isms.Risk
	// Previous is the Risk's state before the decision ("" for a new one).
	Previous isms.RiskState
}

// Observation is what one evaluation of an asset found.
type Observation struct {
	Asset *isms.InformationAsset
	// Removed says the asset is being deleted: every open risk of it is resolved.
	Removed bool
	// Failing holds, for each Required control that fails, its Required findings.
	Failing map[isms.ControlID][]isms.Finding
	// Undecided are the controls whose evidence cannot decide yet (a plan not evaluated,
	// workloads not yet seen): their Risks are left as they are, neither resolved nor raised.
	Undecided map[isms.ControlID]bool
	// Exposed says, for a failing control, whether a failing resource is reachable from
	// outside the cluster (it raises the likelihood of a new Risk by one).
	Exposed map[isms.ControlID]bool
	Now     time.Time
}

// Decide returns the changes the observation makes to the asset's Detected Risks: create
// one for each failing Required control that has none, and bring each existing one up to
// date (re-open, resolve, new evidence). Risks that need no change get no decision.
func Decide(obs Observation, risks []isms.Risk, m riskmatrix.Matrix) []Decision {
	var decisions []Decision
	byControl := map[isms.ControlID]*isms.Risk{}
	for i := range risks {
		if risks[i].Spec.Source == isms.SourceDetected {
			byControl[risks[i].Spec.Control] = &risks[i]
		}
	}
	for _, c := range controls.Catalogue {
		findings, failing := obs.Failing[c.ID]
		failing = failing && !obs.Removed
		existing := byControl[c.ID]
		if (existing == nil && !failing) || (obs.Undecided[c.ID] && !obs.Removed) {
			continue
		}
		detection := &Detection{Failing: failing, Evidence: findings, AssetRemoved: obs.Removed}
		if existing == nil {
			risk := newRisk(obs, c)
			// The API server gives a new object generation 1; computing the status for it
			// now means the status written after creation is already final.
			risk.Generation = 1
			risk.Status = Status(risk, detection, obs.Now, m)
			decisions = append(decisions, Decision{Action: Create, Risk: risk})
			continue
		}
		status := Status(existing, detection, obs.Now, m)
		if equality.Semantic.DeepEqual(existing.Status, status) {
			continue
		}
		updated := existing.DeepCopy()
		updated.Status = status
		decisions = append(decisions, Decision{Action: action(existing.Status.State, status.State), Risk: updated, Previous: existing.Status.State})
	}
	return decisions
}

func action(from, to isms.RiskState) Action {
	wasLive, isLive := live(from), live(to)
	switch {
	case isLive && !wasLive && from != "":
		return Reopen
	case wasLive && to == isms.StateResolved:
		return Resolve
	}
	return Update
}

// maxTitle is the longest title the API accepts.
const maxTitle = 256

// title is "<asset>: <failure>", the asset's name shortened when the whole would be too long.
func title(asset, failure string) string {
	suffix := ": " + failure
	if len(asset)+len(suffix) > maxTitle {
		asset = truncate(asset, maxTitle-len(suffix))
	}
	return asset + suffix
}

// newRisk is the Risk raised when control first fails for the asset. Its likelihood and
// consequence are set once, here: people may re-assess them, and the operator never
// writes a Risk's spec again.
func newRisk(obs Observation, c controls.Control) *isms.Risk {
	asset := obs.Asset
	return &isms.Risk{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: asset.Namespace,
			Name:      Name(asset.Name, c.ID),
			Labels:    map[string]string{LabelAsset: asset.Name, LabelControl: strings.ToLower(string(c.ID))},
		},
		Spec: isms.RiskSpec{
			Title: title(asset.Name, c.Failure),
			Description: fmt.Sprintf("Raised by isms-operator: the Required control %s (%s) fails for InformationAsset %s. "+
				"status.evidence lists what fails. References: %s.", c.ID, c.Title, asset.Name, strings.Join(c.References, ", ")),
			Source:      isms.SourceDetected,
			AssetRef:    &isms.LocalObjectReference{Name: asset.Name},
			Control:     c.ID,
			Owner:       asset.Spec.Owner,
			Likelihood:  Likelihood(c.ID, obs.Exposed[c.ID]),
			Consequence: Consequence(asset),
		},
	}
}
