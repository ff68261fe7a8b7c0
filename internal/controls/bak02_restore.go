package controls

import (
	"fmt"
	"time"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// RestoreRecord is a tested restore of an asset.
type RestoreRecord struct {
	Time time.Time
	// Source names the evidence: a plan's exercise record or a Velero Restore.
	Source string
	// Duration is how long the restore took, when known.
	Duration time.Duration
}

// NewestRestoreTest returns the newest tested restore of the asset: a passed
// TechnicalRestore exercise in a ContinuityPlan that covers it, or a Velero Restore that
// completed with no errors from a Backup that covered it.
func NewestRestoreTest(e *Evidence) (RestoreRecord, bool) {
	var newest RestoreRecord
	found := false
	consider := func(r RestoreRecord) {
		if !found || r.Time.After(newest.Time) {
			newest, found = r, true
		}
	}
	for _, p := range CoveringPlans(e) {
		if p.Spec.Exercises == nil {
			continue
		}
		for i, r := range p.Spec.Exercises.Records {
			if r.Type == isms.ExerciseTechnicalRestore && r.Result == isms.ResultPassed {
				record := RestoreRecord{Time: r.Date.Time, Source: fmt.Sprintf("ContinuityPlan/%s exercise %d (%s)", p.Name, i, r.Date.UTC().Format(time.DateOnly))}
				if r.AchievedRTO != nil {
					record.Duration = r.AchievedRTO.Duration
				}
				consider(record)
			}
		}
	}
	if r, ok := NewestVeleroRestore(e); ok {
		consider(r)
	}
	return newest, found
}

// NewestVeleroRestore returns the newest Velero Restore that completed with no errors
// from a Backup that covered the asset, with how long it took.
func NewestVeleroRestore(e *Evidence) (RestoreRecord, bool) {
	var newest RestoreRecord
	found := false
	for _, r := range e.Backups.VeleroRestores {
		if r.Phase != "Completed" || r.Errors > 0 || r.Completed.IsZero() || !restoresAsset(e, r) || (found && !r.Completed.After(newest.Time)) {
			continue
		}
		newest, found = RestoreRecord{Time: r.Completed, Source: "Restore/" + r.Namespace + "/" + r.Name}, true
		if !r.Started.IsZero() {
			newest.Duration = r.Completed.Sub(r.Started)
		}
	}
	return newest, found
}

// restoresAsset reports whether a Restore took the asset: its own namespace and label
// filters take the asset's namespace and pods (wherever a namespace mapping put them),
// and its Backup, or its Schedule's backups, covered the asset (the storage location's
// state now says nothing of a restore already tested).
func restoresAsset(e *Evidence, r VeleroRestore) bool {
	if !takesNamespace(r.IncludedNamespaces, r.ExcludedNamespaces, e.Asset.Namespace) {
		return false
	}
	for _, w := range e.Workloads {
		if !selectedByVelero(r.LabelSelector, r.OrLabelSelectors, w.Template.Labels) {
			return false
		}
	}
	if r.Backup == "" && r.Schedule != "" {
		for _, s := range e.Backups.VeleroSchedules {
			if s.Namespace == r.Namespace && s.Name == r.Schedule {
				ok, _ := coversAsset(e, s.Template)
				return ok
			}
		}
		return false
	}
	for _, b := range e.Backups.VeleroBackups {
		if b.Namespace == r.Namespace && b.Name == r.Backup {
			ok, _ := coversAsset(e, b.Spec)
			return ok
		}
	}
	return false
}

// checkRestoreTested is BAK-02: a restore of the asset was tested within
// backup.restoreTestInterval (default 90 days).
func checkRestoreTested(e *Evidence) outcome {
	interval := DefaultRestoreTestInterval
	if c := e.Asset.Spec.Controls; c != nil && backup(c).RestoreTestInterval != nil {
		interval = backup(c).RestoreTestInterval.Duration
	}
	ref := "InformationAsset/" + e.Asset.Name
	newest, found := NewestRestoreTest(e)
	if !found && e.Offline && len(e.Backups.VeleroRestores) == 0 {
		return outcome{notEvaluated: "not evaluated: the manifests hold no Velero Restore or passed TechnicalRestore exercise, and restores tested are only known in a cluster"}
	}
	if !found {
		return outcome{findings: []isms.Finding{{Resource: ref, Message: "no tested restore of the asset was found: record a passed TechnicalRestore exercise in a ContinuityPlan that covers it, or run a Velero Restore, with no errors, of a backup that covers it"}}}
	}
	due := newest.Time.Add(interval)
	if !e.Now.Before(due) {
		return outcome{findings: []isms.Finding{{Resource: ref, Message: fmt.Sprintf(
			"the last tested restore, %s, was at %s, longer ago than the restore test interval %s; test a restore", newest.Source, formatTime(newest.Time), interval)}}}
	}
	return outcome{recheckAt: due, passed: []string{fmt.Sprintf("%s tested a restore at %s, within %s", newest.Source, formatTime(newest.Time), interval)}}
}
