package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// reportTemplate is the HTML report: one self-contained document with inline CSS and no
// scripts or external URLs, so it can be mailed to a board or archived as DSPT evidence
// and open the same anywhere, offline.
//
//go:embed report.html.tmpl
var reportTemplate string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"hours":    formatHours,
	"join":     strings.Join,
	"riskText": incidents.RiskText,
	"orDash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
}).Parse(reportTemplate))

// htmlView is what the template shows.
type htmlView struct {
	GeneratedAt time.Time
	// Bands are the rating bands, as --rating-bands writes them.
	Bands    string
	Clusters []string
	Summary  summary
	// Consequences head the heat map's columns, 1 to 5; HeatMap is its rows, likelihood
	// 5 down to 1.
	Consequences  []axis
	HeatMap       []heatRow
	Assets        []assetView
	Families      []familyTally
	Standards     []standardCoverage
	Plans         []planRow
	OverdueRisks  []riskRow
	OverdueAssets []overdueAsset
	Incidents     incidentsView
	// Unevaluated are the assets no operator has evaluated (cluster/namespace/name):
	// outside the namespaces it works in, or not reached yet.
	Unevaluated []string
}

// summary is the headline figures.
type summary struct {
	OpenRisks, AcceptedRisks, ExtremeOpen, Assets, NonCompliant, Plans, PlansNotReady int
}

type axis struct {
	Level int32
	Name  string
}

type heatRow struct {
	axis
	Cells []heatCell
}

// heatCell is one cell of the 5x5 matrix: the Open risks at a likelihood and consequence.
type heatCell struct {
	Likelihood, Consequence, Score int32
	Rating                         isms.Rating
	Count                          int
}

type assetView struct {
	Cluster, Namespace, Name, Owner string
	Classification, Criticality     string
	Compliance                      string
	Compliant                       metav1.ConditionStatus
	OpenRisks, AcceptedRisks        int
	Failing                         []string
}

type overdueAsset struct {
	Cluster, Namespace, Name, Owner string
	// LastReviewed is the date of the last review, or "never".
	LastReviewed string
}

// WriteHTML writes the report as one self-contained HTML document: the 5x5 heat map of
// Open risks, compliance by asset and by control family, coverage by standard, continuity
// plan readiness, information security incidents, and overdue reviews, across every
// cluster of the register. Each heat-map cell carries data-likelihood, data-consequence
// and data-count attributes.
//
// The incidents section counts the open incidents and those closed in the 12 months
// before now: how many are reportable (and not graded yet), not reported to the ICO by
// their deadline, reported late, and the median and longest hours from awareness to the
// report; it lists the open ones, those overdue first, and the closed ones compactly. It
// names each cluster that does not serve SecurityIncidents instead of counting none there.
func WriteHTML(w io.Writer, reg *Register, now time.Time) error {
	clusters := sortedClusters(reg)
	results := allResults(clusters)
	risks := riskRows(clusters, reg.bands(), now)
	view := htmlView{
		GeneratedAt: now,
		Bands:       reg.bands().String(),
		Clusters:    clusterNames(clusters),
		Families:    families(results),
		Standards:   coverage(results),
		Plans:       planRows(clusters, now),
		Incidents:   newIncidentsView(clusters, now),
	}

	var counts [6][6]int // [likelihood][consequence], 1-based
	for _, r := range risks {
		switch r.State {
		case string(isms.StateOpen):
			view.Summary.OpenRisks++
			if r.Likelihood >= 1 && r.Likelihood <= 5 && r.Consequence >= 1 && r.Consequence <= 5 {
				counts[r.Likelihood][r.Consequence]++
			}
			if r.Rating == string(isms.RatingExtreme) {
				view.Summary.ExtremeOpen++
			}
		case string(isms.StateAccepted):
			view.Summary.AcceptedRisks++
		}
		if r.ReviewOverdue {
			view.OverdueRisks = append(view.OverdueRisks, r)
		}
	}
	for c := int32(1); c <= 5; c++ {
		view.Consequences = append(view.Consequences, axis{c, riskmatrix.Consequence(c)})
	}
	for l := int32(5); l >= 1; l-- {
		row := heatRow{axis: axis{l, riskmatrix.Likelihood(l)}}
		for c := int32(1); c <= 5; c++ {
			score, rating := reg.bands().Rate(l, c)
			row.Cells = append(row.Cells, heatCell{Likelihood: l, Consequence: c, Score: score, Rating: rating, Count: counts[l][c]})
		}
		view.HeatMap = append(view.HeatMap, row)
	}

	for _, a := range results {
		asset := a.Asset
		v := assetView{
			Cluster: a.Cluster, Namespace: asset.Namespace, Name: asset.Name, Owner: person(asset.Spec.Owner),
			Classification: string(asset.Spec.Classification), Criticality: string(asset.Spec.Criticality),
			Compliance: asset.Status.Compliance, OpenRisks: a.OpenRisks, AcceptedRisks: a.AcceptedRisks, Failing: a.failing(),
		}
		v.Compliant, _ = conditionStatus(asset.Status.Conditions, isms.ConditionCompliant)
		if v.Compliant == "" {
			view.Unevaluated = append(view.Unevaluated, a.Cluster+"/"+asset.Namespace+"/"+asset.Name)
		}
		view.Assets = append(view.Assets, v)
		view.Summary.Assets++
		if v.Compliant == metav1.ConditionFalse {
			view.Summary.NonCompliant++
		}
		if gov, _ := a.result(isms.ControlReviewed); gov.Outcome == outcomeFail {
			last := "never"
			if r := asset.Spec.Review; r != nil && r.LastReviewed != nil {
				last = date(r.LastReviewed)
			}
			view.OverdueAssets = append(view.OverdueAssets, overdueAsset{a.Cluster, asset.Namespace, asset.Name, person(asset.Spec.Owner), last})
		}
	}
	for _, p := range view.Plans {
		view.Summary.Plans++
		if p.Ready != metav1.ConditionTrue {
			view.Summary.PlansNotReady++
		}
	}
	return htmlTemplate.Execute(w, view)
}
