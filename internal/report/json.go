package report

import (
	"encoding/json"
	"io"
	"time"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// JSONAPIVersion versions the JSON report's shape, so consumers can tell when it changes.
const JSONAPIVersion = "isms.nhs.uk/report/v1"

// jsonReport is the JSON report. Field names are stable: consumers script against them.
type jsonReport struct {
	APIVersion  string         `json:"apiVersion"`
	GeneratedAt string         `json:"generatedAt"`
	Clusters    []string       `json:"clusters"`
	Risks       []riskRow      `json:"risks"`
	Assets      []jsonAsset    `json:"assets"`
	Plans       []jsonPlan     `json:"plans"`
	Incidents   []jsonIncident `json:"incidents"`
	// IncidentsNotServed are the clusters that do not serve SecurityIncidents: their
	// incidents are unknown, not none.
	IncidentsNotServed []string `json:"incidentsNotServed"`
}

// jsonAsset is one asset's compliance.
type jsonAsset struct {
	Cluster        string `json:"cluster"`
	Namespace      string `json:"namespace"`
	Name           string `json:"name"`
	Owner          string `json:"owner"`
	Classification string `json:"classification"`
	Criticality    string `json:"criticality"`
	// Compliance is status.compliance, "passing+accepted/required".
	Compliance string `json:"compliance"`
	// Compliant is the Compliant condition's status: True, False, Unknown, or "" before
	// the operator evaluated the asset.
	Compliant     string        `json:"compliant"`
	OpenRisks     int           `json:"openRisks"`
	AcceptedRisks int           `json:"acceptedRisks"`
	Controls      []jsonControl `json:"controls"`
}

// jsonControl is one control's result for an asset.
type jsonControl struct {
	Control      string `json:"control"`
	Family       string `json:"family"`
	Level        string `json:"level"`
	DefaultLevel string `json:"defaultLevel"`
	// Outcome is Pass, Fail, NotEvaluated or NotRequired.
	Outcome string `json:"outcome"`
	// Accepted: the control fails under an Accepted Risk.
	Accepted bool `json:"accepted"`
}

// jsonPlan is one continuity plan's readiness. Times are RFC 3339, "" when unknown.
type jsonPlan struct {
	Cluster          string   `json:"cluster"`
	Namespace        string   `json:"namespace"`
	Name             string   `json:"name"`
	Assets           []string `json:"assets"`
	RTO              string   `json:"rto"`
	RPO              string   `json:"rpo"`
	Ready            string   `json:"ready"`
	ReadyMessage     string   `json:"readyMessage"`
	LastBackup       string   `json:"lastBackup"`
	LastExercise     string   `json:"lastExercise"`
	LastExerciseType string   `json:"lastExerciseType"`
	NextExerciseDue  string   `json:"nextExerciseDue"`
	ExerciseOverdue  bool     `json:"exerciseOverdue"`
}

// jsonIncident is one SecurityIncident, as WriteIncidentsCSV writes it. Times are RFC 3339,
// "" when unknown.
type jsonIncident struct {
	Cluster    string   `json:"cluster"`
	Namespace  string   `json:"namespace"`
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Assets     []string `json:"assets"`
	DetectedAt string   `json:"detectedAt"`
	AwareAt    string   `json:"awareAt"`
	Likelihood int32    `json:"likelihood"`
	Severity   int32    `json:"severity"`
	// Reportable is the operator's grading, null when it has not graded the incident yet.
	Reportable           *bool  `json:"reportable"`
	NotificationDeadline string `json:"notificationDeadline"`
	ICOReference         string `json:"icoReference"`
	NotifiedAt           string `json:"notifiedAt"`
	NotifiedBy           string `json:"notifiedBy"`
	// HoursToNotify is notifiedAt - awareAt to a tenth of an hour, null when not notified.
	HoursToNotify *float64 `json:"hoursToNotify"`
	// NotificationOverdue is DeadlinePassed, NotifiedLate or "".
	NotificationOverdue string `json:"notificationOverdue"`
	// DecisionNotToNotify is the decision's justification, "" when none.
	DecisionNotToNotify string `json:"decisionNotToNotify"`
	// Contained is the Contained condition's status, "" before the operator graded it.
	Contained        string              `json:"contained"`
	ClosedAt         string              `json:"closedAt"`
	RisksAtDetection []isms.IncidentRisk `json:"risksAtDetection"`
	LessonsLearned   string              `json:"lessonsLearned"`
}

// WriteJSON writes the report as one JSON document: the risk register's rows (the same
// as WriteCSV's), each asset's compliance control by control, and each continuity plan's
// readiness, and the incident register (as WriteIncidentsCSV's rows, with the clusters
// that do not serve it), every entry labelled with its cluster.
func WriteJSON(w io.Writer, reg *Register, now time.Time) error {
	clusters := sortedClusters(reg)
	report := jsonReport{
		APIVersion:  JSONAPIVersion,
		GeneratedAt: now.UTC().Format(time.RFC3339),
		Clusters:    clusterNames(clusters),
		Risks:       riskRows(clusters, reg.bands(), now),
		Assets:      []jsonAsset{},
		Plans:       []jsonPlan{},
		Incidents:   []jsonIncident{},
		// Never null: a consumer iterates it.
		IncidentsNotServed: append([]string{}, notServed(clusters)...),
	}
	for _, a := range allResults(clusters) {
		asset := jsonAsset{
			Cluster: a.Cluster, Namespace: a.Asset.Namespace, Name: a.Asset.Name, Owner: person(a.Asset.Spec.Owner),
			Classification: string(a.Asset.Spec.Classification), Criticality: string(a.Asset.Spec.Criticality),
			Compliance: a.Asset.Status.Compliance, OpenRisks: a.OpenRisks, AcceptedRisks: a.AcceptedRisks,
			Controls: []jsonControl{},
		}
		compliant, _ := conditionStatus(a.Asset.Status.Conditions, isms.ConditionCompliant)
		asset.Compliant = string(compliant)
		for _, r := range a.Controls {
			asset.Controls = append(asset.Controls, jsonControl{
				Control: string(r.Control), Family: r.Family, Level: string(r.Level), DefaultLevel: string(r.DefaultLevel),
				Outcome: string(r.Outcome), Accepted: r.Accepted,
			})
		}
		report.Assets = append(report.Assets, asset)
	}
	for _, p := range planRows(clusters, now) {
		report.Plans = append(report.Plans, jsonPlan{
			Cluster: p.Cluster, Namespace: p.Namespace, Name: p.Name, Assets: p.Assets, RTO: p.RTO, RPO: p.RPO,
			Ready: string(p.Ready), ReadyMessage: p.ReadyMessage,
			LastBackup: rfc3339(p.LastBackup), LastExercise: rfc3339(p.LastExercise), LastExerciseType: string(p.LastExerciseType),
			NextExerciseDue: rfc3339(p.NextExerciseDue), ExerciseOverdue: p.ExerciseOverdue,
		})
	}
	for _, r := range incidentRows(clusters, now) {
		incident := jsonIncident{
			Cluster: r.Cluster, Namespace: r.Namespace, Name: r.Name, Title: r.Title, Assets: r.Assets,
			DetectedAt: rfc3339(r.DetectedAt), AwareAt: rfc3339(r.AwareAt), Likelihood: r.Likelihood, Severity: r.Severity,
			Reportable: r.Reportable, NotificationDeadline: rfc3339(r.Deadline),
			ICOReference: r.ICOReference, NotifiedAt: rfc3339(r.NotifiedAt), NotifiedBy: r.NotifiedBy,
			NotificationOverdue: r.Overdue, DecisionNotToNotify: r.Decision, Contained: string(r.Contained),
			ClosedAt: rfc3339(r.ClosedAt), RisksAtDetection: r.RisksAtDetection, LessonsLearned: r.LessonsLearned,
		}
		if r.Notified() {
			h := hours(r.ToNotify())
			incident.HoursToNotify = &h
		}
		if incident.RisksAtDetection == nil {
			incident.RisksAtDetection = []isms.IncidentRisk{}
		}
		report.Incidents = append(report.Incidents, incident)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
