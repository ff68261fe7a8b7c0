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
	// Detail says what was tested, e.g. "Restore of Backup velero/daily-1, no errors, in 40m0s".
	Detail string
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
				record := RestoreRecord{Time: r.Date.Time, Source: fmt.Sprintf("ContinuityPlan/%s exercise %d (%s)", p.Name, i, r.Date.UTC().Format(time.DateOnly)),
					Detail: "a passed TechnicalRestore exercise"}
				if r.AchievedRTO != nil {
					record.Duration = r.AchievedRTO.Duration
					record.Detail += ", achieved RTO " + FormatDuration(r.AchievedRTO.Duration)
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
// from a Backup that covered the asset, with how long it took. An asset whose selector
// matches no workload has none: a Restore of a namespace-wide Backup shows nothing of it.
func NewestVeleroRestore(e *Evidence) (RestoreRecord, bool) {
	var newest RestoreRecord
	found := false
	for _, r := range e.Backups.VeleroRestores {
		if r.Phase != "Completed" || r.Errors > 0 || r.Completed.IsZero() || (found && !r.Completed.After(newest.Time)) {
			continue
		}
		of, ok := restoresAsset(e, r)
		if !ok {
			continue
		}
		newest, found = RestoreRecord{Time: r.Completed, Source: "Restore/" + r.Namespace + "/" + r.Name}, true
		newest.Detail = "Restore of " + of + ", no errors"
		if !r.Started.IsZero() {
			newest.Duration = r.Completed.Sub(r.Started)
			newest.Detail += ", in " + FormatDuration(newest.Duration)
		}
	}
	return newest, found
}

// restoresAsset reports whether a Restore took the asset: its own namespace and label
// filters take the asset's namespace and pods (wherever a namespace mapping put them),
// and its Backup, or its Schedule's backups, covered the asset (the storage location's
// state now says nothing of a restore already tested). of names what it restored, and
// says when the Backup's resource policy was not evaluated.
func restoresAsset(e *Evidence, r VeleroRestore) (of string, ok bool) {
	if len(e.Workloads) == 0 || !takesNamespace(r.IncludedNamespaces, r.ExcludedNamespaces, e.Asset.Namespace) {
		return "", false
	}
	for _, w := range e.Workloads {
		if !selectedByVelero(r.LabelSelector, r.OrLabelSelectors, w.Template.Labels) {
			return "", false
		}
	}
	var spec *VeleroBackupSpec
	if r.Backup == "" && r.Schedule != "" {
		of = fmt.Sprintf("the newest backup of Schedule %s/%s", r.Namespace, r.Schedule)
		for i, s := range e.Backups.VeleroSchedules {
			if s.Namespace == r.Namespace && s.Name == r.Schedule {
				spec = &e.Backups.VeleroSchedules[i].Template
			}
		}
	} else {
		of = fmt.Sprintf("Backup %s/%s", r.Namespace, r.Backup)
		for i, b := range e.Backups.VeleroBackups {
			if b.Namespace == r.Namespace && b.Name == r.Backup {
				spec = &e.Backups.VeleroBackups[i].Spec
			}
		}
	}
	if spec == nil || !coversAsset(e, *spec).captures {
		return "", false
	}
	if spec.ResourcePolicy != "" {
		of += " (resource policy ConfigMap " + spec.ResourcePolicy + " not evaluated)"
	}
	return of, true
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
			"the last tested restore, %s, was at %s, longer ago than the restore test interval %s; test a restore", newest.Source, formatTime(newest.Time), FormatDuration(interval))}}}
	}
	return outcome{recheckAt: due, passed: []string{fmt.Sprintf("%s tested a restore at %s, within the restore test interval %s: %s", newest.Source, formatTime(newest.Time), FormatDuration(interval), newest.Detail)}}
}
