package controls

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// The evidence mutators of the backup tests.

func withBackups(backups ...VeleroBackup) func(*Evidence) {
	return func(e *Evidence) { e.Backups.VeleroBackups = backups }
}

func withSchedules(schedules ...VeleroSchedule) func(*Evidence) {
	return func(e *Evidence) { e.Backups.VeleroSchedules = schedules }
}

func withSnapshots(snapshots ...VolumeSnapshot) func(*Evidence) {
	return func(e *Evidence) { e.Backups.VolumeSnapshots = snapshots }
}

func withRestores(restores ...VeleroRestore) func(*Evidence) {
	return func(e *Evidence) { e.Backups.VeleroRestores = restores }
}

func withStorageLocations(locations ...StorageLocation) func(*Evidence) {
	return func(e *Evidence) { e.Backups.StorageLocations = locations }
}

// withAsset changes the evidence's asset.
func withAsset(mutate ...func(*isms.InformationAsset)) func(*Evidence) {
	return func(e *Evidence) {
		for _, m := range mutate {
			m(e.Asset)
		}
	}
}

// twoClaims makes epr-db mount the claims "data" and "wal".
func twoClaims(e *Evidence) {
	e.Workloads = []Workload{deployment("epr-db", mountsClaims("data", "wal"))}
	e.Claims = []Claim{pvc("data", ptr("gp3-encrypted")), pvc("wal", ptr("gp3-encrypted"))}
}

// assertNoFindingSays fails when a finding's message contains one of the words.
func assertNoFindingSays(t *testing.T, out outcome, words []string) {
	t.Helper()
	for _, f := range out.findings {
		for _, w := range words {
			if strings.Contains(strings.ToLower(f.Message), strings.ToLower(w)) {
				t.Errorf("finding for %s names %q, which it must not: %s", f.Resource, w, f.Message)
			}
		}
	}
}

func assertRecheckAt(t *testing.T, out outcome, want *time.Time) {
	t.Helper()
	if want == nil {
		return
	}
	if diff := cmp.Diff(*want, out.recheckAt); diff != "" {
		t.Errorf("recheckAt (-want +got):\n%s", diff)
	}
}

func TestCheckBackupRecent(t *testing.T) {
	const day = 24 * time.Hour
	assetRef := "InformationAsset/" + testAsset
	noBackup := func(words ...string) wantFinding { return wantFinding{Resource: assetRef, Words: words} }
	coveringPlan := func(mutate ...func(*isms.ContinuityPlan)) isms.ContinuityPlan {
		return continuityPlan(testPlan, []string{testAsset}, mutate...)
	}

	cases := []struct {
		name     string
		evidence *Evidence
		want     expect
		// absent are words no finding's message may contain.
		absent []string
		// recheckAt is when the result changes on its own; nil when not asserted.
		recheckAt *time.Time
	}{
		// Velero Backups: phase.
		{
			name:      "a Completed Backup of every namespace 2h old passes",
			evidence:  backupEvidence(withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:      pass("Backup/velero/daily-1"),
			recheckAt: ptr(hoursAgo(2).Add(day)),
		},
		{
			name: "PartiallyFailed newest with an older Completed: the older Completed counts",
			evidence: backupEvidence(withBackups(
				veleroBackup("daily-2", "PartiallyFailed", hoursAgo(1)),
				completedBackup("daily-1", hoursAgo(10)))),
			want:      expect{passed: []string{"Backup/velero/daily-1"}, notPassed: []string{"daily-2"}},
			recheckAt: ptr(hoursAgo(10).Add(day)),
		},
		{
			name: "PartiallyFailed newest does not rescue a stale Completed one",
			evidence: backupEvidence(withBackups(
				veleroBackup("daily-2", "PartiallyFailed", hoursAgo(1)),
				completedBackup("daily-1", hoursAgo(30)))),
			want: fail(noBackup("Backup/velero/daily-1", "24h")),
		},
		{
			name:     "only a PartiallyFailed Backup: no evidence",
			evidence: backupEvidence(withBackups(veleroBackup("daily-2", "PartiallyFailed", hoursAgo(1)))),
			want:     fail(noBackup("no complete backup")),
			absent:   []string{"daily-2"},
		},
		{
			name:     "a Failed Backup: no evidence",
			evidence: backupEvidence(withBackups(veleroBackup("daily-2", "Failed", hoursAgo(1)))),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name:     "no Backup at all",
			evidence: backupEvidence(),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name:     "offline, no Backup in the manifests: not evaluated, never passed",
			evidence: backupEvidence(offline, func(e *Evidence) { e.Backups.VeleroInstalled = false }),
			want:     undecided("no Velero Backup or VolumeSnapshot", "only known in a cluster"),
		},
		{
			name: "offline, the manifests hold Velero Backups, none of the asset: a finding",
			evidence: backupEvidence(offline, withBackups(func() VeleroBackup {
				b := veleroBackup("other-app", "Completed", hoursAgo(1))
				b.Spec.IncludedNamespaces = []string{"another-namespace"}
				return b
			}())),
			want: fail(noBackup("no complete backup")),
		},
		{
			name:      "offline, a Backup in the manifests is judged as in a cluster",
			evidence:  backupEvidence(offline, withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:      pass("Backup/velero/daily-1"),
			recheckAt: ptr(hoursAgo(2).Add(day)),
		},
		{
			name:     "offline, only a stale Backup in the manifests fails",
			evidence: backupEvidence(offline, withBackups(completedBackup("daily-1", hoursAgo(30)))),
			want:     fail(noBackup("Backup/velero/daily-1", "24h")),
		},

		// Namespaces.
		{
			name:     "includedNamespaces names the asset's namespace",
			evidence: backupEvidence(withBackups(completedBackup("epr-1", hoursAgo(2), includesNamespaces("other", testNamespace)))),
			want:     pass("Backup/velero/epr-1"),
		},
		{
			name:     "includedNamespaces is *",
			evidence: backupEvidence(withBackups(completedBackup("all-1", hoursAgo(2), includesNamespaces("*")))),
			want:     pass("Backup/velero/all-1"),
		},
		{
			name:     "includedNamespaces does not name the asset's namespace",
			evidence: backupEvidence(withBackups(completedBackup("other-1", hoursAgo(2), includesNamespaces("other")))),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name:     "the Backup excludes the asset's namespace",
			evidence: backupEvidence(withBackups(completedBackup("all-1", hoursAgo(2), includesNamespaces("*"), excludesNamespaces(testNamespace)))),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name:     "the Backup excludes the namespace, includedNamespaces empty",
			evidence: backupEvidence(withBackups(completedBackup("all-1", hoursAgo(2), excludesNamespaces("kube-system", testNamespace)))),
			want:     fail(noBackup("no complete backup")),
		},

		// Label selectors.
		{
			name:     "labelSelector matching the asset's pods",
			evidence: backupEvidence(withBackups(completedBackup("epr-1", hoursAgo(2), backupLabelSelector(map[string]string{"app": "epr"})))),
			want:     pass("Backup/velero/epr-1"),
		},
		{
			name:     "labelSelector not matching the asset's pods",
			evidence: backupEvidence(withBackups(completedBackup("pas-1", hoursAgo(2), backupLabelSelector(map[string]string{"app": "pas"})))),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name: "labelSelector matching one of the asset's two workloads",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = append(e.Workloads, deployment("epr-api"))
			}, withBackups(completedBackup("db-1", hoursAgo(2), backupLabelSelector(map[string]string{"component": "epr-db"})))),
			want: fail(noBackup("no complete backup")),
		},
		{
			name: "orLabelSelectors: one matching",
			evidence: backupEvidence(withBackups(completedBackup("epr-1", hoursAgo(2),
				backupOrLabelSelectors(map[string]string{"app": "pas"}, map[string]string{"app": "epr"})))),
			want: pass("Backup/velero/epr-1"),
		},
		{
			name: "orLabelSelectors: none matching",
			evidence: backupEvidence(withBackups(completedBackup("pas-1", hoursAgo(2),
				backupOrLabelSelectors(map[string]string{"app": "pas"}, map[string]string{"tier": "web"})))),
			want: fail(noBackup("no complete backup")),
		},

		// Volume data.
		{
			name:     "snapshotVolumes false and no file-system backup takes no volume data",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", hoursAgo(2), noVolumeSnapshots))),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name:     "snapshotVolumes false with defaultVolumesToFsBackup true",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", hoursAgo(2), noVolumeSnapshots, fsBackupByDefault))),
			want:     pass("Backup/velero/daily-1"),
		},
		{
			name: "snapshotVolumes false with the pods' backup.velero.io/backup-volumes annotation",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-db", mountsClaims("data"),
					podAnnotations(map[string]string{"backup.velero.io/backup-volumes": "data"}))}
			}, withBackups(completedBackup("daily-1", hoursAgo(2), noVolumeSnapshots))),
			want: pass("Backup/velero/daily-1"),
		},
		{
			name: "snapshotVolumes false for an asset with no volumes",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api")}
				e.Claims = nil
			}, withBackups(completedBackup("daily-1", hoursAgo(2), noVolumeSnapshots))),
			want: pass("Backup/velero/daily-1"),
		},

		// BackupStorageLocations.
		{
			name:     "the default storage location Unavailable",
			evidence: backupEvidence(withStorageLocations(backupLocation("default", true, "Unavailable")), withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name: "empty storageLocation uses the location with default true, wherever it is listed",
			evidence: backupEvidence(withStorageLocations(backupLocation("secondary", false, "Unavailable"), backupLocation("primary", true, "Available")),
				withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want: pass("Backup/velero/daily-1"),
		},
		{
			name: "empty storageLocation: the default location is Unavailable, another Available",
			evidence: backupEvidence(withStorageLocations(backupLocation("secondary", false, "Available"), backupLocation("primary", true, "Unavailable")),
				withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want: fail(noBackup("no complete backup")),
		},
		{
			name: "a named storage location Available while the default is Unavailable",
			evidence: backupEvidence(withStorageLocations(backupLocation("default", true, "Unavailable"), backupLocation("offsite", false, "Available")),
				withBackups(completedBackup("offsite-1", hoursAgo(2), toStorageLocation("offsite")))),
			want: pass("Backup/velero/offsite-1"),
		},
		{
			name: "a named storage location Unavailable while the default is Available",
			evidence: backupEvidence(withStorageLocations(backupLocation("default", true, "Available"), backupLocation("offsite", false, "Unavailable")),
				withBackups(completedBackup("offsite-1", hoursAgo(2), toStorageLocation("offsite")))),
			want: fail(noBackup("no complete backup")),
		},
		{
			name:     "a named storage location that does not exist",
			evidence: backupEvidence(withBackups(completedBackup("offsite-1", hoursAgo(2), toStorageLocation("offsite")))),
			want:     fail(noBackup("no complete backup")),
		},
		{
			name:     "no storage location in Velero's namespace",
			evidence: backupEvidence(withStorageLocations(StorageLocation{Namespace: "backup-system", Name: "default", Default: true, Phase: "Available"}), withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:     fail(noBackup("no complete backup")),
		},

		// CSI VolumeSnapshots.
		{
			name:      "a ready VolumeSnapshot of the asset's only claim",
			evidence:  backupEvidence(withSnapshots(volumeSnapshot("data-snap-1", "data", true, hoursAgo(3)))),
			want:      pass("VolumeSnapshot/data-snap-1"),
			recheckAt: ptr(hoursAgo(3).Add(day)),
		},
		{
			name: "ready VolumeSnapshots of both claims: the older one is the backup time",
			evidence: backupEvidence(twoClaims, withSnapshots(
				volumeSnapshot("data-snap-1", "data", true, hoursAgo(3)),
				volumeSnapshot("wal-snap-1", "wal", true, hoursAgo(5)))),
			want:      pass("VolumeSnapshot/wal-snap-1"),
			recheckAt: ptr(hoursAgo(5).Add(day)),
		},
		{
			name: "the newest ready VolumeSnapshot of each claim counts",
			evidence: backupEvidence(twoClaims, withSnapshots(
				volumeSnapshot("data-snap-1", "data", true, hoursAgo(50)),
				volumeSnapshot("data-snap-2", "data", true, hoursAgo(3)),
				volumeSnapshot("wal-snap-1", "wal", true, hoursAgo(4)))),
			want:      pass("VolumeSnapshot/wal-snap-1"),
			recheckAt: ptr(hoursAgo(4).Add(day)),
		},
		{
			name: "one claim of two without a VolumeSnapshot",
			evidence: backupEvidence(twoClaims, withSnapshots(
				volumeSnapshot("data-snap-1", "data", true, hoursAgo(3)))),
			want:   fail(noBackup("PersistentVolumeClaim/wal")),
			absent: []string{"PersistentVolumeClaim/data"},
		},
		{
			name: "a VolumeSnapshot not readyToUse",
			evidence: backupEvidence(twoClaims, withSnapshots(
				volumeSnapshot("data-snap-1", "data", true, hoursAgo(3)),
				volumeSnapshot("wal-snap-1", "wal", false, hoursAgo(1)))),
			want:   fail(noBackup("PersistentVolumeClaim/wal")),
			absent: []string{"PersistentVolumeClaim/data"},
		},
		{
			name:     "a VolumeSnapshot of another claim",
			evidence: backupEvidence(withSnapshots(volumeSnapshot("cache-snap-1", "cache", true, hoursAgo(1)))),
			want:     fail(noBackup("PersistentVolumeClaim/data")),
		},
		{
			name: "one claim's newest ready VolumeSnapshot is stale",
			evidence: backupEvidence(twoClaims, withSnapshots(
				volumeSnapshot("data-snap-1", "data", true, hoursAgo(3)),
				volumeSnapshot("wal-snap-1", "wal", true, hoursAgo(30)))),
			want: fail(noBackup("VolumeSnapshot/wal-snap-1", "24h")),
		},
		{
			name: "a recent VolumeSnapshot beats a stale Backup",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", hoursAgo(30))),
				withSnapshots(volumeSnapshot("data-snap-1", "data", true, hoursAgo(2)))),
			want: expect{passed: []string{"VolumeSnapshot/data-snap-1"}, notPassed: []string{"daily-1"}},
		},

		// The limit: maxAge and a covering plan's RPO.
		{
			name:      "RPO stricter than maxAge: a backup within it passes, rechecked at the RPO",
			evidence:  backupEvidence(withPlans(coveringPlan(planRPO(time.Hour))), withBackups(completedBackup("hourly-1", hoursAgo(0.5)))),
			want:      pass("Backup/velero/hourly-1", "RPO", testPlan),
			recheckAt: ptr(hoursAgo(0.5).Add(time.Hour)),
		},
		{
			name:     "RPO stricter than maxAge: the plan's RPO wins and the message names it",
			evidence: backupEvidence(withPlans(coveringPlan(planRPO(time.Hour))), withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:     fail(noBackup("Backup/velero/daily-1", "RPO", "1h", testPlan)),
		},
		{
			name: "the RPO of a plan that does not list the asset does not count",
			evidence: backupEvidence(withPlans(continuityPlan("pas-continuity", []string{"pas-records"}, planRPO(time.Hour))),
				withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:      expect{passed: []string{"Backup/velero/daily-1", "24h"}, notPassed: []string{"RPO", "pas-continuity"}},
			recheckAt: ptr(hoursAgo(2).Add(day)),
		},
		{
			name: "the strictest RPO of two covering plans wins",
			evidence: backupEvidence(withPlans(
				continuityPlan("epr-dr", []string{testAsset}, planRPO(4*time.Hour)),
				continuityPlan(testPlan, []string{"pas-records", testAsset}, planRPO(time.Hour))),
				withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want: fail(noBackup("RPO", "1h", testPlan)),
		},
		{
			name: "an RPO looser than maxAge does not extend it",
			evidence: backupEvidence(withPlans(coveringPlan(planRPO(48*time.Hour))),
				withBackups(completedBackup("daily-1", hoursAgo(30)))),
			want:   fail(noBackup("Backup/velero/daily-1", "24h")),
			absent: []string{"RPO"},
		},
		{
			name: "maxAge 6h: a backup 7h old fails",
			evidence: backupEvidence(withAsset(withControls(isms.ControlsSpec{Backup: &isms.BackupControls{MaxAge: &metav1.Duration{Duration: 6 * time.Hour}}})),
				withBackups(completedBackup("daily-1", hoursAgo(7)))),
			want: fail(noBackup("Backup/velero/daily-1", "6h")),
		},
		{
			name: "maxAge 6h: a backup 5h old passes, rechecked at 6h",
			evidence: backupEvidence(withAsset(withControls(isms.ControlsSpec{Backup: &isms.BackupControls{MaxAge: &metav1.Duration{Duration: 6 * time.Hour}}})),
				withBackups(completedBackup("daily-1", hoursAgo(5)))),
			want:      pass("Backup/velero/daily-1", "6h"),
			recheckAt: ptr(hoursAgo(5).Add(6 * time.Hour)),
		},
		{
			name:     "a backup exactly maxAge old is not younger than it",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", now.Add(-day)))),
			want:     fail(noBackup("Backup/velero/daily-1", "24h")),
		},
		{
			name:     "a backup just past maxAge",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", now.Add(-day-time.Second)))),
			want:     fail(noBackup("Backup/velero/daily-1", "24h")),
		},
		{
			name:      "a backup just inside maxAge, rechecked when it turns maxAge old",
			evidence:  backupEvidence(withBackups(completedBackup("daily-1", now.Add(-day+time.Second)))),
			want:      pass("Backup/velero/daily-1"),
			recheckAt: ptr(now.Add(time.Second)),
		},
		{
			name: "the newest of several Completed Backups is used",
			evidence: backupEvidence(withBackups(
				completedBackup("daily-1", hoursAgo(50)),
				completedBackup("daily-3", hoursAgo(2)),
				completedBackup("daily-2", hoursAgo(26)))),
			want:      expect{passed: []string{"Backup/velero/daily-3"}, notPassed: []string{"daily-1", "daily-2"}},
			recheckAt: ptr(hoursAgo(2).Add(day)),
		},

		// Schedules.
		{
			name:     "a Schedule covering the asset with no Backup is no evidence, and is named",
			evidence: backupEvidence(withSchedules(veleroSchedule("epr-daily", includesNamespaces(testNamespace)))),
			want:     fail(noBackup("no complete backup", "Schedule", "velero/epr-daily")),
		},
		{
			name: "a Schedule covering the asset with a stale Backup is named",
			evidence: backupEvidence(withSchedules(veleroSchedule("epr-daily")),
				withBackups(completedBackup("epr-daily-20260227", hoursAgo(60)))),
			want: fail(noBackup("Backup/velero/epr-daily-20260227", "velero/epr-daily")),
		},
		{
			name: "a Schedule whose Backups only partly fail is no evidence",
			evidence: backupEvidence(withSchedules(veleroSchedule("epr-daily")),
				withBackups(veleroBackup("epr-daily-20260302", "PartiallyFailed", hoursAgo(1)))),
			want: fail(noBackup("velero/epr-daily")),
		},
		{
			name: "a Schedule that does not cover the asset is not named",
			evidence: backupEvidence(withSchedules(
				veleroSchedule("pas-daily", includesNamespaces("pas")),
				veleroSchedule("epr-daily", includesNamespaces(testNamespace)))),
			want:   fail(noBackup("velero/epr-daily")),
			absent: []string{"pas-daily"},
		},

		// Absent tools.
		{
			name: "Velero not installed is named",
			evidence: backupEvidence(func(e *Evidence) { e.Backups.VeleroInstalled = false },
				withSnapshots(volumeSnapshot("data-snap-1", "data", false, hoursAgo(1)))),
			want:   fail(noBackup("velero.io/v1", "not installed")),
			absent: []string{"snapshot.storage.k8s.io/v1"},
		},
		{
			name:     "snapshots not installed are named",
			evidence: backupEvidence(func(e *Evidence) { e.Backups.SnapshotsInstalled = false }),
			want:     fail(noBackup("snapshot.storage.k8s.io/v1", "not installed")),
			absent:   []string{"velero.io/v1"},
		},
		{
			name: "neither installed: both named",
			evidence: backupEvidence(func(e *Evidence) {
				e.Backups = Backups{}
			}),
			want: fail(noBackup("velero.io/v1", "snapshot.storage.k8s.io/v1", "not installed")),
		},
		{
			name:     "both installed: neither is said to be missing",
			evidence: backupEvidence(),
			want:     fail(noBackup("no complete backup")),
			absent:   []string{"not installed"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := checkBackupRecent(tc.evidence)
			assertOutcome(t, out, tc.want)
			assertNoFindingSays(t, out, tc.absent)
			assertRecheckAt(t, out, tc.recheckAt)
			if len(tc.want.findings) > 0 && !out.recheckAt.IsZero() {
				t.Errorf("a failing BAK-01 set recheckAt %s", out.recheckAt)
			}
		})
	}
}

// TestBackupControlsWithoutWorkloads: BAK-01 and BAK-02 judge the asset's workloads (what
// was backed up and restored of them), so with none they are NotEvaluated, even with a
// namespace-wide Backup and a passed restore exercise; BCP-01 judges plans, which do not
// need workloads, so it is still evaluated.
func TestBackupControlsWithoutWorkloads(t *testing.T) {
	high := func(a *isms.InformationAsset) { a.Spec.Criticality = isms.CriticalityHigh }
	type summary struct {
		Status Status
		Reason string
	}
	cases := []struct {
		name     string
		evidence *Evidence
		want     map[isms.ControlID]summary
	}{
		{
			name: "a tested restore and a Ready plan",
			evidence: backupEvidence(func(e *Evidence) { e.Workloads, e.Claims = nil, nil },
				withAsset(high, continuityPlanRef(testPlan)),
				withBackups(completedBackup("daily-1", hoursAgo(2))),
				withPlans(continuityPlan(testPlan, []string{testAsset},
					planExercises(exerciseRecord(isms.ExerciseTechnicalRestore, isms.ResultPassed, daysAgo(10)))))),
			want: map[isms.ControlID]summary{
				isms.ControlBackupRecent:   {StatusNotEvaluated, NoWorkloads},
				isms.ControlRestoreTested:  {StatusNotEvaluated, NoWorkloads},
				isms.ControlContinuityPlan: {StatusPass, ""},
			},
		},
		{
			name: "no restore and no plan",
			evidence: backupEvidence(func(e *Evidence) { e.Workloads, e.Claims = nil, nil }, withAsset(high),
				withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want: map[isms.ControlID]summary{
				isms.ControlBackupRecent:   {StatusNotEvaluated, NoWorkloads},
				isms.ControlRestoreTested:  {StatusNotEvaluated, NoWorkloads},
				isms.ControlContinuityPlan: {StatusFail, ""},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[isms.ControlID]summary{}
			for _, r := range Evaluate(tc.evidence).Results {
				if _, ok := tc.want[r.Control]; ok {
					got[r.Control] = summary{r.Status, r.Reason}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBackupRecentThroughEvaluate: with workloads, BAK-01 is evaluated, and its recheck
// time reaches the Evaluation.
func TestBackupRecentThroughEvaluate(t *testing.T) {
	e := backupEvidence(withAsset(withControls(isms.ControlsSpec{Review: isms.LevelNotRequired})),
		withBackups(completedBackup("daily-1", hoursAgo(2))))
	eval := Evaluate(e)
	for _, r := range eval.Results {
		if r.Control == isms.ControlBackupRecent && r.Status != StatusPass {
			t.Errorf("BAK-01: %s %v, want Pass", r.Status, r.Findings)
		}
	}
	if want := hoursAgo(2).Add(24 * time.Hour); !eval.RecheckAt.Equal(want) {
		t.Errorf("RecheckAt = %s, want %s (the backup time plus maxAge)", eval.RecheckAt, want)
	}
}
