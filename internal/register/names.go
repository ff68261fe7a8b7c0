// Package register turns the findings of an asset's controls into the records of the risk
// register (risk.md): which Risks to create, re-open, update or resolve, how each is
// scored, and how a Risk's lifecycle moves with drift, acceptance, closure and time. Its
// decisions are pure; the controllers apply them.
package register

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// maxNameLength keeps Risk names usable as label values and in kubectl output.
const maxNameLength = 63

// Name is the Risk's name for an asset and control: "<asset>-<control id, lower case>",
// e.g. patient-records-enc-01. It is deterministic, so a restart, a retry or two replicas
// racing find the same Risk instead of raising a duplicate. A name that would be too long
// keeps the asset name's start and adds a hash of the whole.
func Name(asset string, control isms.ControlID) string {
	suffix := "-" + strings.ToLower(string(control))
	if len(asset)+len(suffix) <= maxNameLength {
		return asset + suffix
	}
	sum := sha256.Sum256([]byte(asset))
	hash := "-" + hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(asset[:maxNameLength-len(hash)-len(suffix)], "-.") + hash + suffix
}
