package report

import (
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
)

// notGraded stands in for the grading of an incident the operator has not graded as it
// now stands: never "not reportable", which would reassure on no evidence.
const notGraded = "not graded yet"

// incidentRow is one SecurityIncident of the register, as every output shows it.
//
// The report reads the incident's reportability from its status (the operator's grading
// on the grid it runs with), and decides the rest from the spec and the report's clock as
// incidents.Status does: the deadline is awareAt + 72 hours, and the notification is
// overdue when a reportable incident was not reported by then. So a status the operator
// has not refreshed (it was down, or the incident is outside its namespaces) cannot hide
// an overdue notification.
type incidentRow struct {
	Cluster, Namespace, Name, Title string
	Assets                          []string
	DetectedAt, AwareAt             time.Time
	Likelihood, Severity            int32
	// Reportable is the operator's grading, nil when it has not graded the incident's
	// current spec (not graded yet).
	Reportable *bool
	// Deadline is when a reportable incident must have reached the ICO.
	Deadline time.Time
	// ICOReference, NotifiedAt and NotifiedBy record the report to the ICO; NotifiedAt is
	// zero when none is recorded.
	ICOReference, NotifiedBy string
	NotifiedAt               time.Time
	// Overdue is incidents.ReasonDeadlinePassed (still not reported),
	// incidents.ReasonNotifiedLate (reported after the deadline), or "".
	Overdue string
	// Decision is the justification of a decision not to notify, "" when none.
	Decision string
	// Contained is the Contained condition, "" before the operator graded the incident.
	Contained        metav1.ConditionStatus
	ContainedMessage string
	// ClosedAt is zero while the incident is open.
	ClosedAt         time.Time
	RisksAtDetection []isms.IncidentRisk
	LessonsLearned   string
}

// incidentRows builds the incident register's rows from sorted clusters.
func incidentRows(clusters []Cluster, now time.Time) []incidentRow {
	rows := []incidentRow{}
	for _, cluster := range clusters {
		for i := range cluster.Incidents {
			rows = append(rows, newIncidentRow(cluster.Name, &cluster.Incidents[i], now))
		}
	}
	return rows
}

func newIncidentRow(cluster string, incident *isms.SecurityIncident, now time.Time) incidentRow {
	spec, status := &incident.Spec, &incident.Status
	row := incidentRow{
		Cluster: cluster, Namespace: incident.Namespace, Name: incident.Name, Title: spec.Title, Assets: []string{},
		DetectedAt: spec.DetectedAt.Time, AwareAt: spec.AwareAt.Time,
		Likelihood: spec.Grading.Likelihood, Severity: spec.Grading.Severity,
		Reportable:       incidents.GradedReportable(incident),
		Deadline:         incidents.Deadline(spec),
		LessonsLearned:   spec.LessonsLearned,
		RisksAtDetection: status.RisksAtDetection,
	}
	for _, a := range spec.AssetRefs {
		row.Assets = append(row.Assets, a.Name)
	}
	if ico := incidents.Reported(spec, now); ico != nil {
		row.ICOReference, row.NotifiedAt, row.NotifiedBy = ico.Reference, ico.NotifiedAt.Time, person(ico.NotifiedBy)
	}
	if d := spec.DecisionNotToNotify; d != nil {
		row.Decision = d.Justification
	}
	if c := spec.Closure; c != nil {
		row.ClosedAt = c.ClosedAt.Time
	}
	if row.Reportable != nil { // a containment the operator has not seen yet is not shown as done
		row.Contained, row.ContainedMessage = conditionStatus(status.Conditions, isms.ConditionContained)
	}
	row.Overdue = incidents.NotificationOverdue(incident, row.Reportable, now)
	return row
}

// Open reports whether the incident has no closure recorded.
func (r incidentRow) Open() bool { return r.ClosedAt.IsZero() }

// Notified reports whether a report to the ICO is recorded.
func (r incidentRow) Notified() bool { return !r.NotifiedAt.IsZero() }

// DeadlinePassed: the incident is not reported to the ICO and its deadline passed.
func (r incidentRow) DeadlinePassed() bool { return r.Overdue == incidents.ReasonDeadlinePassed }

// NotifiedLate: the incident was reported to the ICO after its deadline.
func (r incidentRow) NotifiedLate() bool { return r.Overdue == incidents.ReasonNotifiedLate }

// ToNotify is how long after awareness the ICO was told.
func (r incidentRow) ToNotify() time.Duration { return r.NotifiedAt.Sub(r.AwareAt) }

// ReportableText is "yes", "no" or "not graded yet".
func (r incidentRow) ReportableText() string {
	switch {
	case r.Reportable == nil:
		return notGraded
	case *r.Reportable:
		return "yes"
	}
	return "no"
}

// ContainedText is the Contained condition in words: "yes", "no", "unknown" (no
// containment action recorded) or "not graded yet".
func (r incidentRow) ContainedText() string {
	switch r.Contained {
	case metav1.ConditionTrue:
		return "yes"
	case metav1.ConditionFalse:
		return "no"
	case metav1.ConditionUnknown:
		return "unknown"
	}
	return notGraded
}

// notificationOutcome is how the incident fares against the 72-hour rule, for the
// Statement of Applicability: Fail when its notification is overdue; Pass when it was
// reported in time, decided not to notify, or graded not reportable; NotEvaluated while it
// awaits its deadline or a grading, which proves nothing either way.
func (r incidentRow) notificationOutcome() outcome {
	switch {
	case r.Overdue != "":
		return outcomeFail
	case r.Notified(), r.Decision != "", r.Reportable != nil && !*r.Reportable:
		return outcomePass
	}
	return outcomeNotEvaluated
}

// risksText lists the Risks that stood at detection as the Foreseen condition names them:
// "name (control, state)".
func risksText(risks []isms.IncidentRisk) []string {
	out := make([]string, 0, len(risks))
	for _, r := range risks {
		out = append(out, incidents.RiskText(r))
	}
	return out
}

// hours is a duration in hours, to a tenth.
func hours(d time.Duration) float64 { return math.Round(d.Hours()*10) / 10 }

// formatHours writes hours as people read them: "30", "72.5".
func formatHours(d time.Duration) string { return strconv.FormatFloat(hours(d), 'f', -1, 64) }

// incidentsHeader names the incident register's columns.
var incidentsHeader = []string{
	"cluster", "namespace", "name", "title", "assets", "detected at", "aware at", "likelihood", "severity", "reportable",
	"notification deadline", "ico reference", "notified at", "notified by", "hours to notify", "notification overdue",
	"decision not to notify", "contained", "closed at", "risks at detection", "lessons learned",
}

func (r incidentRow) csv() []string {
	toNotify, overdue := "", "no"
	if r.Notified() {
		toNotify = formatHours(r.ToNotify())
	}
	if r.Overdue != "" {
		overdue = r.Overdue
	}
	return []string{
		r.Cluster, r.Namespace, r.Name, r.Title, strings.Join(r.Assets, " "), rfc3339(r.DetectedAt), rfc3339(r.AwareAt),
		itoa(r.Likelihood), itoa(r.Severity), r.ReportableText(), rfc3339(r.Deadline), r.ICOReference, rfc3339(r.NotifiedAt),
		r.NotifiedBy, toNotify, overdue, r.Decision, r.ContainedText(), rfc3339(r.ClosedAt),
		strings.Join(risksText(r.RisksAtDetection), "; "), r.LessonsLearned,
	}
}

// WriteIncidentsCSV writes the incident register of every cluster as CSV: a header row,
// then one row per SecurityIncident, open or closed, sorted by cluster, namespace and name.
// Times are RFC 3339 in UTC; hours to notify is notifiedAt - awareAt; notification
// overdue is DeadlinePassed (not reported by awareAt + 72 hours), NotifiedLate or "no",
// decided at now; reportable is "not graded yet" until the operator grades the incident.
// A cluster that does not serve SecurityIncidents has no rows (Register.IncidentsNotServed).
func WriteIncidentsCSV(w io.Writer, reg *Register, now time.Time) error {
	var rows [][]string
	for _, row := range incidentRows(sortedClusters(reg), now) {
		rows = append(rows, row.csv())
	}
	return writeCSV(w, incidentsHeader, rows)
}

// incidentsView is the board's view of the incident register: the open incidents and
// those closed in the 12 months before the report.
type incidentsView struct {
	// Since is the start of those 12 months.
	Since time.Time
	// NotServed are the clusters that do not serve SecurityIncidents; Unknown: none of the
	// register's clusters does, so there is no figure to show, not even 0.
	NotServed []string
	Unknown   bool
	// Counted is the incidents counted: open, or closed since Since.
	Counted, Open, Closed, Reportable, NotGraded, DeadlinePassed, NotifiedLate int
	// Notified counts the incidents reported to the ICO; MedianToNotify and
	// LongestToNotify are their hours from awareness to report, "" when none.
	Notified                        int
	MedianToNotify, LongestToNotify string
	// OpenRows are the open incidents, those not reported by the deadline first, then
	// those reported late; ClosedRows those closed since Since.
	OpenRows, ClosedRows []incidentRow
	// ClosedBefore counts the incidents closed before Since: in the register, not here.
	ClosedBefore int
}

// newIncidentsView counts the incidents of sorted clusters at now.
func newIncidentsView(clusters []Cluster, now time.Time) incidentsView {
	view := incidentsView{Since: now.AddDate(-1, 0, 0), NotServed: notServed(clusters)}
	view.Unknown = len(clusters) > 0 && len(view.NotServed) == len(clusters)
	var toNotify []time.Duration
	for _, r := range incidentRows(clusters, now) {
		switch {
		case r.Open():
			view.Open++
			view.OpenRows = append(view.OpenRows, r)
		case r.ClosedAt.Before(view.Since):
			view.ClosedBefore++
			continue
		default:
			view.Closed++
			view.ClosedRows = append(view.ClosedRows, r)
		}
		view.Counted++
		switch {
		case r.Reportable == nil:
			view.NotGraded++
		case *r.Reportable:
			view.Reportable++
		}
		switch {
		case r.DeadlinePassed():
			view.DeadlinePassed++
		case r.NotifiedLate():
			view.NotifiedLate++
		}
		if r.Notified() {
			toNotify = append(toNotify, r.ToNotify())
		}
	}
	slices.SortStableFunc(view.OpenRows, func(a, b incidentRow) int { return overdueRank(a) - overdueRank(b) })
	if view.Notified = len(toNotify); view.Notified > 0 {
		slices.Sort(toNotify)
		median := toNotify[len(toNotify)/2]
		if len(toNotify)%2 == 0 {
			median = (toNotify[len(toNotify)/2-1] + median) / 2
		}
		view.MedianToNotify, view.LongestToNotify = formatHours(median), formatHours(toNotify[len(toNotify)-1])
	}
	return view
}

// overdueRank orders the board's open incidents: not reported by the deadline, then
// reported late, then the rest.
func overdueRank(r incidentRow) int {
	switch {
	case r.DeadlinePassed():
		return 0
	case r.NotifiedLate():
		return 1
	}
	return 2
}

// IncidentsNotServed names the clusters that do not serve SecurityIncidents (their CRDs
// predate the kind), in report order: their incidents are in no output.
func (r *Register) IncidentsNotServed() []string { return notServed(sortedClusters(r)) }

func notServed(clusters []Cluster) []string {
	var names []string
	for _, c := range clusters {
		if !c.IncidentsServed {
			names = append(names, c.Name)
		}
	}
	return names
}
