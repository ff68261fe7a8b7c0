package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

func TestResultsReadTheAssetStatus(t *testing.T) {
	// want[asset] lists the outcome of each control in catalogue order:
	// ENC-01 ENC-02 ENC-03 BAK-01 BAK-02 ACC-01 ACC-02 ACC-03 ACC-04 GOV-01 BCP-01.
	const (
		P  = outcomePass
		F  = outcomeFail
		NE = outcomeNotEvaluated
		NR = outcomeNotRequired
	)
	want := map[string][]outcome{
		"alpha/epr/patient-records": {F, P, F, P, P, P, P, P, P, P, P},
		"alpha/epr/appointments":    {NR, P, NR, NE, NE, F, P, F, P, NR, NR},
		"beta/hr/staff-records":     {P, F, NR, P, P, P, P, P, P, F, F},
		"beta/web/public-site":      {NR, NE, NR, NE, NE, NE, NE, NE, NE, NE, NR},
	}
	reasons := map[string]string{
		"alpha/epr/patient-records": "ENC-03 fails at Recommended, ACC-02's advisory is no failure",
		"alpha/epr/appointments":    "BAK is not evaluated; overrides make ENC-01 and GOV-01 NotRequired",
		"beta/hr/staff-records":     "a failure under an accepted risk still fails",
		"beta/web/public-site":      "never evaluated: nothing passes on no evidence",
	}
	got := map[string][]outcome{}
	var accepted []string
	for _, a := range allResults(sortedClusters(seeded())) {
		key := a.Cluster + "/" + a.Asset.Namespace + "/" + a.Asset.Name
		for _, r := range a.Controls {
			got[key] = append(got[key], r.Outcome)
			if r.Accepted {
				accepted = append(accepted, key+" "+string(r.Control))
			}
		}
	}
	for key := range want {
		if diff := cmp.Diff(want[key], got[key]); diff != "" {
			t.Errorf("%s (%s): outcomes mismatch (-want +got):\n%s", key, reasons[key], diff)
		}
	}
	if diff := cmp.Diff([]string{"beta/hr/staff-records ENC-02"}, accepted); diff != "" {
		t.Errorf("accepted failures mismatch (-want +got):\n%s", diff)
	}
}

func TestOutcomeIsTheOperatorsRecord(t *testing.T) {
	recorded := func(level isms.ControlLevel, status isms.ControlOutcomeStatus) *isms.InformationAsset {
		a := asset("epr", "patient-records", isms.ClassificationOfficialSensitive, isms.CriticalityCritical, isms.DataPatientIdentifiable)
		a.Status.Controls = []isms.ControlOutcome{{Control: isms.ControlBackupRecent, Level: level, Status: status}}
		// The family condition says BackedUp is False (BAK-02 failed): it says nothing of BAK-01.
		a.Status.Conditions = []metav1.Condition{cond(isms.ConditionBackedUp, metav1.ConditionFalse)}
		return &a
	}
	bak01, bak02 := isms.ControlBackupRecent, isms.ControlRestoreTested
	cases := []struct {
		name    string
		asset   *isms.InformationAsset
		control isms.ControlID
		level   isms.ControlLevel
		want    outcome
	}{
		{"recorded Pass", recorded(isms.LevelRequired, isms.OutcomePass), bak01, isms.LevelRequired, outcomePass},
		{"recorded Fail", recorded(isms.LevelRequired, isms.OutcomeFail), bak01, isms.LevelRequired, outcomeFail},
		{"recorded NotEvaluated in a failing family", recorded(isms.LevelRequired, isms.OutcomeNotEvaluated), bak01, isms.LevelRequired, outcomeNotEvaluated},
		{"recorded at another level than the spec's now", recorded(isms.LevelRecommended, isms.OutcomePass), bak01, isms.LevelRequired, outcomeNotEvaluated},
		{"not recorded", recorded(isms.LevelRequired, isms.OutcomePass), bak02, isms.LevelRequired, outcomeNotEvaluated},
		{"not required", recorded(isms.LevelRequired, isms.OutcomeFail), bak01, isms.LevelNotRequired, outcomeNotRequired},
	}
	for _, tc := range cases {
		if got := outcomeOf(tc.asset, tc.control, tc.level); got != tc.want {
			t.Errorf("%s: outcome %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, seeded(), now); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the output is not CSV: %v", err)
	}
	wantHeader := []string{"cluster", "id", "title", "asset", "owner", "control", "references", "likelihood", "consequence",
		"score", "rating", "state", "treatment", "target score", "review due", "first detected", "history summary"}
	if diff := cmp.Diff(wantHeader, records[0]); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	const jane = "Jane Smith <jane.smith@nhs.net>"
	// Sorted by cluster, namespace and name, whatever order the register holds them in.
	want := [][]string{
		{"alpha", "epr/appointments-acc-01", "appointments-acc-01 title", "appointments", jane, "ACC-01",
			"iso27001-2022:A.8.2 iso27001-2022:A.8.9 caf-3.2:B4.b ndg:9 nhs-cop-2007:22-24",
			"3", "3", "9", "High", "Open", "Treat", "3", "2026-12-10", "", ""},
		{"alpha", "epr/patient-records-enc-01", "patient-records-enc-01 title", "patient-records", jane, "ENC-01",
			"iso27001-2022:A.8.24 caf-3.2:B3.c ndg:9 nhs-cop-2007:22-24",
			"2", "5", "10", "High", "Open", "", "", "2026-12-30", "2026-11-01", "2026-11-01 Open DriftDetected"},
		{"alpha", "epr/supplier-outage", `EPR supplier outage <script>alert("x")</script>`, "patient-records", jane, "", "",
			"4", "5", "20", "Extreme", "Open", "", "", "2026-10-01", "",
			"2026-03-03 Open AcceptanceExpired; 2026-03-04 Accepted RiskAccepted; 2026-03-05 Open AcceptanceWithdrawn; 2026-03-06 Closed Closed; 2026-03-07 Open Reopened"},
		{"beta", "hr/payroll-export", "payroll-export title", "", jane, "", "",
			"2", "5", "10", "High", "Open", "Transfer", "", "2026-12-30", "", ""},
		{"beta", "hr/staff-records-acc-01", "staff-records-acc-01 title", "staff-records", jane, "ACC-01",
			"iso27001-2022:A.8.2 iso27001-2022:A.8.9 caf-3.2:B4.b ndg:9 nhs-cop-2007:22-24",
			"3", "4", "12", "High", "Resolved", "", "", "", "2026-11-01", "2026-11-01 Open DriftDetected; 2026-11-02 Resolved DriftCorrected"},
		{"beta", "hr/staff-records-bcp-01", "staff-records-bcp-01 title", "staff-records", jane, "BCP-01",
			"iso27001-2022:A.5.29 iso27001-2022:A.5.30 caf-3.2:B5.a caf-3.2:D1.a caf-3.2:D1.c ndg:7 nhs-cop-2007:24",
			"2", "4", "8", "High", "Open", "", "", "2026-12-30", "", ""},
		{"beta", "hr/staff-records-enc-02", "staff-records-enc-02 title", "staff-records", jane, "ENC-02",
			"iso27001-2022:A.8.24 iso27001-2022:A.8.20 caf-3.2:B3.b ndg:9 nhs-cop-2007:22-24",
			"4", "4", "16", "Extreme", "Accepted", "Tolerate", "", "2026-10-31", "", ""},
		{"beta", "hr/staff-records-gov-01", "staff-records-gov-01 title", "staff-records", "Sam Patel", "GOV-01",
			"iso27001-2022:A.5.9 iso27001-2022:A.5.12 caf-3.2:A3.a caf-3.2:B3.a ndg:1 nhs-cop-2007:31-33",
			"2", "4", "8", "High", "Open", "", "", "2026-12-30", "", ""},
		{"beta", "web/public-site-closed", "public-site-closed title", "public-site", jane, "", "",
			"5", "5", "25", "Extreme", "Closed", "", "", "", "", ""},
	}
	reasons := map[string]string{
		"epr/appointments-acc-01":    "its own 720h interval after its last review; target 1x3",
		"epr/patient-records-enc-01": "High: 90 days after creation",
		"epr/supplier-outage":        "Extreme: 30 days after the last review; a Declared risk quotes no references; the last 5 of 7 transitions, newest last",
		"hr/payroll-export":          "not seen by the operator yet: score from the spec, rating from the NPSA bands",
		"hr/staff-records-acc-01":    "Resolved: no review due",
		"hr/staff-records-enc-02":    "Accepted still needs reviews: Extreme, 30 days after creation",
		"web/public-site-closed":     "Closed: no review due",
	}
	got := records[1:]
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if diff := cmp.Diff(want[i], got[i]); diff != "" {
			t.Errorf("row %d %s (%s) mismatch (-want +got):\n%s", i+1, want[i][1], reasons[want[i][1]], diff)
		}
	}
}

func TestWriteCSVOfAnEmptyRegisterIsItsHeader(t *testing.T) {
	for format, write := range map[string]func(io.Writer, *Register, time.Time) error{"csv": WriteCSV, "incidents": WriteIncidentsCSV} {
		for name, reg := range map[string]*Register{"nil": nil, "no clusters": {}, "an empty cluster": {Clusters: []Cluster{{Name: "a"}}}} {
			var buf bytes.Buffer
			if err := write(&buf, reg, now); err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(buf.String(), "\n"); got != 1 {
				t.Errorf("%s of %s: got %d lines, want the header alone:\n%s", format, name, got, buf.String())
			}
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, seeded(), now); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("the output is not JSON: %v", err)
	}
	top := map[string]any{"apiVersion": doc["apiVersion"], "generatedAt": doc["generatedAt"], "clusters": doc["clusters"]}
	if diff := cmp.Diff(map[string]any{"apiVersion": "isms.nhs.uk/report/v1", "generatedAt": "2026-11-23T12:00:00Z",
		"clusters": []any{"alpha", "beta"}}, top); diff != "" {
		t.Errorf("top-level fields mismatch (-want +got):\n%s", diff)
	}

	// Field names are part of the contract: check one risk row whole.
	risks := doc["risks"].([]any)
	if len(risks) != 9 {
		t.Fatalf("got %d risks, want 9", len(risks))
	}
	wantRisk := map[string]any{
		"cluster": "alpha", "id": "epr/appointments-acc-01", "title": "appointments-acc-01 title", "asset": "appointments",
		"owner": "Jane Smith <jane.smith@nhs.net>", "control": "ACC-01",
		"references": []any{"iso27001-2022:A.8.2", "iso27001-2022:A.8.9", "caf-3.2:B4.b", "ndg:9", "nhs-cop-2007:22-24"},
		"likelihood": 3.0, "consequence": 3.0, "score": 9.0, "rating": "High", "state": "Open", "treatment": "Treat",
		"targetScore": 3.0, "reviewDue": "2026-12-10", "firstDetected": "", "historySummary": "", "reviewOverdue": false,
	}
	if diff := cmp.Diff(wantRisk, risks[0]); diff != "" {
		t.Errorf("risk row mismatch (-want +got):\n%s", diff)
	}
	if got := risks[1].(map[string]any)["targetScore"]; got != nil {
		t.Errorf("targetScore of a risk with no target = %v, want null", got)
	}
	if got := risks[8].(map[string]any)["references"]; !cmp.Equal(got, []any{}) {
		t.Errorf("references of a Declared risk = %#v, want []", got)
	}

	// Asset compliance, control by control.
	var report struct {
		Assets []jsonAsset `json:"assets"`
		Plans  []jsonPlan  `json:"plans"`
	}
	if err := json.Unmarshal(buf.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	var assets []string
	for _, a := range report.Assets {
		assets = append(assets, a.Cluster+"/"+a.Namespace+"/"+a.Name)
	}
	if diff := cmp.Diff([]string{"alpha/epr/appointments", "alpha/epr/patient-records", "beta/hr/staff-records", "beta/web/public-site"}, assets); diff != "" {
		t.Errorf("assets mismatch (-want +got):\n%s", diff)
	}
	staff := report.Assets[2]
	staff.Controls = slices.DeleteFunc(staff.Controls, func(c jsonControl) bool { return c.Control != "ENC-02" && c.Control != "GOV-01" })
	wantStaff := jsonAsset{
		Cluster: "beta", Namespace: "hr", Name: "staff-records", Owner: "Sam Patel", Classification: "OFFICIAL", Criticality: "High",
		Compliance: "6/9", Compliant: "False", OpenRisks: 2, AcceptedRisks: 1,
		Controls: []jsonControl{
			{Control: "ENC-02", Family: "EncryptedInTransit", Level: "Required", DefaultLevel: "Required", Outcome: "Fail", Accepted: true},
			{Control: "GOV-01", Family: "Reviewed", Level: "Required", DefaultLevel: "Required", Outcome: "Fail"},
		},
	}
	if diff := cmp.Diff(wantStaff, staff); diff != "" {
		t.Errorf("staff-records compliance mismatch (-want +got):\n%s", diff)
	}
	if got := len(report.Assets[0].Controls); got != len(controls.Catalogue) {
		t.Errorf("appointments has %d controls, want every control of the catalogue (%d)", got, len(controls.Catalogue))
	}
	if got := report.Assets[0].Controls[0]; got.Level != "NotRequired" || got.DefaultLevel != "Required" || got.Outcome != "NotRequired" {
		t.Errorf("appointments ENC-01 = %+v, want NotRequired over a Required default", got)
	}

	// Plan readiness.
	wantPlans := []jsonPlan{
		{Cluster: "alpha", Namespace: "epr", Name: "epr-continuity", Assets: []string{"patient-records"}, RTO: "4h", RPO: "1h",
			Ready: "True", ReadyMessage: "Backups are within the RPO and the plan was exercised.",
			LastBackup: "2026-11-23T11:00:00Z", LastExercise: "2026-09-15T10:00:00Z", LastExerciseType: "TechnicalRestore",
			NextExerciseDue: "2027-09-15T10:00:00Z"},
		{Cluster: "beta", Namespace: "hr", Name: "hr-continuity", Assets: []string{"staff-records", "payroll"}, RTO: "1h30m", RPO: "24h",
			Ready: "False", ReadyMessage: "staff-records: the newest backup is older than the RPO.",
			LastBackup: "2026-11-20T02:00:00Z", NextExerciseDue: "2026-10-01T00:00:00Z", ExerciseOverdue: true},
	}
	if diff := cmp.Diff(wantPlans, report.Plans); diff != "" {
		t.Errorf("plans mismatch (-want +got):\n%s", diff)
	}

	// Incidents: the rows of WriteIncidentsCSV, typed; field names checked on one whole.
	incidents := doc["incidents"].([]any)
	if len(incidents) != 5 {
		t.Fatalf("got %d incidents, want 5", len(incidents))
	}
	wantRota := map[string]any{
		"cluster": "beta", "namespace": "hr", "name": "rota-export-misdirected",
		"title": "Rota export with patients' names emailed to the wrong trust", "assets": []any{"staff-records"},
		"detectedAt": "2026-09-14T07:30:00Z", "awareAt": "2026-09-14T09:00:00Z", "likelihood": 3.0, "severity": 3.0,
		"reportable": true, "notificationDeadline": "2026-09-17T09:00:00Z", "icoReference": "DSPT-26-0914-0172",
		"notifiedAt": "2026-09-15T15:00:00Z", "notifiedBy": "Priya Shah <priya.shah@nhs.net>", "hoursToNotify": 30.0,
		"notificationOverdue": "", "decisionNotToNotify": "", "contained": "True", "closedAt": "2026-10-20T16:00:00Z",
		"risksAtDetection": []any{map[string]any{"name": "staff-records-gov-01", "asset": "staff-records", "control": "GOV-01", "state": "Open"}},
		"lessonsLearned":   "The rota export goes only to named recipients in the trust's address book, without patients' names.",
	}
	if diff := cmp.Diff(wantRota, incidents[3]); diff != "" {
		t.Errorf("incident mismatch (-want +got):\n%s", diff)
	}
	directory := incidents[4].(map[string]any)
	if directory["reportable"] != nil || directory["hoursToNotify"] != nil || directory["contained"] != "" {
		t.Errorf("an incident not graded yet: reportable %v, hoursToNotify %v, contained %q; want null, null, empty",
			directory["reportable"], directory["hoursToNotify"], directory["contained"])
	}
	if got := incidents[1].(map[string]any)["notificationOverdue"]; got != "DeadlinePassed" {
		t.Errorf("notificationOverdue of the unreported incident past its deadline = %v, want DeadlinePassed", got)
	}
	if !cmp.Equal(doc["incidentsNotServed"], []any{}) {
		t.Errorf("incidentsNotServed = %#v, want []", doc["incidentsNotServed"])
	}
}

func TestWriteJSONOfAnEmptyRegisterHasEmptyLists(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, &Register{}, now); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"clusters", "risks", "assets", "plans", "incidents", "incidentsNotServed"} {
		if !cmp.Equal(doc[field], []any{}) {
			t.Errorf("%s = %#v, want [] (consumers iterate it)", field, doc[field])
		}
	}
}

func TestWriteSoA(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSoA(&buf, seeded(), now); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the output is not CSV: %v", err)
	}
	wantHeader := []string{"control", "title", "references", "applies", "assets required", "assets recommended", "assets not required",
		"passing", "failing", "pass rate", "justifications"}
	if diff := cmp.Diff(wantHeader, records[0]); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	if len(records)-1 != len(controls.Catalogue)+1 {
		t.Fatalf("got %d rows, want one per control (%d) and incident management", len(records)-1, len(controls.Catalogue))
	}
	// Columns from "applies" on; ID, title and references are checked against the catalogue.
	want := map[string][]string{
		"ENC-01": {"yes", "2", "0", "2", "1", "1", "50%",
			"alpha/epr/appointments: Holds no volumes: appointments live in the EPR database.; beta/web/public-site: Stateless; serves only public content."},
		"ENC-02": {"yes", "4", "0", "0", "2", "1", "66%", ""},
		"ENC-03": {"yes", "0", "1", "3", "0", "1", "0%", ""},
		"BAK-01": {"yes", "3", "1", "0", "2", "0", "100%", ""},
		"BAK-02": {"yes", "1", "3", "0", "2", "0", "100%", ""},
		"ACC-01": {"yes", "4", "0", "0", "2", "1", "66%", ""},
		"ACC-02": {"yes", "1", "3", "0", "3", "0", "100%", ""},
		"ACC-03": {"yes", "1", "3", "0", "2", "1", "66%", ""},
		"ACC-04": {"yes", "1", "3", "0", "3", "0", "100%", ""},
		"GOV-01": {"yes", "3", "0", "1", "1", "1", "50%", "alpha/epr/appointments: no justification recorded"},
		"BCP-01": {"yes", "2", "0", "2", "1", "1", "50%", ""},
	}
	reasons := map[string]string{
		"ENC-01": "two assets override a Required default with a justification; pass rate over evaluated assets only",
		"ENC-02": "the accepted failure still fails; public-site is not evaluated; 2/3 rounds down",
		"ENC-03": "Recommended for the one sensitive asset, NotRequired by default elsewhere: applies, no justification needed",
		"BAK-01": "not evaluated results count neither way",
		"GOV-01": "NotRequired over a Required default with no justification: the gap is shown",
		"BCP-01": "NotRequired by default (no plan, not High): no justification needed",
	}
	for i, c := range controls.Catalogue {
		row := records[i+1]
		if diff := cmp.Diff([]string{string(c.ID), c.Title, strings.Join(c.References, " ")}, row[:3]); diff != "" {
			t.Errorf("%s: catalogue columns mismatch (-want +got):\n%s", c.ID, diff)
		}
		if diff := cmp.Diff(want[string(c.ID)], row[3:]); diff != "" {
			t.Errorf("%s (%s) mismatch (-want +got):\n%s", c.ID, reasons[string(c.ID)], diff)
		}
	}
	// Incident management is organisational: no asset columns; passing and failing count
	// the 4 incidents open or closed in the last 12 months by the 72-hour rule: the one
	// reported in 30 hours and the one decided not to notify pass, the one not reported by
	// its deadline fails, the one not graded yet is within its deadline.
	wantIncidents := []string{"incident-management",
		"Information security incidents are recorded against their assets, and reportable ones reported to the ICO within 72 hours",
		"iso27001-2022:A.5.24 iso27001-2022:A.5.25 iso27001-2022:A.5.26 iso27001-2022:A.5.27 iso27001-2022:A.5.28 caf-3.2:D1 caf-3.2:D2 ndg:6 nhs-cop-2007:24",
		"yes", "", "", "", "2", "1", "66%",
		"organisational control, counted per incident, not per asset: 4 incidents open or closed since 2025-11-23; " +
			"failing: not reported to the ICO within 72 hours of awareness when reportable or not graded yet (1 still not reported, 0 reported late); " +
			"passing: reported in time, graded not reportable, or decided not to notify with a justification; counted neither way: 1 within their deadline"}
	if diff := cmp.Diff(wantIncidents, records[len(records)-1]); diff != "" {
		t.Errorf("incident management mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteSoAWithNothingApplying(t *testing.T) {
	// One OFFICIAL, Low asset: ENC-03 and BCP-01 are NotRequired by default, so they do
	// not apply, need no justification, and have no pass rate.
	site := asset("web", "public-site", isms.ClassificationOfficial, isms.CriticalityLow)
	reg := &Register{Clusters: []Cluster{{Name: "only", Assets: []isms.InformationAsset{site}}}}
	var buf bytes.Buffer
	if err := WriteSoA(&buf, reg, now); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, row := range records[1 : len(records)-1] {
		got[row[0]] = row[3:]
	}
	for _, id := range []string{"ENC-03", "BCP-01"} {
		if diff := cmp.Diff([]string{"no", "0", "0", "1", "0", "0", "", ""}, got[id]); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", id, diff)
		}
	}
	if diff := cmp.Diff([]string{"yes", "1", "0", "0", "0", "0", "", ""}, got["ENC-01"]); diff != "" {
		t.Errorf("ENC-01 of a never-evaluated asset mismatch (-want +got):\n%s", diff)
	}
}

func TestNaturalCompare(t *testing.T) {
	refs := []string{"A.8.24", "A.5.15", "A.5.9", "A.8.2", "A.5.30", "22-24", "A.8.20", "24", "31-33", "B3.c", "B3.b", "A3.a"}
	slices.SortFunc(refs, naturalCompare)
	want := []string{"22-24", "24", "31-33", "A.5.9", "A.5.15", "A.5.30", "A.8.2", "A.8.20", "A.8.24", "A3.a", "B3.b", "B3.c"}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]string{"4h": "4h", "90m": "1h30m", "15m": "15m", "24h": "24h", "30s": "30s", "1h0m30s": "1h0m30s"} {
		if got := duration(dur(in)); got != want {
			t.Errorf("duration(%s) = %q, want %q", in, got, want)
		}
	}
	if got := duration(nil); got != "" {
		t.Errorf("duration(nil) = %q, want empty", got)
	}
}
