package controls

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

func TestCheckRestoreTested(t *testing.T) {
	const day = 24 * time.Hour
	untested := wantFinding{Resource: "InformationAsset/" + testAsset}
	overdue := func(words ...string) wantFinding { return wantFinding{Resource: untested.Resource, Words: words} }
	exercisedPlan := func(records ...isms.ExerciseRecord) func(*Evidence) {
		return withPlans(continuityPlan(testPlan, []string{testAsset}, planExercises(records...)))
	}
	restoreTest := func(result isms.ExerciseResult, date time.Time) isms.ExerciseRecord {
		return exerciseRecord(isms.ExerciseTechnicalRestore, result, date)
	}
	interval := func(d time.Duration) func(*Evidence) {
		return withAsset(withControls(isms.ControlsSpec{Backup: &isms.BackupControls{
			RestoreTestInterval: &metav1.Duration{Duration: d}}}))
	}
	// restoreOf is a Restore that ran for 40 minutes, completing at completed.
	restoreOf := func(name, backupName, phase string, errors int, completed time.Time) VeleroRestore {
		return veleroRestore(name, backupName, phase, errors, completed.Add(-40*time.Minute), completed)
	}

	cases := []struct {
		name      string
		evidence  *Evidence
		want      expect
		recheckAt *time.Time
	}{
		{
			name:     "no plan and no Restore",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:     fail(untested),
		},
		{
			name:     "offline, no Restore in the manifests: not evaluated, never passed",
			evidence: backupEvidence(offline, withBackups(completedBackup("daily-1", hoursAgo(2)))),
			want:     undecided("no Velero Restore", "only known in a cluster"),
		},
		{
			name:      "offline, a passed TechnicalRestore in the manifests' plan is evidence",
			evidence:  backupEvidence(offline, exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(10)))),
			want:      pass("ContinuityPlan/"+testPlan, formatTime(daysAgo(10))),
			recheckAt: ptr(daysAgo(10).Add(90 * day)),
		},

		// ContinuityPlan exercise records.
		{
			name:      "a passed TechnicalRestore in a covering plan",
			evidence:  backupEvidence(exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(10)))),
			want:      pass("ContinuityPlan/"+testPlan, formatTime(daysAgo(10))),
			recheckAt: ptr(daysAgo(10).Add(90 * day)),
		},
		{
			name:     "a Failed TechnicalRestore",
			evidence: backupEvidence(exercisedPlan(restoreTest(isms.ResultFailed, daysAgo(10)))),
			want:     fail(untested),
		},
		{
			name:     "a PartiallyPassed TechnicalRestore",
			evidence: backupEvidence(exercisedPlan(restoreTest(isms.ResultPartiallyPassed, daysAgo(10)))),
			want:     fail(untested),
		},
		{
			name:     "a passed TableTop exercise tests no restore",
			evidence: backupEvidence(exercisedPlan(exerciseRecord(isms.ExerciseTableTop, isms.ResultPassed, daysAgo(10)))),
			want:     fail(untested),
		},
		{
			name:     "a passed Communications exercise tests no restore",
			evidence: backupEvidence(exercisedPlan(exerciseRecord(isms.ExerciseCommunications, isms.ResultPassed, daysAgo(10)))),
			want:     fail(untested),
		},
		{
			name: "a passed TechnicalRestore in a plan that does not list the asset",
			evidence: backupEvidence(withPlans(continuityPlan("pas-continuity", []string{"pas-records"},
				planExercises(restoreTest(isms.ResultPassed, daysAgo(10)))))),
			want: fail(untested),
		},
		{
			name: "the newest passed record counts, not a newer failed one",
			evidence: backupEvidence(exercisedPlan(
				restoreTest(isms.ResultPassed, daysAgo(30)),
				restoreTest(isms.ResultFailed, daysAgo(5)))),
			want:      pass("ContinuityPlan/" + testPlan),
			recheckAt: ptr(daysAgo(30).Add(90 * day)),
		},

		// The interval.
		{
			name:      "the default interval is 90 days: tested 89 days ago",
			evidence:  backupEvidence(exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(89)))),
			want:      pass("ContinuityPlan/"+testPlan, "2160h"),
			recheckAt: ptr(daysAgo(89).Add(90 * day)),
		},
		{
			name:     "the default interval is 90 days: tested exactly 90 days ago",
			evidence: backupEvidence(exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(90)))),
			want:     fail(overdue("ContinuityPlan/"+testPlan, "2160h")),
		},
		{
			name:     "the default interval is 90 days: tested 91 days ago",
			evidence: backupEvidence(exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(91)))),
			want:     fail(overdue("ContinuityPlan/"+testPlan, "2160h")),
		},
		{
			name:     "restoreTestInterval 30 days: tested 40 days ago",
			evidence: backupEvidence(interval(30*day), exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(40)))),
			want:     fail(overdue("ContinuityPlan/"+testPlan, "720h")),
		},
		{
			name:      "restoreTestInterval 30 days: tested 20 days ago",
			evidence:  backupEvidence(interval(30*day), exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(20)))),
			want:      pass("ContinuityPlan/"+testPlan, "720h"),
			recheckAt: ptr(daysAgo(20).Add(30 * day)),
		},
		{
			name:      "restoreTestInterval 180 days: tested 100 days ago",
			evidence:  backupEvidence(interval(180*day), exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(100)))),
			want:      pass("ContinuityPlan/"+testPlan, "4320h"),
			recheckAt: ptr(daysAgo(100).Add(180 * day)),
		},

		// Velero Restores.
		{
			name: "a Restore Completed with no errors of a Backup that covered the asset",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11))),
				withRestores(restoreOf("drill-1", "daily-1", "Completed", 0, daysAgo(10)))),
			want:      pass("Restore/velero/drill-1"),
			recheckAt: ptr(daysAgo(10).Add(90 * day)),
		},
		{
			name: "a Restore Completed with errors is no evidence",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11))),
				withRestores(restoreOf("drill-1", "daily-1", "Completed", 3, daysAgo(10)))),
			want: fail(untested),
		},
		{
			name: "a PartiallyFailed Restore is no evidence",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11))),
				withRestores(restoreOf("drill-1", "daily-1", "PartiallyFailed", 0, daysAgo(10)))),
			want: fail(untested),
		},
		{
			name: "a Restore of a Backup that excluded the namespace",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11), excludesNamespaces(testNamespace))),
				withRestores(restoreOf("drill-1", "daily-1", "Completed", 0, daysAgo(10)))),
			want: fail(untested),
		},
		{
			name: "a Restore of a Backup whose labelSelector did not select the asset",
			evidence: backupEvidence(withBackups(completedBackup("pas-1", daysAgo(11), backupLabelSelector(map[string]string{"app": "pas"}))),
				withRestores(restoreOf("drill-1", "pas-1", "Completed", 0, daysAgo(10)))),
			want: fail(untested),
		},
		{
			name:     "a Restore of a Backup that is not known",
			evidence: backupEvidence(withRestores(restoreOf("drill-1", "daily-1", "Completed", 0, daysAgo(10)))),
			want:     fail(untested),
		},
		{
			name: "a Restore of a Backup of another Velero namespace",
			evidence: backupEvidence(withBackups(VeleroBackup{Namespace: "velero-dr", Name: "daily-1", Phase: "Completed", Completed: daysAgo(11)}),
				withStorageLocations(backupLocation("default", true, "Available"),
					StorageLocation{Namespace: "velero-dr", Name: "default", Default: true, Phase: "Available"}),
				withRestores(restoreOf("drill-1", "daily-1", "Completed", 0, daysAgo(10)))),
			want: fail(untested),
		},
		{
			name: "a Restore older than the interval",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(101))),
				withRestores(restoreOf("drill-1", "daily-1", "Completed", 0, daysAgo(100)))),
			want: fail(overdue("Restore/velero/drill-1", "2160h")),
		},
		{
			name: "the newest of two Restores counts, whatever their order",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(101)), completedBackup("daily-2", daysAgo(11))),
				withRestores(
					restoreOf("drill-2", "daily-2", "Completed", 0, daysAgo(10)),
					restoreOf("drill-1", "daily-1", "Completed", 0, daysAgo(100)))),
			want:      expect{passed: []string{"Restore/velero/drill-2"}, notPassed: []string{"drill-1"}},
			recheckAt: ptr(daysAgo(10).Add(90 * day)),
		},
		{
			name: "the newer of a plan record and a Restore counts",
			evidence: backupEvidence(exercisedPlan(restoreTest(isms.ResultPassed, daysAgo(100))),
				withBackups(completedBackup("daily-1", daysAgo(11))),
				withRestores(restoreOf("drill-1", "daily-1", "Completed", 0, daysAgo(10)))),
			want:      expect{passed: []string{"Restore/velero/drill-1"}, notPassed: []string{"ContinuityPlan/"}},
			recheckAt: ptr(daysAgo(10).Add(90 * day)),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := checkRestoreTested(tc.evidence)
			assertOutcome(t, out, tc.want)
			assertRecheckAt(t, out, tc.recheckAt)
		})
	}
}

// TestNewestRestoreTestDuration: the duration of a tested restore is recorded against the
// plan's RTO: completion minus start for a Restore, achievedRTO for an exercise record.
func TestNewestRestoreTestDuration(t *testing.T) {
	withRTO := func(r isms.ExerciseRecord, rto time.Duration) isms.ExerciseRecord {
		r.AchievedRTO = &metav1.Duration{Duration: rto}
		return r
	}
	cases := []struct {
		name     string
		evidence *Evidence
		want     RestoreRecord
	}{
		{
			name: "a Restore: completion minus start",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11))),
				withRestores(veleroRestore("drill-1", "daily-1", "Completed", 0, daysAgo(10).Add(-95*time.Minute), daysAgo(10)))),
			want: RestoreRecord{Time: daysAgo(10), Source: "Restore/velero/drill-1", Duration: 95 * time.Minute,
				Detail: "Restore of Backup velero/daily-1, no errors, in 1h35m"},
		},
		{
			name: "a plan record: its achievedRTO",
			evidence: backupEvidence(withPlans(continuityPlan(testPlan, []string{testAsset}, planExercises(
				withRTO(exerciseRecord(isms.ExerciseTechnicalRestore, isms.ResultPassed, daysAgo(10)), 2*time.Hour))))),
			want: RestoreRecord{Time: daysAgo(10), Duration: 2 * time.Hour},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, found := NewestRestoreTest(tc.evidence)
			if !found {
				t.Fatal("no restore test found")
			}
			if tc.want.Source == "" {
				got.Source, got.Detail = "", "" // the record's wording is not asserted
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("NewestRestoreTest (-want +got):\n%s", diff)
			}
		})
	}
}
