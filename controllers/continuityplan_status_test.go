package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// planNow is the time every plan test evaluates at.
var planNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// ago is planNow minus d.
func planAgo(d time.Duration) time.Time { return planNow.Add(-d) }

func planTime(t time.Time) *metav1.Time { m := metav1.NewTime(t); return &m }

func planDur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// planEvidence is the backup evidence of asset name in namespace name: one Deployment, an
// Available default BackupStorageLocation in namespace velero, and a Completed Velero
// Backup of the namespace, named name-i, finished at each of completed.
func planEvidence(name string, completed ...time.Time) *controls.Evidence {
	e := &controls.Evidence{
		Asset: &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: name, Name: name}},
		Now:   planNow,
		Workloads: []controls.Workload{{Kind: "Deployment", Name: name + "-api",
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}}}},
		Backups: controls.Backups{
			VeleroInstalled:    true,
			SnapshotsInstalled: true,
			StorageLocations:   []controls.StorageLocation{{Namespace: "velero", Name: "default", Default: true, Phase: "Available"}},
		},
	}
	for i, at := range completed {
		e.Backups.VeleroBackups = append(e.Backups.VeleroBackups, controls.VeleroBackup{
			Namespace: "velero", Name: fmt.Sprintf("%s-%d", name, i),
			Spec:  controls.VeleroBackupSpec{IncludedNamespaces: []string{name}},
			Phase: "Completed", Completed: at,
		})
	}
	return e
}

// withRestore adds a Velero Restore of backup, started and completed as given.
func withVeleroRestore(e *controls.Evidence, name, backup, phase string, errors int, started, completed time.Time) *controls.Evidence {
	e.Backups.VeleroRestores = append(e.Backups.VeleroRestores, controls.VeleroRestore{
		Namespace: "velero", Name: name, Backup: backup, Phase: phase, Errors: errors, Started: started, Completed: completed})
	return e
}

func backedUpAsset(name string, completed ...time.Time) coveredAsset {
	return coveredAsset{name: name, evidence: planEvidence(name, completed...)}
}

// plan is a ContinuityPlan of generation 2 covering the named assets.
func testPlan(objectives *isms.RecoveryObjectives, exercises *isms.Exercises, assets ...string) *isms.ContinuityPlan {
	p := &isms.ContinuityPlan{ObjectMeta: metav1.ObjectMeta{Namespace: "epr", Name: "epr-continuity", Generation: 2}}
	p.Spec.Objectives, p.Spec.Exercises = objectives, exercises
	for _, a := range assets {
		p.Spec.Assets = append(p.Spec.Assets, isms.LocalObjectReference{Name: a})
	}
	return p
}

func planRPO(d time.Duration) *isms.RecoveryObjectives {
	return &isms.RecoveryObjectives{RPO: planDur(d)}
}

func planExercises(interval *metav1.Duration, rs ...isms.ExerciseRecord) *isms.Exercises {
	return &isms.Exercises{Interval: interval, Records: rs}
}

func planRecord(at time.Time, typ isms.ExerciseType, result isms.ExerciseResult) isms.ExerciseRecord {
	return isms.ExerciseRecord{Date: metav1.NewTime(at), Type: typ, Result: result}
}

func measuredRecord(at time.Time, achievedRTO, achievedRPO time.Duration) isms.ExerciseRecord {
	r := planRecord(at, isms.ExerciseTechnicalRestore, isms.ResultPassed)
	if achievedRTO > 0 {
		r.AchievedRTO = planDur(achievedRTO)
	}
	if achievedRPO > 0 {
		r.AchievedRPO = planDur(achievedRPO)
	}
	return r
}

// checkCondition fails unless the status holds the condition with that status and
// reason, its message holding each of words.
func checkPlanCondition(t *testing.T, st isms.ContinuityPlanStatus, conditionType string, status metav1.ConditionStatus, reason string, words ...string) {
	t.Helper()
	c := meta.FindStatusCondition(st.Conditions, conditionType)
	if c == nil {
		t.Fatalf("no %s condition in %+v", conditionType, st.Conditions)
	}
	if c.Status != status || c.Reason != reason {
		t.Errorf("%s = %s (%s) %q, want %s (%s)", conditionType, c.Status, c.Reason, c.Message, status, reason)
	}
	for _, w := range words {
		if !strings.Contains(c.Message, w) {
			t.Errorf("%s message %q does not hold %q", conditionType, c.Message, w)
		}
	}
}

func TestPlanBackupsWithinRPO(t *testing.T) {
	maxAge := func(d time.Duration, a coveredAsset) coveredAsset {
		a.evidence.Asset.Spec.Controls = &isms.ControlsSpec{Backup: &isms.BackupControls{MaxAge: planDur(d)}}
		return a
	}
	partiallyFailed := backedUpAsset("b", planAgo(10*time.Minute))
	partiallyFailed.evidence.Backups.VeleroBackups[0].Phase = "PartiallyFailed"
	locationDown := backedUpAsset("b", planAgo(10*time.Minute))
	locationDown.evidence.Backups.StorageLocations[0].Phase = "Unavailable"

	cases := []struct {
		name       string
		objectives *isms.RecoveryObjectives
		assets     []coveredAsset
		status     metav1.ConditionStatus
		reason     string
		words      []string
		want       []isms.AssetContinuityStatus
		lastBackup *metav1.Time
	}{
		{
			name:       "every asset backed up within the RPO",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{backedUpAsset("a", planAgo(30*time.Minute)), backedUpAsset("b", planAgo(10*time.Minute))},
			status:     metav1.ConditionTrue, reason: isms.ReasonBackupCurrent, words: []string{"within the recovery point objective"},
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(30 * time.Minute)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planNow.Add(30 * time.Minute))},
				{Name: "b", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(10 * time.Minute)), Source: "Backup/velero/b-0"}, BackupDue: planTime(planNow.Add(50 * time.Minute))},
			},
			lastBackup: planTime(planAgo(30 * time.Minute)),
		},
		{
			name:       "the newest of an asset's backups counts",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{backedUpAsset("a", planAgo(3*time.Hour), planAgo(20*time.Minute), planAgo(2*time.Hour))},
			status:     metav1.ConditionTrue, reason: isms.ReasonBackupCurrent,
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(20 * time.Minute)), Source: "Backup/velero/a-1"}, BackupDue: planTime(planNow.Add(40 * time.Minute))},
			},
			lastBackup: planTime(planAgo(20 * time.Minute)),
		},
		{
			name:       "one asset's backup older than the RPO",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{backedUpAsset("a", planAgo(30*time.Minute)), backedUpAsset("b", planAgo(2*time.Hour))},
			status:     metav1.ConditionFalse, reason: isms.ReasonBackupTooOld,
			words: []string{"b's newest backup", "Backup/velero/b-0", "older than the RPO 1h"},
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(30 * time.Minute)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planNow.Add(30 * time.Minute))},
				{Name: "b", State: isms.AssetBackupTooOld, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(2 * time.Hour)), Source: "Backup/velero/b-0"}, BackupDue: planTime(planAgo(time.Hour))},
			},
			lastBackup: planTime(planAgo(2 * time.Hour)),
		},
		{
			name:       "a backup exactly as old as the RPO is too old",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{backedUpAsset("a", planAgo(time.Hour))},
			status:     metav1.ConditionFalse, reason: isms.ReasonBackupTooOld, words: []string{"a's newest backup", "the RPO 1h"},
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetBackupTooOld, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(time.Hour)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planNow)},
			},
			lastBackup: planTime(planAgo(time.Hour)),
		},
		{
			name:       "an asset with no backup",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{backedUpAsset("a", planAgo(30*time.Minute)), backedUpAsset("b")},
			status:     metav1.ConditionFalse, reason: isms.ReasonNoBackupFound, words: []string{"b has no complete backup"},
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(30 * time.Minute)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planNow.Add(30 * time.Minute))},
				{Name: "b", State: isms.AssetNoBackup},
			},
		},
		{
			name:       "a PartiallyFailed backup is no backup",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{partiallyFailed},
			status:     metav1.ConditionFalse, reason: isms.ReasonNoBackupFound, words: []string{"b has no complete backup"},
			want: []isms.AssetContinuityStatus{{Name: "b", State: isms.AssetNoBackup}},
		},
		{
			name:       "a backup to an Unavailable storage location is no backup",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{locationDown},
			status:     metav1.ConditionFalse, reason: isms.ReasonNoBackupFound, words: []string{"b has no complete backup"},
			want: []isms.AssetContinuityStatus{{Name: "b", State: isms.AssetNoBackup}},
		},
		{
			name:       "an asset that does not exist",
			objectives: planRPO(time.Hour),
			assets:     []coveredAsset{backedUpAsset("a", planAgo(30*time.Minute)), {name: "gone"}},
			status:     metav1.ConditionFalse, reason: isms.ReasonNoBackupFound, words: []string{"InformationAsset gone does not exist"},
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(30 * time.Minute)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planNow.Add(30 * time.Minute))},
				{Name: "gone", State: isms.AssetNotFound},
			},
		},
		{
			name:   "no RPO: the default maximum backup age of 24h is the limit",
			assets: []coveredAsset{backedUpAsset("a", planAgo(23*time.Hour))},
			status: metav1.ConditionTrue, reason: isms.ReasonBackupCurrent,
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(23 * time.Hour)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planNow.Add(time.Hour))},
			},
			lastBackup: planTime(planAgo(23 * time.Hour)),
		},
		{
			name:   "no RPO: a backup older than 24h",
			assets: []coveredAsset{backedUpAsset("a", planAgo(25*time.Hour))},
			status: metav1.ConditionFalse, reason: isms.ReasonBackupTooOld, words: []string{"a's newest backup", "the maximum backup age 24h"},
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetBackupTooOld, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(25 * time.Hour)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planAgo(time.Hour))},
			},
			lastBackup: planTime(planAgo(25 * time.Hour)),
		},
		{
			name:       "no RPO: the asset's own maximum backup age is the limit",
			objectives: &isms.RecoveryObjectives{RTO: planDur(4 * time.Hour)},
			assets:     []coveredAsset{maxAge(6*time.Hour, backedUpAsset("a", planAgo(7*time.Hour)))},
			status:     metav1.ConditionFalse, reason: isms.ReasonBackupTooOld, words: []string{"a's newest backup", "the maximum backup age 6h"},
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetBackupTooOld, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(7 * time.Hour)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planAgo(time.Hour))},
			},
			lastBackup: planTime(planAgo(7 * time.Hour)),
		},
		{
			name:       "the RPO, not the asset's maximum backup age, is the plan's limit",
			objectives: planRPO(2 * time.Hour),
			assets:     []coveredAsset{maxAge(time.Hour, backedUpAsset("a", planAgo(90*time.Minute)))},
			status:     metav1.ConditionTrue, reason: isms.ReasonBackupCurrent,
			want: []isms.AssetContinuityStatus{
				{Name: "a", State: isms.AssetWithinRPO, LastBackup: &isms.BackupEvidence{Time: metav1.NewTime(planAgo(90 * time.Minute)), Source: "Backup/velero/a-0"}, BackupDue: planTime(planNow.Add(30 * time.Minute))},
			},
			lastBackup: planTime(planAgo(90 * time.Minute)),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := planStatus(planInputs{plan: testPlan(tc.objectives, nil), now: planNow, assets: tc.assets})
			checkPlanCondition(t, got, isms.ConditionBackupsWithinRPO, tc.status, tc.reason, tc.words...)
			if diff := cmp.Diff(tc.want, got.Assets); diff != "" {
				t.Errorf("status.assets (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.lastBackup, got.LastBackup); diff != "" {
				t.Errorf("status.lastBackup (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanExercised(t *testing.T) {
	const year = 8760 * time.Hour
	backup := planAgo(10 * time.Minute)
	restored := func(name string, errors int, phase string, started, completed time.Time) coveredAsset {
		return coveredAsset{name: "a", evidence: withVeleroRestore(planEvidence("a", backup), name, "a-0", phase, errors, started, completed)}
	}
	otherNamespace := restored("r-other", 0, "Completed", planAgo(2*time.Hour), planAgo(time.Hour))
	otherNamespace.evidence.Backups.VeleroBackups[0].Spec.IncludedNamespaces = []string{"elsewhere"}

	cases := []struct {
		name      string
		exercises *isms.Exercises
		assets    []coveredAsset
		status    metav1.ConditionStatus
		reason    string
		words     []string
		last      *isms.ExerciseEvidence
		due       *metav1.Time
	}{
		{
			name:      "a passed record within the default interval of 8760h",
			exercises: planExercises(nil, planRecord(planAgo(100*24*time.Hour), isms.ExerciseTableTop, isms.ResultPassed)),
			status:    metav1.ConditionTrue, reason: isms.ReasonExerciseCurrent, words: []string{"TableTop", "2026-08-16"},
			last: &isms.ExerciseEvidence{Date: metav1.NewTime(planAgo(100 * 24 * time.Hour)), Type: isms.ExerciseTableTop, Source: "record 0"},
			due:  planTime(planAgo(100 * 24 * time.Hour).Add(year)),
		},
		{
			name:      "a passed record within the plan's own interval",
			exercises: planExercises(planDur(720*time.Hour), planRecord(planAgo(700*time.Hour), isms.ExerciseFailover, isms.ResultPassed)),
			status:    metav1.ConditionTrue, reason: isms.ReasonExerciseCurrent, words: []string{"Failover"},
			last: &isms.ExerciseEvidence{Date: metav1.NewTime(planAgo(700 * time.Hour)), Type: isms.ExerciseFailover, Source: "record 0"},
			due:  planTime(planNow.Add(20 * time.Hour)),
		},
		{
			name: "the newest passed record counts, with its achieved RTO",
			exercises: planExercises(nil,
				planRecord(planAgo(200*24*time.Hour), isms.ExerciseTableTop, isms.ResultPassed),
				measuredRecord(planAgo(50*24*time.Hour), 2*time.Hour, 0),
				planRecord(planAgo(10*24*time.Hour), isms.ExerciseLivePlay, isms.ResultFailed)),
			status: metav1.ConditionTrue, reason: isms.ReasonExerciseCurrent, words: []string{"TechnicalRestore"},
			last: &isms.ExerciseEvidence{Date: metav1.NewTime(planAgo(50 * 24 * time.Hour)), Type: isms.ExerciseTechnicalRestore, Source: "record 1", AchievedRTO: planDur(2 * time.Hour)},
			due:  planTime(planAgo(50 * 24 * time.Hour).Add(year)),
		},
		{
			name: "only Failed and PartiallyPassed records",
			exercises: planExercises(nil,
				planRecord(planAgo(10*24*time.Hour), isms.ExerciseLivePlay, isms.ResultFailed),
				planRecord(planAgo(5*24*time.Hour), isms.ExerciseTableTop, isms.ResultPartiallyPassed)),
			status: metav1.ConditionFalse, reason: isms.ReasonExerciseOverdue, words: []string{"no passed exercise"},
		},
		{
			name:   "no exercise at all",
			status: metav1.ConditionFalse, reason: isms.ReasonExerciseOverdue, words: []string{"no passed exercise"},
		},
		{
			name:      "a passed record older than the interval",
			exercises: planExercises(nil, planRecord(planAgo(year+24*time.Hour), isms.ExerciseTableTop, isms.ResultPassed)),
			status:    metav1.ConditionFalse, reason: isms.ReasonExerciseOverdue, words: []string{"record 0", "older than the exercise interval 8760h"},
			last: &isms.ExerciseEvidence{Date: metav1.NewTime(planAgo(year + 24*time.Hour)), Type: isms.ExerciseTableTop, Source: "record 0"},
			due:  planTime(planAgo(24 * time.Hour)),
		},
		{
			name:      "a passed record exactly one interval old is overdue",
			exercises: planExercises(planDur(720*time.Hour), planRecord(planAgo(720*time.Hour), isms.ExerciseTableTop, isms.ResultPassed)),
			status:    metav1.ConditionFalse, reason: isms.ReasonExerciseOverdue, words: []string{"older than the exercise interval 720h"},
			last: &isms.ExerciseEvidence{Date: metav1.NewTime(planAgo(720 * time.Hour)), Type: isms.ExerciseTableTop, Source: "record 0"},
			due:  planTime(planNow),
		},
		{
			name:   "a Velero Restore Completed with no errors of a covering backup is a TechnicalRestore",
			assets: []coveredAsset{restored("r1", 0, "Completed", planAgo(3*time.Hour), planAgo(3*time.Hour-45*time.Minute))},
			status: metav1.ConditionTrue, reason: isms.ReasonExerciseCurrent, words: []string{"TechnicalRestore", "Restore/velero/r1"},
			last: &isms.ExerciseEvidence{Date: metav1.NewTime(planAgo(3*time.Hour - 45*time.Minute)), Type: isms.ExerciseTechnicalRestore,
				Source: "Restore/velero/r1", AchievedRTO: planDur(45 * time.Minute)},
			due: planTime(planAgo(3*time.Hour - 45*time.Minute).Add(year)),
		},
		{
			name:      "a Velero Restore newer than the newest record counts",
			exercises: planExercises(nil, planRecord(planAgo(30*24*time.Hour), isms.ExerciseTableTop, isms.ResultPassed)),
			assets:    []coveredAsset{restored("r1", 0, "Completed", planAgo(2*time.Hour), planAgo(time.Hour))},
			status:    metav1.ConditionTrue, reason: isms.ReasonExerciseCurrent, words: []string{"Restore/velero/r1"},
			last: &isms.ExerciseEvidence{Date: metav1.NewTime(planAgo(time.Hour)), Type: isms.ExerciseTechnicalRestore,
				Source: "Restore/velero/r1", AchievedRTO: planDur(time.Hour)},
			due: planTime(planAgo(time.Hour).Add(year)),
		},
		{
			name:   "a Velero Restore with errors is no exercise",
			assets: []coveredAsset{restored("r1", 2, "Completed", planAgo(2*time.Hour), planAgo(time.Hour))},
			status: metav1.ConditionFalse, reason: isms.ReasonExerciseOverdue, words: []string{"no passed exercise"},
		},
		{
			name:   "a PartiallyFailed Velero Restore is no exercise",
			assets: []coveredAsset{restored("r1", 0, "PartiallyFailed", planAgo(2*time.Hour), planAgo(time.Hour))},
			status: metav1.ConditionFalse, reason: isms.ReasonExerciseOverdue, words: []string{"no passed exercise"},
		},
		{
			name:   "a Velero Restore of a backup that did not cover the asset is no exercise",
			assets: []coveredAsset{otherNamespace},
			status: metav1.ConditionFalse, reason: isms.ReasonExerciseOverdue, words: []string{"no passed exercise"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assets := tc.assets
			if assets == nil {
				assets = []coveredAsset{backedUpAsset("a", backup)}
			}
			got, _ := planStatus(planInputs{plan: testPlan(planRPO(time.Hour), tc.exercises, "a"), now: planNow, assets: assets})
			checkPlanCondition(t, got, isms.ConditionExercised, tc.status, tc.reason, tc.words...)
			if diff := cmp.Diff(tc.last, got.LastExercise); diff != "" {
				t.Errorf("status.lastExercise (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.due, got.NextExerciseDue); diff != "" {
				t.Errorf("status.nextExerciseDue (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanDependenciesAvailable(t *testing.T) {
	available := isms.DependencyStatus{Name: "integration-engine", Availability: isms.DependencyAvailable, Message: "1 of 1 replicas available."}
	external := isms.DependencyStatus{Name: "NHS Spine", Availability: isms.DependencyExternal, Message: "Outside the cluster; not observed."}
	down := isms.DependencyStatus{Name: "mirth", Availability: isms.DependencyUnavailable, Message: "Deployment integration/mirth is scaled to 0 replicas."}
	unknown := isms.DependencyStatus{Name: "queue", Availability: isms.DependencyUnknown, Message: "The operator observes Deployments, StatefulSets and Services, not Queue."}
	cases := []struct {
		name         string
		dependencies []isms.DependencyStatus
		status       metav1.ConditionStatus
		reason       string
		words        []string
		notWords     []string
	}{
		{"no dependency", nil, metav1.ConditionTrue, isms.ReasonDependenciesAvailable, []string{"available"}, nil},
		{"Available and External", []isms.DependencyStatus{available, external},
			metav1.ConditionTrue, isms.ReasonDependenciesAvailable, []string{"available"}, nil},
		{"one Unavailable", []isms.DependencyStatus{available, down, external},
			metav1.ConditionFalse, isms.ReasonDependencyUnavailable, []string{"mirth", "Unavailable", "scaled to 0"}, []string{"integration-engine", "NHS Spine"}},
		{"one Unknown", []isms.DependencyStatus{unknown, available},
			metav1.ConditionFalse, isms.ReasonDependencyUnavailable, []string{"queue", "Unknown"}, []string{"integration-engine"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := planStatus(planInputs{plan: testPlan(nil, nil), now: planNow, dependencies: tc.dependencies})
			checkPlanCondition(t, got, isms.ConditionDependenciesAvailable, tc.status, tc.reason, tc.words...)
			c := meta.FindStatusCondition(got.Conditions, isms.ConditionDependenciesAvailable)
			for _, w := range tc.notWords {
				if strings.Contains(c.Message, w) {
					t.Errorf("message %q names %q, which is available", c.Message, w)
				}
			}
			if diff := cmp.Diff(tc.dependencies, got.Dependencies); diff != "" {
				t.Errorf("status.dependencies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanObjectivesMet(t *testing.T) {
	restore := func(took time.Duration) []coveredAsset {
		return []coveredAsset{{name: "a", evidence: withVeleroRestore(planEvidence("a", planAgo(10*time.Minute)), "r1", "a-0", "Completed", 0, planAgo(2*time.Hour), planAgo(2*time.Hour).Add(took))}}
	}
	rto := func(rto, rpo time.Duration) *isms.RecoveryObjectives {
		o := &isms.RecoveryObjectives{RTO: planDur(rto)}
		if rpo > 0 {
			o.RPO = planDur(rpo)
		}
		return o
	}
	cases := []struct {
		name       string
		objectives *isms.RecoveryObjectives
		exercises  *isms.Exercises
		assets     []coveredAsset
		status     metav1.ConditionStatus
		reason     string
		words      []string
	}{
		{"no objectives", nil, planExercises(nil, measuredRecord(planAgo(24*time.Hour), 2*time.Hour, 0)), nil,
			metav1.ConditionUnknown, isms.ReasonNotEvaluated, []string{"no RTO"}},
		{"an RPO but no RTO", planRPO(time.Hour), planExercises(nil, measuredRecord(planAgo(24*time.Hour), 2*time.Hour, 0)), nil,
			metav1.ConditionUnknown, isms.ReasonNotEvaluated, []string{"no RTO"}},
		{"no exercise measured a recovery time", rto(4*time.Hour, 0),
			planExercises(nil, planRecord(planAgo(24*time.Hour), isms.ExerciseTableTop, isms.ResultPassed)), nil,
			metav1.ConditionUnknown, isms.ReasonNotEvaluated, []string{"measured"}},
		{"no exercise at all", rto(4*time.Hour, 0), nil, nil,
			metav1.ConditionUnknown, isms.ReasonNotEvaluated, []string{"measured"}},
		{"achieved RTO within the RTO", rto(4*time.Hour, 0), planExercises(nil, measuredRecord(planAgo(24*time.Hour), 2*time.Hour, 0)), nil,
			metav1.ConditionTrue, isms.ReasonObjectivesMet, []string{"record 0", "2h", "within the RTO 4h"}},
		{"achieved RTO beyond the RTO", rto(4*time.Hour, 0), planExercises(nil, measuredRecord(planAgo(24*time.Hour), 5*time.Hour, 0)), nil,
			metav1.ConditionFalse, isms.ReasonObjectiveMissed, []string{"record 0", "5h", "beyond the RTO 4h"}},
		{"achieved RPO beyond the RPO", rto(4*time.Hour, time.Hour), planExercises(nil, measuredRecord(planAgo(24*time.Hour), 2*time.Hour, 2*time.Hour)), nil,
			metav1.ConditionFalse, isms.ReasonObjectiveMissed, []string{"record 0", "2h", "beyond the RPO 1h"}},
		{"achieved RTO and RPO within both", rto(4*time.Hour, time.Hour), planExercises(nil, measuredRecord(planAgo(24*time.Hour), 2*time.Hour, 30*time.Minute)), nil,
			metav1.ConditionTrue, isms.ReasonObjectivesMet, []string{"within the RTO 4h"}},
		{"the newest measured exercise decides", rto(4*time.Hour, 0),
			planExercises(nil, measuredRecord(planAgo(48*time.Hour), 5*time.Hour, 0), measuredRecord(planAgo(24*time.Hour), 3*time.Hour, 0),
				planRecord(planAgo(time.Hour), isms.ExerciseTableTop, isms.ResultPassed)), nil,
			metav1.ConditionTrue, isms.ReasonObjectivesMet, []string{"record 1", "3h"}},
		{"a failed recovery is not a measured one", rto(4*time.Hour, 0),
			planExercises(nil, measuredRecord(planAgo(48*time.Hour), 2*time.Hour, 0), isms.ExerciseRecord{Date: metav1.NewTime(planAgo(24 * time.Hour)),
				Type: isms.ExerciseTechnicalRestore, Result: isms.ResultFailed, AchievedRTO: planDur(9 * time.Hour)}), nil,
			metav1.ConditionTrue, isms.ReasonObjectivesMet, []string{"record 0", "2h"}},
		{"a Velero Restore's duration within the RTO", rto(time.Hour, 0), nil, restore(45 * time.Minute),
			metav1.ConditionTrue, isms.ReasonObjectivesMet, []string{"Restore/velero/r1", "45m", "within the RTO 1h"}},
		{"a Velero Restore's duration beyond the RTO", rto(time.Hour, 0), nil, restore(90 * time.Minute),
			metav1.ConditionFalse, isms.ReasonObjectiveMissed, []string{"Restore/velero/r1", "1h30m", "beyond the RTO 1h"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assets := tc.assets
			if assets == nil {
				assets = []coveredAsset{backedUpAsset("a", planAgo(10*time.Minute))}
			}
			got, _ := planStatus(planInputs{plan: testPlan(tc.objectives, tc.exercises, "a"), now: planNow, assets: assets})
			checkPlanCondition(t, got, isms.ConditionObjectivesMet, tc.status, tc.reason, tc.words...)
		})
	}
}

// readyInputs are the inputs of a plan whose every condition is True: a backup 10 minutes
// old against a 1h RPO, an exercise a month ago that recovered in 2h against a 4h RTO, and
// an available dependency.
func readyPlanInputs() planInputs {
	return planInputs{
		plan: testPlan(&isms.RecoveryObjectives{RTO: planDur(4 * time.Hour), RPO: planDur(time.Hour)},
			planExercises(nil, measuredRecord(planAgo(30*24*time.Hour), 2*time.Hour, 0)), "a"),
		now:          planNow,
		assets:       []coveredAsset{backedUpAsset("a", planAgo(10*time.Minute))},
		dependencies: []isms.DependencyStatus{{Name: "mirth", Availability: isms.DependencyAvailable}},
	}
}

func TestPlanReady(t *testing.T) {
	conditions := []string{isms.ConditionBackupsWithinRPO, isms.ConditionExercised, isms.ConditionDependenciesAvailable, isms.ConditionObjectivesMet}
	staleBackup := func(in *planInputs) { in.assets = []coveredAsset{backedUpAsset("a", planAgo(2*time.Hour))} }
	overdue := func(in *planInputs) {
		in.plan.Spec.Exercises = planExercises(nil, measuredRecord(planAgo(400*24*time.Hour), 2*time.Hour, 0))
	}
	depDown := func(in *planInputs) {
		in.dependencies = []isms.DependencyStatus{{Name: "mirth", Availability: isms.DependencyUnavailable, Message: "scaled to 0"}}
	}
	depUnknown := func(in *planInputs) {
		in.dependencies = []isms.DependencyStatus{{Name: "mirth", Availability: isms.DependencyUnknown}}
	}
	cases := []struct {
		name   string
		mutate []func(*planInputs)
		status metav1.ConditionStatus
		// failing are the conditions the Ready message must name; the others it must not.
		failing []string
	}{
		{"every condition True", nil, metav1.ConditionTrue, nil},
		{"ObjectivesMet Unknown (no RTO) does not stop Ready",
			[]func(*planInputs){func(in *planInputs) { in.plan.Spec.Objectives.RTO = nil }}, metav1.ConditionTrue, nil},
		{"ObjectivesMet Unknown (nothing measured) does not stop Ready",
			[]func(*planInputs){func(in *planInputs) {
				in.plan.Spec.Exercises = planExercises(nil, planRecord(planAgo(24*time.Hour), isms.ExerciseTableTop, isms.ResultPassed))
			}}, metav1.ConditionTrue, nil},
		{"a backup older than the RPO", []func(*planInputs){staleBackup}, metav1.ConditionFalse, []string{isms.ConditionBackupsWithinRPO}},
		{"an asset that does not exist", []func(*planInputs){func(in *planInputs) { in.assets = []coveredAsset{{name: "a"}} }},
			metav1.ConditionFalse, []string{isms.ConditionBackupsWithinRPO}},
		{"an exercise overdue", []func(*planInputs){overdue}, metav1.ConditionFalse, []string{isms.ConditionExercised}},
		{"a dependency Unavailable", []func(*planInputs){depDown}, metav1.ConditionFalse, []string{isms.ConditionDependenciesAvailable}},
		{"a dependency Unknown", []func(*planInputs){depUnknown}, metav1.ConditionFalse, []string{isms.ConditionDependenciesAvailable}},
		{"the RTO missed", []func(*planInputs){func(in *planInputs) { in.plan.Spec.Objectives.RTO = planDur(time.Hour) }},
			metav1.ConditionFalse, []string{isms.ConditionObjectivesMet}},
		{"several failing", []func(*planInputs){staleBackup, depDown}, metav1.ConditionFalse,
			[]string{isms.ConditionBackupsWithinRPO, isms.ConditionDependenciesAvailable}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := readyPlanInputs()
			for _, m := range tc.mutate {
				m(&in)
			}
			got, _ := planStatus(in)
			checkPlanCondition(t, got, isms.ConditionReady, tc.status, isms.ReasonEvaluated, tc.failing...)
			ready := meta.FindStatusCondition(got.Conditions, isms.ConditionReady)
			for _, c := range conditions {
				failing := strings.Contains(strings.Join(tc.failing, " "), c)
				if !failing && strings.Contains(ready.Message, c+":") {
					t.Errorf("Ready message %q names %s, which is not failing", ready.Message, c)
				}
				if cond := meta.FindStatusCondition(got.Conditions, c); failing && cond.Status != metav1.ConditionFalse {
					t.Errorf("%s = %s, want False", c, cond.Status)
				}
			}
			for _, c := range tc.failing {
				msg := meta.FindStatusCondition(got.Conditions, c).Message
				if !strings.Contains(ready.Message, c+": "+msg) {
					t.Errorf("Ready message %q does not quote %s: %q", ready.Message, c, msg)
				}
			}
		})
	}
}

func TestPlanRecheck(t *testing.T) {
	exercisedAgo := func(d time.Duration) *isms.Exercises {
		return planExercises(planDur(720*time.Hour), planRecord(planAgo(d), isms.ExerciseTableTop, isms.ResultPassed))
	}
	cases := []struct {
		name       string
		objectives *isms.RecoveryObjectives
		exercises  *isms.Exercises
		assets     []coveredAsset
		want       time.Time
	}{
		{"an asset's backup falls due first", planRPO(time.Hour), exercisedAgo(24 * time.Hour),
			[]coveredAsset{backedUpAsset("a", planAgo(10*time.Minute))}, planNow.Add(50 * time.Minute)},
		{"the earliest of several assets' backups", planRPO(time.Hour), exercisedAgo(24 * time.Hour),
			[]coveredAsset{backedUpAsset("a", planAgo(10*time.Minute)), backedUpAsset("b", planAgo(40*time.Minute)), backedUpAsset("c", planAgo(20*time.Minute))},
			planNow.Add(20 * time.Minute)},
		{"the next exercise falls due first", planRPO(time.Hour), exercisedAgo(720*time.Hour - 5*time.Minute),
			[]coveredAsset{backedUpAsset("a", planAgo(10*time.Minute))}, planNow.Add(5 * time.Minute)},
		{"a backup already overdue is not a future recheck", planRPO(time.Hour), exercisedAgo(24 * time.Hour),
			[]coveredAsset{backedUpAsset("a", planAgo(2*time.Hour)), backedUpAsset("b", planAgo(10*time.Minute))}, planNow.Add(50 * time.Minute)},
		{"only the exercise falls due in the future", planRPO(time.Hour), exercisedAgo(700 * time.Hour),
			[]coveredAsset{backedUpAsset("a", planAgo(2*time.Hour)), {name: "gone"}, backedUpAsset("c")}, planNow.Add(20 * time.Hour)},
		{"the default 24h maximum backup age with no RPO", nil, nil,
			[]coveredAsset{backedUpAsset("a", planAgo(time.Hour))}, planNow.Add(23 * time.Hour)},
		{"nothing falls due in the future", planRPO(time.Hour), exercisedAgo(800 * time.Hour),
			[]coveredAsset{backedUpAsset("a", planAgo(2*time.Hour)), backedUpAsset("b")}, time.Time{}},
		{"no backup and no exercise", nil, nil, []coveredAsset{backedUpAsset("a"), {name: "gone"}}, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, got := planStatus(planInputs{plan: testPlan(tc.objectives, tc.exercises), now: planNow, assets: tc.assets})
			if !got.Equal(tc.want) {
				t.Errorf("recheck at %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPlanStatusIsStable(t *testing.T) {
	failing := readyPlanInputs()
	failing.assets = append(failing.assets, backedUpAsset("b", planAgo(3*time.Hour)), coveredAsset{name: "gone"})
	failing.dependencies = append(failing.dependencies, isms.DependencyStatus{Name: "queue", Availability: isms.DependencyUnknown})
	failing.plan.Spec.Exercises = planExercises(nil, planRecord(planAgo(24*time.Hour), isms.ExerciseTableTop, isms.ResultFailed))
	restored := readyPlanInputs()
	restored.plan.Spec.Exercises = nil
	restored.assets[0].evidence = withVeleroRestore(restored.assets[0].evidence, "r1", "a-0", "Completed", 0, planAgo(2*time.Hour), planAgo(time.Hour))

	cases := map[string]planInputs{"ready": readyPlanInputs(), "failing": failing, "exercised by a Velero Restore": restored}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			first, firstRecheck := planStatus(in)
			checkPlanGeneration(t, first, in.plan.Generation)
			if n := len(first.Conditions); n != 5 {
				t.Errorf("%d conditions, want Ready, BackupsWithinRPO, Exercised, DependenciesAvailable and ObjectivesMet", n)
			}
			in.plan.Status = first
			second, secondRecheck := planStatus(in)
			if diff := cmp.Diff(first, second); diff != "" {
				t.Errorf("a second computation of the same inputs changed the status (-first +second):\n%s", diff)
			}
			if !firstRecheck.Equal(secondRecheck) {
				t.Errorf("recheck moved from %s to %s", firstRecheck, secondRecheck)
			}

			// A new generation is observed by every condition; their transition times stay.
			in.plan.Status = second
			in.plan.Generation++
			third, _ := planStatus(in)
			checkPlanGeneration(t, third, in.plan.Generation)
			for _, c := range second.Conditions {
				if got := meta.FindStatusCondition(third.Conditions, c.Type); !got.LastTransitionTime.Equal(&c.LastTransitionTime) {
					t.Errorf("%s's lastTransitionTime moved from %s to %s with nothing changed but the generation", c.Type, c.LastTransitionTime, got.LastTransitionTime)
				}
			}
		})
	}
}

func checkPlanGeneration(t *testing.T, st isms.ContinuityPlanStatus, generation int64) {
	t.Helper()
	if st.ObservedGeneration != generation {
		t.Errorf("status.observedGeneration = %d, want %d", st.ObservedGeneration, generation)
	}
	for _, c := range st.Conditions {
		if c.ObservedGeneration != generation {
			t.Errorf("%s observedGeneration = %d, want %d", c.Type, c.ObservedGeneration, generation)
		}
	}
}

func TestPlanStatusReplacesAStaleStatus(t *testing.T) {
	in := readyPlanInputs()
	first, _ := planStatus(in)
	// The asset loses its backup and the plan its exercises: nothing of the old status stays.
	in.plan.Status = first
	in.plan.Spec.Exercises = nil
	in.assets = []coveredAsset{backedUpAsset("a")}
	in.dependencies = nil
	got, _ := planStatus(in)
	want := []isms.AssetContinuityStatus{{Name: "a", State: isms.AssetNoBackup}}
	if diff := cmp.Diff(want, got.Assets); diff != "" {
		t.Errorf("status.assets (-want +got):\n%s", diff)
	}
	if got.LastBackup != nil || got.LastExercise != nil || got.NextExerciseDue != nil || got.Dependencies != nil {
		t.Errorf("lastBackup %v, lastExercise %v, nextExerciseDue %v, dependencies %v: want all cleared", got.LastBackup, got.LastExercise, got.NextExerciseDue, got.Dependencies)
	}
	checkPlanCondition(t, got, isms.ConditionReady, metav1.ConditionFalse, isms.ReasonEvaluated, isms.ConditionBackupsWithinRPO, isms.ConditionExercised)
	if n := len(got.Conditions); n != 5 {
		t.Errorf("%d conditions, want 5", n)
	}
}
