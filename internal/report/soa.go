package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// noJustification stands in for a missing justification: an IG lead must see the gap,
// not an empty cell that reads as "nothing to say".
const noJustification = "no justification recorded"

// soaHeader names the Statement of Applicability's columns.
var soaHeader = []string{
	"control", "title", "references", "applies", "assets required", "assets recommended", "assets not required",
	"passing", "failing", "pass rate", "justifications",
}

// WriteSoA writes the Statement of Applicability (CoP glossary) as CSV: one row per
// catalogue control with its references; whether it applies (to any asset at level
// Required or Recommended); how many assets, across clusters, have it at each level; how
// many of those it passes and fails for, and the pass rate (passing / (passing + failing),
// empty when none was evaluated); and, for every asset that sets a control Required by
// default to NotRequired, "cluster/namespace/asset: reason" from the asset's
// spec.controls.justifications, or "no justification recorded".
func WriteSoA(w io.Writer, reg *Register) error {
	results := allResults(sortedClusters(reg))
	out := csv.NewWriter(w)
	if err := out.Write(soaHeader); err != nil {
		return err
	}
	for _, c := range controls.Catalogue {
		levels := map[isms.ControlLevel]int{}
		var t tally
		var justifications []string
		for _, a := range results {
			r, _ := a.result(c.ID)
			levels[r.Level]++
			t.add(r)
			if r.Level == isms.LevelNotRequired && r.DefaultLevel == isms.LevelRequired {
				justifications = append(justifications, fmt.Sprintf("%s/%s/%s: %s", a.Cluster, a.Asset.Namespace, a.Asset.Name, justification(a.Asset, c.ID)))
			}
		}
		applies := "no"
		if levels[isms.LevelRequired]+levels[isms.LevelRecommended] > 0 {
			applies = "yes"
		}
		row := []string{
			string(c.ID), c.Title, strings.Join(c.References, " "), applies,
			strconv.Itoa(levels[isms.LevelRequired]), strconv.Itoa(levels[isms.LevelRecommended]), strconv.Itoa(levels[isms.LevelNotRequired]),
			strconv.Itoa(t.Passing), strconv.Itoa(t.Failing), t.PassRate(), strings.Join(justifications, "; "),
		}
		if err := out.Write(row); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// justification is the reason the asset records for its level of a control.
func justification(asset *isms.InformationAsset, id isms.ControlID) string {
	if asset.Spec.Controls != nil {
		for _, j := range asset.Spec.Controls.Justifications {
			if j.Control == id && strings.TrimSpace(j.Reason) != "" {
				return j.Reason
			}
		}
	}
	return noJustification
}
