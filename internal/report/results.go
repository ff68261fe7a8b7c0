package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// outcome is what an asset's status says of one control. The report never re-runs a
// check: it reads the operator's last evaluation, so every output agrees with kubectl.
type outcome string

const (
	outcomePass         = outcome(isms.OutcomePass)
	outcomeFail         = outcome(isms.OutcomeFail)
	outcomeNotEvaluated = outcome(isms.OutcomeNotEvaluated)
	// outcomeNotRequired is the report's own: the operator records such a control as
	// NotEvaluated, the Statement of Applicability tells them apart.
	outcomeNotRequired outcome = "NotRequired"
)

// controlResult is one catalogue control's result for one asset.
type controlResult struct {
	Control isms.ControlID
	Family  string
	// Level is the control's level for the asset; DefaultLevel the level it would have
	// without spec.controls, which the Statement of Applicability compares it with.
	Level, DefaultLevel isms.ControlLevel
	Outcome             outcome
	// Accepted marks a failing control covered by an Accepted Risk: it still fails (the
	// pass rate says so) but it is the organisation's recorded decision (risk.md).
	Accepted bool
}

// assetResult is every catalogue control's result for one asset, with the asset's risks.
type assetResult struct {
	Cluster string
	Asset   *isms.InformationAsset
	// Controls are in catalogue order.
	Controls []controlResult
	// OpenRisks and AcceptedRisks count the register's Risks about the asset, so the
	// report agrees with its own heat map even when the asset's status lags.
	OpenRisks, AcceptedRisks int
}

// result returns the asset's result for a control.
func (a assetResult) result(id isms.ControlID) (controlResult, bool) {
	for _, r := range a.Controls {
		if r.Control == id {
			return r, true
		}
	}
	return controlResult{}, false
}

// failing lists the controls that fail for the asset, in catalogue order, marking those
// that do not count against compliance: a Recommended control's failure, and a failure
// under an accepted risk.
func (a assetResult) failing() []string {
	var ids []string
	for _, r := range a.Controls {
		switch {
		case r.Outcome != outcomeFail:
		case r.Accepted:
			ids = append(ids, string(r.Control)+" (accepted)")
		case r.Level != isms.LevelRequired:
			ids = append(ids, string(r.Control)+" ("+string(r.Level)+")")
		default:
			ids = append(ids, string(r.Control))
		}
	}
	return ids
}

// sortedClusters returns the register's clusters sorted by name, each with its assets,
// risks, plans and incidents sorted by namespace and name, so every output is deterministic
// whatever order the caller built the register in. The input is not changed.
func sortedClusters(reg *Register) []Cluster {
	if reg == nil {
		return nil
	}
	clusters := slices.Clone(reg.Clusters)
	slices.SortStableFunc(clusters, func(a, b Cluster) int { return strings.Compare(a.Name, b.Name) })
	for i := range clusters {
		c := &clusters[i]
		c.Assets, c.Risks, c.Plans, c.Incidents = slices.Clone(c.Assets), slices.Clone(c.Risks), slices.Clone(c.Plans), slices.Clone(c.Incidents)
		sortByNamespaceAndName(c.Assets, func(a isms.InformationAsset) (string, string) { return a.Namespace, a.Name })
		sortByNamespaceAndName(c.Risks, func(r isms.Risk) (string, string) { return r.Namespace, r.Name })
		sortByNamespaceAndName(c.Plans, func(p isms.ContinuityPlan) (string, string) { return p.Namespace, p.Name })
		sortByNamespaceAndName(c.Incidents, func(i isms.SecurityIncident) (string, string) { return i.Namespace, i.Name })
	}
	return clusters
}

// clusterNames lists the clusters in report order.
func clusterNames(clusters []Cluster) []string {
	names := []string{}
	for _, c := range clusters {
		names = append(names, c.Name)
	}
	return names
}

// allResults reads every asset's control results, in cluster, namespace and name order.
func allResults(clusters []Cluster) []assetResult {
	var results []assetResult
	for _, cluster := range clusters {
		for i := range cluster.Assets {
			results = append(results, resultsFor(cluster.Name, &cluster.Assets[i], cluster.Risks))
		}
	}
	return results
}

// resultsFor reads one asset's control results from its status.controls, and counts its
// Open and Accepted risks.
func resultsFor(cluster string, asset *isms.InformationAsset, risks []isms.Risk) assetResult {
	result := assetResult{Cluster: cluster, Asset: asset}
	accepted := map[isms.ControlID]bool{}
	for _, risk := range risks {
		if risk.Namespace != asset.Namespace || risk.Spec.AssetRef == nil || risk.Spec.AssetRef.Name != asset.Name {
			continue
		}
		switch risk.Status.State {
		case isms.StateOpen:
			result.OpenRisks++
		case isms.StateAccepted:
			result.AcceptedRisks++
			// Only a Detected risk records a control's failure (as the operator counts it).
			if risk.Spec.Source == isms.SourceDetected {
				accepted[risk.Spec.Control] = true
			}
		}
	}
	// The default level is the level with no overrides; LevelFor only reads the asset,
	// so a shallow copy is enough.
	defaults := *asset
	defaults.Spec.Controls = nil
	for _, c := range controls.Catalogue {
		r := controlResult{Control: c.ID, Family: c.Family, Level: c.LevelFor(asset), DefaultLevel: c.LevelFor(&defaults)}
		r.Outcome = outcomeOf(asset, c.ID, r.Level)
		r.Accepted = r.Outcome == outcomeFail && accepted[c.ID]
		result.Controls = append(result.Controls, r)
	}
	return result
}

// outcomeOf is the operator's outcome of the control for the asset: NotRequired at that
// level; NotEvaluated when the operator has recorded none at the asset's current level
// (an asset not evaluated since it was created or changed), never a pass on no evidence.
func outcomeOf(asset *isms.InformationAsset, id isms.ControlID, level isms.ControlLevel) outcome {
	if level == isms.LevelNotRequired {
		return outcomeNotRequired
	}
	i := slices.IndexFunc(asset.Status.Controls, func(c isms.ControlOutcome) bool { return c.Control == id })
	if i < 0 || asset.Status.Controls[i].Level != level {
		return outcomeNotEvaluated
	}
	return outcome(asset.Status.Controls[i].Status)
}

// tally counts control results that apply (level Required or Recommended).
type tally struct {
	Passing, Failing, NotEvaluated int
	// Accepted counts the failing results covered by an Accepted Risk (included in Failing).
	Accepted int
}

func (t *tally) add(r controlResult) {
	switch r.Outcome {
	case outcomePass:
		t.Passing++
	case outcomeFail:
		t.Failing++
		if r.Accepted {
			t.Accepted++
		}
	case outcomeNotEvaluated:
		t.NotEvaluated++
	}
}

// PassRate is passing / (passing + failing) as a whole percentage, rounded down so that
// a control that fails anywhere never shows 100%; empty when nothing was evaluated.
func (t tally) PassRate() string {
	if t.Passing+t.Failing == 0 {
		return ""
	}
	return fmt.Sprintf("%d%%", 100*t.Passing/(t.Passing+t.Failing))
}

// tallyControls tallies the results of the given controls across assets.
func tallyControls(results []assetResult, include func(isms.ControlID) bool) tally {
	var t tally
	for _, a := range results {
		for _, r := range a.Controls {
			if include(r.Control) {
				t.add(r)
			}
		}
	}
	return t
}

// standard is a standard the catalogue's references map controls to.
type standard struct {
	// Prefix is the part of a reference before the colon, e.g. iso27001-2022.
	Prefix string
	// Name is how an IG lead knows it.
	Name string
}

// standards are listed in the order trusts report against them; a prefix not listed here
// (a future catalogue's) is reported after them under its prefix.
var standards = []standard{
	{"iso27001-2022", "ISO/IEC 27001:2022 Annex A"},
	{"caf-3.2", "NCSC Cyber Assessment Framework 3.2"},
	{"ndg", "National Data Guardian standards"},
	{"nhs-cop-2007", "NHS Information Security Management Code of Practice (2007)"},
}

// referenceCoverage is one reference of a standard and how the controls mapped to it fare.
type referenceCoverage struct {
	// Reference is the reference without its prefix, e.g. A.8.24.
	Reference string
	Controls  []string
	Tally     tally
}

// standardCoverage is how the controls mapped to one standard fare.
type standardCoverage struct {
	standard
	References []referenceCoverage
	// Tally counts each mapped control once per asset.
	Tally tally
}

// coverage groups the catalogue's references by standard and tallies the controls each
// maps to across assets.
func coverage(results []assetResult) []standardCoverage {
	byPrefix := map[string]map[string][]isms.ControlID{}
	for _, c := range controls.Catalogue {
		for _, ref := range c.References {
			prefix, id, _ := strings.Cut(ref, ":")
			if byPrefix[prefix] == nil {
				byPrefix[prefix] = map[string][]isms.ControlID{}
			}
			byPrefix[prefix][id] = append(byPrefix[prefix][id], c.ID)
		}
	}
	order := slices.Clone(standards)
	var extra []string
	for prefix := range byPrefix {
		if !slices.ContainsFunc(standards, func(s standard) bool { return s.Prefix == prefix }) {
			extra = append(extra, prefix)
		}
	}
	slices.Sort(extra)
	for _, prefix := range extra {
		order = append(order, standard{Prefix: prefix, Name: prefix})
	}

	var out []standardCoverage
	for _, s := range order {
		refs := byPrefix[s.Prefix]
		if len(refs) == 0 {
			continue
		}
		sc := standardCoverage{standard: s}
		mapped := map[isms.ControlID]bool{}
		for _, id := range slices.SortedFunc(maps.Keys(refs), naturalCompare) {
			ids := refs[id]
			rc := referenceCoverage{Reference: id}
			for _, c := range ids {
				rc.Controls = append(rc.Controls, string(c))
				mapped[c] = true
			}
			rc.Tally = tallyControls(results, func(c isms.ControlID) bool { return slices.Contains(ids, c) })
			sc.References = append(sc.References, rc)
		}
		sc.Tally = tallyControls(results, func(c isms.ControlID) bool { return mapped[c] })
		out = append(out, sc)
	}
	return out
}

// naturalCompare orders references as people number them: A.5.9 before A.5.15, and
// 22-24 before 31-33.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			// Compare numbers by length first, then digit by digit (no overflow).
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// familyTally tallies each control family across assets, in catalogue order.
type familyTally struct {
	Family   string
	Controls []string
	Tally    tally
}

func families(results []assetResult) []familyTally {
	var out []familyTally
	for _, family := range controls.Families {
		ft := familyTally{Family: family}
		for _, c := range controls.Catalogue {
			if c.Family == family {
				ft.Controls = append(ft.Controls, string(c.ID))
			}
		}
		ft.Tally = tallyControls(results, func(id isms.ControlID) bool { return slices.Contains(ft.Controls, string(id)) })
		out = append(out, ft)
	}
	return out
}

// conditionStatus returns a condition's status, or "" when the object has none.
func conditionStatus(conditions []metav1.Condition, conditionType string) (metav1.ConditionStatus, string) {
	c := meta.FindStatusCondition(conditions, conditionType)
	if c == nil {
		return "", ""
	}
	return c.Status, c.Message
}

func sortByNamespaceAndName[T any](items []T, key func(T) (string, string)) {
	slices.SortFunc(items, func(a, b T) int {
		ans, an := key(a)
		bns, bn := key(b)
		return strings.Compare(ans+"/"+an, bns+"/"+bn)
	})
}
