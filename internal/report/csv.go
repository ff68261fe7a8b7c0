package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// dateLayout is the RFC 3339 full-date, as NHS risk registers show dates.
const dateLayout = "2006-01-02"

// maxHistoryInSummary bounds the history a risk row quotes: the register's full audit
// trail is on the Risk; the row says how it got where it is.
const maxHistoryInSummary = 5

// riskRow is one row of the risk register, as the CSV and JSON outputs write it.
type riskRow struct {
	Cluster string `json:"cluster"`
	// ID is namespace/name.
	ID    string `json:"id"`
	Title string `json:"title"`
	Asset string `json:"asset"`
	// Owner is "Name <email>", or the name alone when there is no email.
	Owner   string `json:"owner"`
	Control string `json:"control"`
	// References are the control's references in the catalogue (Detected risks only).
	References  []string `json:"references"`
	Likelihood  int32    `json:"likelihood"`
	Consequence int32    `json:"consequence"`
	Score       int32    `json:"score"`
	Rating      string   `json:"rating"`
	State       string   `json:"state"`
	Treatment   string   `json:"treatment"`
	// TargetScore is the target likelihood x consequence, null when no target is set.
	TargetScore *int32 `json:"targetScore"`
	// ReviewDue is empty for Resolved and Closed risks, which need no review.
	ReviewDue     string `json:"reviewDue"`
	FirstDetected string `json:"firstDetected"`
	// HistorySummary quotes the last transitions, newest last.
	HistorySummary string `json:"historySummary"`
	// ReviewOverdue is the risk's ReviewOverdue condition.
	ReviewOverdue bool `json:"reviewOverdue"`
}

// csvHeader names the risk register's columns, in the order NHS registers use.
var csvHeader = []string{
	"cluster", "id", "title", "asset", "owner", "control", "references", "likelihood", "consequence",
	"score", "rating", "state", "treatment", "target score", "review due", "first detected", "history summary",
}

func (r riskRow) csv() []string {
	target := ""
	if r.TargetScore != nil {
		target = strconv.Itoa(int(*r.TargetScore))
	}
	return []string{
		r.Cluster, r.ID, r.Title, r.Asset, r.Owner, r.Control, strings.Join(r.References, " "),
		itoa(r.Likelihood), itoa(r.Consequence), itoa(r.Score), r.Rating, r.State, r.Treatment, target,
		r.ReviewDue, r.FirstDetected, r.HistorySummary,
	}
}

// WriteCSV writes the risk register of every cluster as CSV: a header row, then one row
// per Risk sorted by cluster, namespace and name, each labelled with its cluster. now
// stands in for the creation time of a Risk that has none.
func WriteCSV(w io.Writer, reg *Register, now time.Time) error {
	var rows [][]string
	for _, row := range riskRows(sortedClusters(reg), reg.bands(), now) {
		rows = append(rows, row.csv())
	}
	return writeCSV(w, csvHeader, rows)
}

// writeCSV writes a header and rows as CSV, every cell of free text kept from being read
// as a formula.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	out := csv.NewWriter(w)
	if err := out.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
		if err := out.Write(spreadsheetSafe(row)); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// riskRows builds the register's rows from sorted clusters.
func riskRows(clusters []Cluster, bands riskmatrix.Matrix, now time.Time) []riskRow {
	rows := []riskRow{}
	for _, cluster := range clusters {
		for i := range cluster.Risks {
			rows = append(rows, newRiskRow(cluster.Name, &cluster.Risks[i], bands, now))
		}
	}
	return rows
}

func newRiskRow(cluster string, risk *isms.Risk, bands riskmatrix.Matrix, now time.Time) riskRow {
	spec, status := risk.Spec, risk.Status
	row := riskRow{
		Cluster:     cluster,
		ID:          risk.Namespace + "/" + risk.Name,
		Title:       spec.Title,
		Owner:       person(spec.Owner),
		Control:     string(spec.Control),
		References:  []string{},
		Likelihood:  spec.Likelihood,
		Consequence: spec.Consequence,
		// The status holds the score and rating under the bands the trust installed;
		// fall back to the spec and the report's bands for a Risk the operator has not seen.
		Score:         status.Score,
		Rating:        string(status.Rating),
		State:         string(status.State),
		FirstDetected: date(status.FirstDetected),
		ReviewOverdue: meta.IsStatusConditionTrue(status.Conditions, isms.ConditionReviewOverdue),
	}
	if spec.AssetRef != nil {
		row.Asset = spec.AssetRef.Name
	}
	if spec.Source == isms.SourceDetected {
		if c, ok := controls.Lookup(spec.Control); ok {
			row.References = append(row.References, c.References...)
		}
	}
	if row.Score == 0 {
		score, rating := bands.Rate(spec.Likelihood, spec.Consequence)
		row.Score, row.Rating = score, string(rating)
	}
	if spec.Treatment != nil {
		row.Treatment = string(spec.Treatment.Decision)
	}
	if spec.Target != nil {
		target := riskmatrix.Score(spec.Target.Likelihood, spec.Target.Consequence)
		row.TargetScore = &target
	}
	if status.State != isms.StateResolved && status.State != isms.StateClosed {
		row.ReviewDue = register.ReviewDue(risk, isms.Rating(row.Rating), now).UTC().Format(dateLayout)
	}
	row.HistorySummary = historySummary(status.History)
	return row
}

// historySummary quotes the last transitions, newest last:
// "2026-11-01 Open DriftDetected; 2026-11-02 Resolved DriftCorrected".
func historySummary(history []isms.HistoryEntry) string {
	if len(history) > maxHistoryInSummary {
		history = history[len(history)-maxHistoryInSummary:]
	}
	parts := make([]string, 0, len(history))
	for _, h := range history {
		parts = append(parts, fmt.Sprintf("%s %s %s", h.At.UTC().Format(dateLayout), h.State, h.Reason))
	}
	return strings.Join(parts, "; ")
}

// person writes a person as "Name <email>".
func person(p isms.Person) string {
	if p.Email == "" {
		return p.Name
	}
	return fmt.Sprintf("%s <%s>", p.Name, p.Email)
}

// date writes a time as an RFC 3339 full-date in UTC, or "" when unset.
func date(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// spreadsheetSafe keeps the cells of a row of free text from being read as formulas when
// the CSV is opened in a spreadsheet (CSV injection, CWE-1236): a cell that begins with
// = + - @, a tab or a carriage return is prefixed with an apostrophe, which spreadsheets
// hide.
func spreadsheetSafe(row []string) []string {
	for i, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			row[i] = "'" + cell
		}
	}
	return row
}
