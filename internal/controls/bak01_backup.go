package controls

import (
	"fmt"
	"strings"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// checkBackupRecent is BAK-01: the newest backup that captured the asset, volumes
// included, is younger than backup.maxAge, or a covering plan's RPO when stricter.
func checkBackupRecent(e *Evidence) outcome {
	if e.Offline && !e.Backups.VeleroInstalled && len(e.Backups.VolumeSnapshots) == 0 {
		return outcome{notEvaluated: "not evaluated: the manifests hold no Velero Backup or VolumeSnapshot, and whether backups ran is only known in a cluster"}
	}
	limit, limitSource := MaxBackupAge(e)
	newest, found, notes := NewestBackup(e)
	ref := "InformationAsset/" + e.Asset.Name
	if !found {
		message := "no complete backup captures the asset and its volume data"
		if missing := claimsWithoutSnapshot(e); e.Backups.SnapshotsInstalled && len(missing) > 0 {
			notes = append(notes, "no ready VolumeSnapshot of "+strings.Join(missing, ", "))
		}
		if len(notes) > 0 {
			message += ": " + strings.Join(notes, "; ")
		}
		return outcome{findings: []isms.Finding{{Resource: ref, Message: message}}}
	}
	due := newest.Time.Add(limit)
	if !e.Now.Before(due) {
		message := fmt.Sprintf("the newest complete backup, %s, finished at %s (%s), so it is older than %s", newest.Source, formatTime(newest.Time), newest.Detail, limitSource)
		if len(notes) > 0 {
			message += ": " + strings.Join(notes, "; ")
		}
		return outcome{findings: []isms.Finding{{Resource: ref, Message: message}}}
	}
	return outcome{recheckAt: due, passed: []string{fmt.Sprintf("%s %s at %s, within %s: %s", newest.Source, backupEvent(newest), formatTime(newest.Time), limitSource, newest.Detail)}}
}

// backupEvent says what the time of a backup record is: when a Velero Backup completed, or
// when a VolumeSnapshot was taken.
func backupEvent(r BackupRecord) string {
	if strings.HasPrefix(r.Source, "VolumeSnapshot/") {
		return "was taken"
	}
	return "completed"
}
