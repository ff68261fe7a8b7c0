package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
)

// aware is when the organisation became aware of the incidents of the decision tests:
// their deadline is 72 hours later.
var aware = time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)

func awareIncident() isms.SecurityIncident {
	return incident("epr", "x", "x", aware.Add(-time.Hour).Format(time.RFC3339), aware.Format(time.RFC3339), 3, 3, "patient-records")
}

func notifiedAfter(d time.Duration) func(*isms.SecurityIncident) {
	return func(i *isms.SecurityIncident) {
		i.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-1",
			NotifiedAt: metav1.NewTime(aware.Add(d)), NotifiedBy: priya}}
	}
}

// TestNotificationDecisions: whether a notification is overdue, and the time to notify,
// decided from the spec and the report's clock as incidents.Status decides the condition,
// with reportability from a status that grades the current spec.
func TestNotificationDecisions(t *testing.T) {
	reportable := func(r bool) func(*isms.SecurityIncident) { return func(i *isms.SecurityIncident) { graded(i, r) } }
	decided := func(i *isms.SecurityIncident) {
		i.Spec.DecisionNotToNotify = &isms.NotificationDecision{Justification: "Recovered unread within the hour, in writing.",
			DecidedBy: priya, DecidedAt: metav1.NewTime(aware.Add(time.Hour))}
	}
	const (
		passed = incidents.ReasonDeadlinePassed
		late   = incidents.ReasonNotifiedLate
	)
	cases := []struct {
		name       string
		change     []func(*isms.SecurityIncident)
		at         time.Duration // after awareness
		overdue    string
		reportable string
		toNotify   string
		outcome    outcome
	}{
		{"reported in 30 hours", []func(*isms.SecurityIncident){reportable(true), notifiedAfter(30 * time.Hour)}, 100 * time.Hour, "", "yes", "30", outcomePass},
		{"reported at the deadline itself", []func(*isms.SecurityIncident){reportable(true), notifiedAfter(72 * time.Hour)}, 100 * time.Hour, "", "yes", "72", outcomePass},
		{"reported after 80 hours", []func(*isms.SecurityIncident){reportable(true), notifiedAfter(80*time.Hour + 20*time.Minute)}, 100 * time.Hour, late, "yes", "80.3", outcomeFail},
		{"reported late, before the operator graded it", []func(*isms.SecurityIncident){notifiedAfter(73 * time.Hour)}, 100 * time.Hour, late, notGraded, "73", outcomeFail},
		{"reportable, within the deadline", []func(*isms.SecurityIncident){reportable(true)}, 71 * time.Hour, "", "yes", "", outcomeNotEvaluated},
		{"reportable, at the deadline", []func(*isms.SecurityIncident){reportable(true)}, 72 * time.Hour, passed, "yes", "", outcomeFail},
		{"reportable, past the deadline, status still awaiting", []func(*isms.SecurityIncident){reportable(true), func(i *isms.SecurityIncident) {
			i.Status.Conditions = []metav1.Condition{{Type: isms.ConditionNotificationOverdue, Status: metav1.ConditionFalse, Reason: incidents.ReasonAwaitingNotification}}
		}}, 96 * time.Hour, passed, "yes", "", outcomeFail},
		{"reportable, closed without a report", []func(*isms.SecurityIncident){reportable(true), func(i *isms.SecurityIncident) {
			i.Spec.Closure = &isms.IncidentClosure{ClosedAt: metav1.NewTime(aware.Add(90 * time.Hour)), ClosedBy: jane}
		}}, 96 * time.Hour, passed, "yes", "", outcomeFail},
		{"decided not to notify", []func(*isms.SecurityIncident){reportable(true), decided}, 96 * time.Hour, "", "yes", "", outcomePass},
		{"graded not reportable", []func(*isms.SecurityIncident){reportable(false)}, 96 * time.Hour, "", "no", "", outcomePass},
		{"not graded yet, within the deadline", nil, 2 * time.Hour, "", notGraded, "", outcomeNotEvaluated},
		{"not graded yet, past the deadline: it may be reportable", nil, 96 * time.Hour, passed, notGraded, "", outcomeFail},
		{"graded not reportable, then regraded: the operator has not seen it", []func(*isms.SecurityIncident){reportable(false), func(i *isms.SecurityIncident) {
			i.Generation, i.Spec.Grading = 2, isms.IncidentGrading{Likelihood: 4, Severity: 4}
		}}, 96 * time.Hour, passed, notGraded, "", outcomeFail},
	}
	for _, tc := range cases {
		i := awareIncident()
		for _, change := range tc.change {
			change(&i)
		}
		row := newIncidentRow("alpha", &i, aware.Add(tc.at))
		toNotify := ""
		if row.Notified() {
			toNotify = formatHours(row.ToNotify())
		}
		got := []any{row.Overdue, row.ReportableText(), toNotify, row.notificationOutcome(), row.Deadline}
		want := []any{tc.overdue, tc.reportable, tc.toNotify, tc.outcome, aware.Add(72 * time.Hour)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: overdue, reportable, hours to notify, SoA outcome, deadline mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestContainmentIsTheOperatorsOnTheCurrentSpec: a containment the operator recorded as
// done stops counting once the spec changes (a new containment action, say) until it has
// decided again: the report says "not graded yet", never a stale "yes".
func TestContainmentIsTheOperatorsOnTheCurrentSpec(t *testing.T) {
	i := awareIncident()
	graded(&i, true, incidentCondition(isms.ConditionContained, metav1.ConditionTrue, incidents.ReasonContained, "every containment action is done (1)"))
	if got := newIncidentRow("alpha", &i, aware).ContainedText(); got != "yes" {
		t.Errorf("contained as graded = %q, want yes", got)
	}
	i.Generation++
	i.Spec.Actions = append(i.Spec.Actions, isms.IncidentAction{Kind: isms.ActionContainment, Description: "Recall the second copy"})
	if got := newIncidentRow("alpha", &i, aware).ContainedText(); got != notGraded {
		t.Errorf("contained after a new action the operator has not seen = %q, want %q", got, notGraded)
	}
}

// TestIncidentsView: the board's counts over the open incidents and those closed in the
// 12 months before now, the median and longest time to notify, and the open ones ordered
// overdue first.
func TestIncidentsView(t *testing.T) {
	now := aware.Add(200 * time.Hour)
	closedAt := func(at time.Time) func(*isms.SecurityIncident) {
		return func(i *isms.SecurityIncident) {
			i.Spec.Closure = &isms.IncidentClosure{ClosedAt: metav1.NewTime(at), ClosedBy: jane}
		}
	}
	withName := func(name string, changes ...func(*isms.SecurityIncident)) isms.SecurityIncident {
		i := awareIncident()
		i.Name = name
		graded(&i, true)
		for _, change := range changes {
			change(&i)
		}
		return i
	}
	reg := &Register{Clusters: []Cluster{{Name: "alpha", IncidentsServed: true, Incidents: []isms.SecurityIncident{
		withName("a-in-time", notifiedAfter(10*time.Hour)),
		withName("b-late", notifiedAfter(90*time.Hour)),
		withName("c-not-reported"),
		withName("d-closed-in-time", notifiedAfter(20*time.Hour), closedAt(now.AddDate(-1, 0, 0))),
		withName("e-closed-long-ago", notifiedAfter(500*time.Hour), closedAt(now.AddDate(-1, 0, 0).Add(-time.Second))),
		withName("f-not-graded", func(i *isms.SecurityIncident) { i.Status = isms.SecurityIncidentStatus{} }),
	}}, {Name: "beta"}}}
	view := newIncidentsView(sortedClusters(reg), now)

	var open, closed []string
	for _, r := range view.OpenRows {
		open = append(open, r.Name)
	}
	for _, r := range view.ClosedRows {
		closed = append(closed, r.Name)
	}
	got := map[string]any{
		"open": view.Open, "closed": view.Closed, "counted": view.Counted, "closed before": view.ClosedBefore,
		"reportable": view.Reportable, "not graded": view.NotGraded, "deadline passed": view.DeadlinePassed, "notified late": view.NotifiedLate,
		"notified": view.Notified, "median": view.MedianToNotify, "longest": view.LongestToNotify,
		"open rows": open, "closed rows": closed, "not served": view.NotServed, "unknown": view.Unknown,
	}
	want := map[string]any{
		// Closed exactly 12 months ago counts; a second earlier does not, nor does its 500 hours.
		"open": 4, "closed": 1, "counted": 5, "closed before": 1,
		// f is not graded: neither reportable nor not; its deadline passed all the same.
		"reportable": 4, "not graded": 1, "deadline passed": 2, "notified late": 1,
		// 10, 20 and 90 hours.
		"notified": 3, "median": "20", "longest": "90",
		"open rows": []string{"c-not-reported", "f-not-graded", "b-late", "a-in-time"}, "closed rows": []string{"d-closed-in-time"},
		"not served": []string{"beta"}, "unknown": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("view mismatch (-want +got):\n%s", diff)
	}

	// An even number of reports: the median is the mean of the middle two.
	reg.Clusters[0].Incidents = reg.Clusters[0].Incidents[:2]
	if view := newIncidentsView(sortedClusters(reg), now); view.MedianToNotify != "50" || view.LongestToNotify != "90" {
		t.Errorf("median and longest of 10 and 90 hours = %q, %q; want 50, 90", view.MedianToNotify, view.LongestToNotify)
	}
}

func TestWriteIncidentsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteIncidentsCSV(&buf, seeded(), now); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the output is not CSV: %v", err)
	}
	want := [][]string{
		{"cluster", "namespace", "name", "title", "assets", "detected at", "aware at", "likelihood", "severity", "reportable",
			"notification deadline", "ico reference", "notified at", "notified by", "hours to notify", "notification overdue",
			"decision not to notify", "contained", "closed at", "risks at detection", "lessons learned"},
		{"alpha", "epr", "letter-wrong-address", "Appointment letter sent to a patient's previous address", "appointments",
			"2026-11-10T09:00:00Z", "2026-11-10T11:00:00Z", "2", "2", "yes", "2026-11-13T11:00:00Z", "", "", "", "", "no",
			"One letter, returned unopened by the new occupant the next day; it held an appointment time and no clinical detail.",
			"yes", "", "", ""},
		{"alpha", "epr", "snapshot-on-laptop", "EPR database snapshot copied to a contractor's unencrypted laptop", "patient-records",
			"2026-11-19T10:00:00Z", "2026-11-19T12:00:00Z", "4", "4", "yes", "2026-11-22T12:00:00Z", "", "", "", "", "DeadlinePassed",
			"", "no", "", "patient-records-enc-01 (ENC-01, Open)", ""},
		{"beta", "hr", "payslips-wrong-team", "Payslips printed on the shared printer and collected by another team", "staff-records",
			"2025-03-03T09:00:00Z", "2025-03-03T10:00:00Z", "1", "2", "no", "2025-03-06T10:00:00Z", "", "", "", "", "no",
			"", "unknown", "2025-03-20T12:00:00Z", "", "'- Payslips print only to the payroll team's secure printer."},
		{"beta", "hr", "rota-export-misdirected", "Rota export with patients' names emailed to the wrong trust", "staff-records",
			"2026-09-14T07:30:00Z", "2026-09-14T09:00:00Z", "3", "3", "yes", "2026-09-17T09:00:00Z", "DSPT-26-0914-0172",
			"2026-09-15T15:00:00Z", "Priya Shah <priya.shah@nhs.net>", "30", "no", "", "yes", "2026-10-20T16:00:00Z",
			"staff-records-gov-01 (GOV-01, Open)", "The rota export goes only to named recipients in the trust's address book, without patients' names."},
		{"beta", "web", "directory-mobile-numbers", "Staff directory page showed personal mobile numbers", "public-site",
			"2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", "2", "2", "not graded yet", "2026-11-26T09:00:00Z", "", "", "", "", "no",
			"", "not graded yet", "", "", ""},
	}
	reasons := map[string]string{
		"letter-wrong-address":     "reportable on the grid, decided not to notify: not overdue",
		"snapshot-on-laptop":       "the status still awaits notification, but 72 hours passed at now: overdue",
		"payslips-wrong-team":      "closed over a year ago, still in the register; a lesson that would be a formula is escaped",
		"rota-export-misdirected":  "reported 30 hours after awareness",
		"directory-mobile-numbers": "empty status: not graded yet, never not reportable",
	}
	if len(records) != len(want) {
		t.Fatalf("got %d records, want %d (sorted by cluster, namespace and name):\n%v", len(records), len(want), records)
	}
	for i := range want {
		if diff := cmp.Diff(want[i], records[i]); diff != "" {
			t.Errorf("record %d %s (%s) mismatch (-want +got):\n%s", i, want[i][2], reasons[want[i][2]], diff)
		}
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+44 20 7946 0000":        "'+44 20 7946 0000",
		"- recall the export":     "'- recall the export",
		"@SUM(A1)":                "'@SUM(A1)",
		"\tindented":              "'\tindented",
		"DSPT-26-0914":            "DSPT-26-0914",
		"2026-09-15T15:00:00Z":    "2026-09-15T15:00:00Z",
	} {
		if got := spreadsheetSafe([]string{in})[0]; got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteHTMLIncidents: the board's incidents section, as a reader sees it.
func TestWriteHTMLIncidents(t *testing.T) {
	doc, _ := renderHTML(t)
	figures := map[string]string{}
	for _, n := range elements(doc, hasAttr("data-figure")) {
		v, _ := attr(n, "data-figure")
		figures[v] = text(n)
	}
	wantFigures := map[string]string{
		"open":            "3 open",
		"closed":          "1 closed in the last 12 months",
		"reportable":      "3 reportable to the ICO, and 1 not graded yet",
		"deadline-passed": "1 not reported to the ICO by the deadline",
		"notified-late":   "0 reported to the ICO late",
		"hours-to-notify": "30 h median time to notify the ICO (longest 30 h)",
	}
	if diff := cmp.Diff(wantFigures, figures); diff != "" {
		t.Errorf("figures mismatch (-want +got):\n%s", diff)
	}
	summary := elements(doc, func(n *html.Node) bool { v, _ := attr(n, "class"); return v == "summary" })[0]
	if got := text(summary); !strings.Contains(got, "3 open incidents; 1 ICO notification overdue") {
		t.Errorf("the headline figures %q do not give the overdue notification", got)
	}

	var order []string
	rows := map[string][]string{}
	for _, tr := range elements(doc, hasAttr("data-incident")) {
		v, _ := attr(tr, "data-incident")
		order = append(order, v)
		rows[v] = cells(tr)
	}
	// Open, the overdue one first; then the one closed this year; not the one closed in 2025.
	if diff := cmp.Diff([]string{"alpha/epr/snapshot-on-laptop", "alpha/epr/letter-wrong-address", "beta/web/directory-mobile-numbers",
		"beta/hr/rota-export-misdirected"}, order); diff != "" {
		t.Errorf("incident rows mismatch (-want +got):\n%s", diff)
	}
	want := map[string][]string{
		"alpha/epr/snapshot-on-laptop": {"alpha", "epr/snapshot-on-laptop", "EPR database snapshot copied to a contractor's unencrypted laptop",
			"patient-records", "2026-11-19 12:00 UTC", "4 × 4", "yes", "2026-11-22 12:00 UTC (passed)", "not reported",
			"no 1 of 1 containment actions not done", "patient-records-enc-01 (ENC-01, Open)"},
		"alpha/epr/letter-wrong-address": {"alpha", "epr/letter-wrong-address", "Appointment letter sent to a patient's previous address",
			"appointments", "2026-11-10 11:00 UTC", "2 × 2", "yes", "2026-11-13 11:00 UTC",
			"decided not to notify One letter, returned unopened by the new occupant the next day; it held an appointment time and no clinical detail.",
			"yes", "—"},
		"beta/web/directory-mobile-numbers": {"beta", "web/directory-mobile-numbers", "Staff directory page showed personal mobile numbers",
			"public-site", "2026-11-23 09:00 UTC", "2 × 2", "not graded yet", "2026-11-26 09:00 UTC", "—", "not graded yet", "—"},
		"beta/hr/rota-export-misdirected": {"beta", "hr/rota-export-misdirected", "Rota export with patients' names emailed to the wrong trust",
			"2026-09-14 09:00 UTC", "2026-10-20 16:00 UTC", "DSPT-26-0914-0172 2026-09-15 15:00 UTC, 30 h after awareness",
			"The rota export goes only to named recipients in the trust's address book, without patients' names."},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("incident rows mismatch (-want +got):\n%s", diff)
	}
	if overdue, _ := attr(elements(doc, hasAttr("data-overdue"))[0], "data-overdue"); overdue != incidents.ReasonDeadlinePassed {
		t.Errorf("the overdue row is marked %q, want DeadlinePassed", overdue)
	}
	if got := text(doc); !strings.Contains(got, "1 incident closed earlier is in the incident register ( isms-operator report -o incidents )") {
		t.Error("the report does not say where the incident closed before the 12 months is")
	}
}

// TestWriteHTMLNamesClustersWithoutIncidents: a cluster whose CRDs predate SecurityIncident
// is named, with the remedy; the report does not say "no incident" of it, and when no
// cluster serves incidents it shows no figure at all rather than 0.
func TestWriteHTMLNamesClustersWithoutIncidents(t *testing.T) {
	render := func(reg *Register) *html.Node {
		t.Helper()
		var buf bytes.Buffer
		if err := WriteHTML(&buf, reg, now); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(&buf)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	notServed := func(doc *html.Node) map[string]string {
		out := map[string]string{}
		for _, n := range elements(doc, hasAttr("data-not-served")) {
			v, _ := attr(n, "data-not-served")
			out[v] = text(n)
		}
		return out
	}

	reg := seeded()
	reg.Clusters[1].Incidents, reg.Clusters[1].IncidentsServed = nil, false // alpha
	doc := render(reg)
	if diff := cmp.Diff(map[string]string{"alpha": "Cluster alpha does not serve SecurityIncidents: upgrade its CRDs. Its incidents are not in this report."},
		notServed(doc)); diff != "" {
		t.Errorf("clusters named (-want +got):\n%s", diff)
	}
	summary := text(elements(doc, func(n *html.Node) bool { v, _ := attr(n, "class"); return v == "summary" })[0])
	if !strings.Contains(summary, "1 open incidents; not read from alpha") {
		t.Errorf("the headline figures %q do not say alpha's incidents were not read", summary)
	}

	reg.Clusters[0].Incidents, reg.Clusters[0].IncidentsServed = nil, false // beta as well
	doc = render(reg)
	if got := len(notServed(doc)); got != 2 {
		t.Errorf("%d clusters named as serving no incidents, want 2", got)
	}
	if got := elements(doc, hasAttr("data-figure")); len(got) != 0 {
		t.Errorf("with no cluster serving incidents the report shows %d incident figures, want none", len(got))
	}
	summary = text(elements(doc, func(n *html.Node) bool { v, _ := attr(n, "class"); return v == "summary" })[0])
	if !strings.Contains(summary, "— open incidents; not read from alpha, beta") {
		t.Errorf("the headline figures %q count incidents no cluster serves", summary)
	}
	if got := text(doc); strings.Contains(got, "No incident is open") {
		t.Error(`the report says "No incident is open" of clusters that do not serve incidents`)
	}
}

// TestSoAIncidentManagement: the organisational row's counts follow the clusters that
// serve incidents, and are empty (unknown), not 0, when none does.
func TestSoAIncidentManagement(t *testing.T) {
	lastRow := func(reg *Register) []string {
		t.Helper()
		var buf bytes.Buffer
		if err := WriteSoA(&buf, reg, now); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return records[len(records)-1]
	}
	reg := seeded()
	reg.Clusters[1].Incidents, reg.Clusters[1].IncidentsServed = nil, false // alpha: the overdue and the decided ones go
	row := lastRow(reg)
	if diff := cmp.Diff([]string{"1", "0", "100%"}, row[7:10]); diff != "" {
		t.Errorf("beta alone: passing, failing, pass rate mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(row[10], "; not counted: alpha, which do not serve SecurityIncidents (upgrade their CRDs)") {
		t.Errorf("the note %q does not name the cluster not counted", row[10])
	}
	reg.Clusters[0].Incidents, reg.Clusters[0].IncidentsServed = nil, false
	want := []string{"yes", "", "", "", "", "", "", "organisational control: no cluster serves SecurityIncidents (upgrade their CRDs), so no incident is counted"}
	if diff := cmp.Diff(want, lastRow(reg)[3:]); diff != "" {
		t.Errorf("no cluster serving incidents: mismatch (-want +got):\n%s", diff)
	}
}
