package controls

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestBackupSpecEdgeCases holds cases a review found the backup checks getting wrong
// against controls.md, each with the rule it follows.
func TestBackupSpecEdgeCases(t *testing.T) {
	assetRef := "InformationAsset/" + testAsset
	noEvidence := wantFinding{Resource: assetRef}
	cases := []struct {
		name string
		// spec is what controls.md says.
		spec     string
		evidence *Evidence
		check    func(*Evidence) outcome
		want     expect
	}{
		{
			name: "BAK-01: a workload without volumes does not make a snapshotVolumes:false Backup capture the database's volume",
			spec: "BAK-01 counts a Backup \"which captured volume data (snapshotVolumes not false, or " +
				"defaultVolumesToFsBackup: true, or the pods' backup.velero.io/backup-volumes annotation)\". " +
				"epr-db mounts claim data and has no annotation; epr-api has no volumes. Nothing captured data.",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = append(e.Workloads, deployment("epr-api"))
			}, withBackups(completedBackup("daily-1", hoursAgo(2), noVolumeSnapshots))),
			check: checkBackupRecent,
			want:  fail(noEvidence),
		},
		{
			name: "BAK-01: the backup-volumes annotation must name the claim's volume",
			spec: "\"the pods' backup.velero.io/backup-volumes annotation\": Velero backs up only the volumes " +
				"the annotation lists; listing only the emptyDir tmp leaves claim data uncaptured.",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-db", mountsClaims("data"),
					podSpec(func(s *corev1.PodSpec) {
						s.Volumes = append(s.Volumes, corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
					}),
					podAnnotations(map[string]string{"backup.velero.io/backup-volumes": "tmp"}))}
			}, withBackups(completedBackup("daily-1", hoursAgo(2), noVolumeSnapshots))),
			check: checkBackupRecent,
			want:  fail(noEvidence),
		},
		{
			name: "BAK-01: empty storageLocation uses the default:true location, not one merely named default (wrong pass)",
			spec: "\"Its BackupStorageLocation must be Available\"; an empty spec.storageLocation is the location " +
				"with default: true (the name \"default\" is only the fallback when none is marked). " +
				"primary (default: true) is Unavailable; \"default\" (not marked) is Available.",
			evidence: backupEvidence(withStorageLocations(backupLocation("default", false, "Available"), backupLocation("primary", true, "Unavailable")),
				withBackups(completedBackup("daily-1", hoursAgo(2)))),
			check: checkBackupRecent,
			want:  fail(noEvidence),
		},
		{
			name: "BAK-01: empty storageLocation uses the default:true location, not one merely named default (wrong fail)",
			spec: "as above: primary (default: true) is Available; \"default\" (not marked) is Unavailable.",
			evidence: backupEvidence(withStorageLocations(backupLocation("default", false, "Unavailable"), backupLocation("primary", true, "Available")),
				withBackups(completedBackup("daily-1", hoursAgo(2)))),
			check: checkBackupRecent,
			want:  pass("Backup/velero/daily-1"),
		},
		{
			name: "BAK-02: a completed Restore stays evidence when its location later becomes Unavailable",
			spec: "BAK-02: \"a Velero Restore with status.phase: Completed and no errors, of a Backup that " +
				"covered the asset\": the restore was tested; the location's availability now is BAK-01's " +
				"concern, not whether a restore was tested 10 days ago.",
			evidence: backupEvidence(withStorageLocations(backupLocation("default", true, "Unavailable")),
				withBackups(completedBackup("daily-1", daysAgo(11))),
				withRestores(veleroRestore("drill-1", "daily-1", "Completed", 0, daysAgo(10).Add(-40*time.Minute), daysAgo(10)))),
			check: checkRestoreTested,
			want:  pass("Restore/velero/drill-1"),
		},
		{
			name: "BAK-01: a Schedule covering the asset is named even when its location is Unavailable",
			spec: "\"A Schedule that covers the asset but has no recent Completed Backup is named in the finding " +
				"(it is the usual cause)\": an Unavailable location is why its backups fail.",
			evidence: backupEvidence(withStorageLocations(backupLocation("default", true, "Unavailable")),
				withSchedules(veleroSchedule("epr-daily", includesNamespaces(testNamespace)))),
			check: checkBackupRecent,
			want:  fail(wantFinding{Resource: assetRef, Words: []string{"velero/epr-daily"}}),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("controls.md: %s", tc.spec)
			assertOutcome(t, tc.check(tc.evidence), tc.want)
		})
	}
}
