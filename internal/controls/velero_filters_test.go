package controls

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestVeleroFilters covers Velero's namespace globs, resource filters and a Restore's own
// filters: a backup or restore counts only when it really took the asset.
func TestVeleroFilters(t *testing.T) {
	assetRef := "InformationAsset/" + testAsset
	noEvidence := fail(wantFinding{Resource: assetRef})
	withResources := func(included, excluded []string) func(*VeleroBackupSpec) {
		return func(s *VeleroBackupSpec) { s.IncludedResources, s.ExcludedResources = included, excluded }
	}
	restoreOf := func(backup string, mutate func(*VeleroRestore)) VeleroRestore {
		r := veleroRestore("restore-1", backup, "Completed", 0, hoursAgo(3), hoursAgo(2))
		if mutate != nil {
			mutate(&r)
		}
		return r
	}
	cases := []struct {
		name     string
		check    func(*Evidence) outcome
		evidence *Evidence
		want     expect
	}{
		{"a namespace glob that matches includes the asset's namespace", checkBackupRecent,
			backupEvidence(withBackups(completedBackup("daily", hoursAgo(1), includesNamespaces(testNamespace[:2]+"*")))),
			pass("Backup/velero/daily")},
		{"a namespace glob that matches excludes it", checkBackupRecent,
			backupEvidence(withBackups(completedBackup("daily", hoursAgo(1), excludesNamespaces(testNamespace[:2]+"*")))),
			noEvidence},
		{"includedResources without claims leaves the volume out", checkBackupRecent,
			backupEvidence(withBackups(completedBackup("daily", hoursAgo(1), withResources([]string{"deployments", "services"}, nil)))),
			noEvidence},
		{"includedResources with pods, claims and volumes takes it", checkBackupRecent,
			backupEvidence(withBackups(completedBackup("daily", hoursAgo(1), withResources([]string{"deployments", "pods", "persistentvolumeclaims", "persistentvolumes"}, nil)))),
			pass("Backup/velero/daily")},
		{"excludedResources naming persistentvolumes leaves the volume out", checkBackupRecent,
			backupEvidence(withBackups(completedBackup("daily", hoursAgo(1), withResources(nil, []string{"persistentvolumes"})))),
			noEvidence},
		{"a restore of the asset's namespace from a covering backup tests it", checkRestoreTested,
			backupEvidence(withBackups(completedBackup("nightly", hoursAgo(10))), withRestores(restoreOf("nightly", nil))),
			pass("Restore/velero/restore-1")},
		{"a restore limited to another namespace does not test it", checkRestoreTested,
			backupEvidence(withBackups(completedBackup("nightly", hoursAgo(10))),
				withRestores(restoreOf("nightly", func(r *VeleroRestore) { r.IncludedNamespaces = []string{"payroll"} }))),
			noEvidence},
		{"a restore whose label selector leaves out the asset's pods does not test it", checkRestoreTested,
			backupEvidence(withBackups(completedBackup("nightly", hoursAgo(10))),
				withRestores(restoreOf("nightly", func(r *VeleroRestore) {
					r.LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "payroll"}}
				}))),
			noEvidence},
		{"a restore from a covering Schedule's newest backup tests it", checkRestoreTested,
			backupEvidence(func(e *Evidence) { e.Backups.VeleroSchedules = []VeleroSchedule{veleroSchedule("hourly")} },
				withRestores(restoreOf("", func(r *VeleroRestore) { r.Schedule = "hourly" }))),
			pass("Restore/velero/restore-1")},
		{"a restore from a Schedule that does not cover the asset does not test it", checkRestoreTested,
			backupEvidence(func(e *Evidence) {
				e.Backups.VeleroSchedules = []VeleroSchedule{veleroSchedule("payroll", includesNamespaces("payroll"))}
			}, withRestores(restoreOf("", func(r *VeleroRestore) { r.Schedule = "payroll" }))),
			noEvidence},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertOutcome(t, tc.check(tc.evidence), tc.want)
		})
	}
}
