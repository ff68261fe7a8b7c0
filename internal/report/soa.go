package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

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
//
// A last row, incident-management, is the organisational control the incident register
// evidences. It applies to the organisation, not to assets, so its asset columns are
// empty; its passing and failing count incidents (open, or closed in the 12 months before
// now) by the 72-hour rule of UK GDPR Article 33, as the board report decides it: failing
// are those not reported to the ICO by awareAt + 72 hours although reportable or not
// graded yet, and those reported late; passing those reported in time, graded not
// reportable, or decided not to notify with a recorded justification; an incident still
// within its deadline counts neither way. Its last column says so in words, with the
// incidents counted, and names any cluster that does not serve SecurityIncidents, whose
// incidents are not counted; when no cluster serves them the counts are empty, not 0.
func WriteSoA(w io.Writer, reg *Register, now time.Time) error {
	clusters := sortedClusters(reg)
	results := allResults(clusters)
	var rows [][]string
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
		rows = append(rows, row)
	}
	return writeCSV(w, soaHeader, append(rows, incidentManagement(clusters, now)))
}

// incidentManagementReferences map incident management to the standards, as the
// catalogue's references do.
var incidentManagementReferences = []string{
	"iso27001-2022:A.5.24", "iso27001-2022:A.5.25", "iso27001-2022:A.5.26", "iso27001-2022:A.5.27", "iso27001-2022:A.5.28",
	"caf-3.2:D1", "caf-3.2:D2", "ndg:6", "nhs-cop-2007:24",
}

// incidentManagement is the Statement of Applicability's row of incident management (see
// WriteSoA).
func incidentManagement(clusters []Cluster, now time.Time) []string {
	view := newIncidentsView(clusters, now)
	var t tally
	for _, r := range slices.Concat(view.OpenRows, view.ClosedRows) {
		t.add(controlResult{Outcome: r.notificationOutcome()})
	}
	passing, failing := strconv.Itoa(t.Passing), strconv.Itoa(t.Failing)
	note := fmt.Sprintf("organisational control, counted per incident, not per asset: %d incidents open or closed since %s; "+
		"failing: not reported to the ICO within 72 hours of awareness when reportable or not graded yet (%d still not reported, %d reported late); "+
		"passing: reported in time, graded not reportable, or decided not to notify with a justification; counted neither way: %d within their deadline",
		view.Counted, view.Since.UTC().Format(dateLayout), view.DeadlinePassed, view.NotifiedLate, t.NotEvaluated)
	switch {
	case view.Unknown:
		passing, failing, note = "", "", "organisational control: no cluster serves SecurityIncidents (upgrade their CRDs), so no incident is counted"
	case len(view.NotServed) > 0:
		note += fmt.Sprintf("; not counted: %s, which do not serve SecurityIncidents (upgrade their CRDs)", strings.Join(view.NotServed, ", "))
	}
	return []string{
		"incident-management", "Information security incidents are recorded against their assets, and reportable ones reported to the ICO within 72 hours",
		strings.Join(incidentManagementReferences, " "), "yes", "", "", "", passing, failing, t.PassRate(), note,
	}
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
