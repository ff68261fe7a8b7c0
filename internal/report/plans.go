package report

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// planRow is one continuity plan's readiness, as the HTML and JSON outputs show it.
type planRow struct {
	Cluster, Namespace, Name string
	Assets                   []string
	// RTO and RPO are the plan's objectives, e.g. "4h", or "" when it sets none.
	RTO, RPO string
	// Ready is the Ready condition's status ("" before the operator evaluated the plan).
	Ready        metav1.ConditionStatus
	ReadyMessage string
	// The times are zero when unknown.
	LastBackup, LastExercise, NextExerciseDue time.Time
	LastExerciseType                          isms.ExerciseType
	// ExerciseOverdue: the next exercise was due before the report was generated.
	ExerciseOverdue bool
}

func planRows(clusters []Cluster, now time.Time) []planRow {
	var rows []planRow
	for _, cluster := range clusters {
		for _, plan := range cluster.Plans {
			row := planRow{Cluster: cluster.Name, Namespace: plan.Namespace, Name: plan.Name, Assets: []string{}}
			for _, a := range plan.Spec.Assets {
				row.Assets = append(row.Assets, a.Name)
			}
			if o := plan.Spec.Objectives; o != nil {
				row.RTO, row.RPO = duration(o.RTO), duration(o.RPO)
			}
			row.Ready, row.ReadyMessage = conditionStatus(plan.Status.Conditions, isms.ConditionReady)
			s := plan.Status
			if s.LastBackup != nil {
				row.LastBackup = s.LastBackup.Time
			}
			if s.LastExercise != nil {
				row.LastExercise, row.LastExerciseType = s.LastExercise.Date.Time, s.LastExercise.Type
			}
			if s.NextExerciseDue != nil {
				row.NextExerciseDue = s.NextExerciseDue.Time
				row.ExerciseOverdue = s.NextExerciseDue.Time.Before(now)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// duration writes a duration as people write it: "4h", "1h30m", "15m", not "4h0m0s".
func duration(d *metav1.Duration) string {
	if d == nil {
		return ""
	}
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
