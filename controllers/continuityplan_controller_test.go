package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// veleroObject is a velero.io/v1 object with the given spec and status.
func veleroObject(kind, ns, name string, spec, status map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion("velero.io/v1")
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	if status != nil {
		u.Object["status"] = status
	}
	return u
}

// createVelero creates a Velero object and writes its status, as Velero would (through
// the status subresource for the kinds that have one).
func createVelero(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	status := u.Object["status"]
	create(t, u)
	if _, kept := u.Object["status"]; status != nil && !kept {
		u.Object["status"] = status
		if err := env.Client.Status().Update(context.Background(), u); err != nil {
			t.Fatalf("writing the status of %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// completedBackup is a Completed Velero Backup of namespace ns, finished at completed.
func completedBackup(ns, name string, completed time.Time) *unstructured.Unstructured {
	return veleroObject("Backup", ns, name,
		map[string]any{"includedNamespaces": []any{ns}, "snapshotVolumes": true},
		map[string]any{"phase": "Completed", "completionTimestamp": completed.UTC().Format(time.RFC3339)})
}

// continuity sets up, around a compliant estate, what BAK-01, BAK-02 and BCP-01 look at:
// a storage location, a backup finished ten minutes ago, a dependency, and a plan with a
// one-hour RPO that was exercised a month ago; then it makes those controls Required.
func continuity(t *testing.T) (*estate, *isms.ContinuityPlan, *appsv1.Deployment, time.Time) {
	t.Helper()
	e := newEstate(t)
	backupAt := now().Add(-10 * time.Minute).Truncate(time.Second)
	createVelero(t, veleroObject("BackupStorageLocation", e.ns, "default",
		map[string]any{"default": true, "provider": "aws", "objectStorage": map[string]any{"bucket": "epr-backups"}},
		map[string]any{"phase": "Available"}))
	createVelero(t, completedBackup(e.ns, "epr-hourly-1", backupAt))

	mirth := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "mirth"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "mirth"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "mirth"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "mirth", Image: "mirth:4"}}}}},
	}
	create(t, mirth)
	mirth.Status.Replicas, mirth.Status.ReadyReplicas, mirth.Status.AvailableReplicas = 1, 1, 1
	if err := env.Client.Status().Update(context.Background(), mirth); err != nil {
		t.Fatal(err)
	}

	plan := &isms.ContinuityPlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "epr-continuity"},
		Spec: isms.ContinuityPlanSpec{
			Owner:      isms.Person{Name: "Jane Smith"},
			Assets:     []isms.LocalObjectReference{{Name: e.asset.Name}},
			Objectives: &isms.RecoveryObjectives{RTO: &metav1.Duration{Duration: 4 * time.Hour}, RPO: &metav1.Duration{Duration: time.Hour}},
			Dependencies: []isms.Dependency{
				{Name: "integration-engine", Ref: &isms.DependencyReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "mirth"}, Fallback: "Paper requests"},
				{Name: "NHS Spine", External: true, Fallback: "Cached demographics"},
			},
			Exercises: &isms.Exercises{Records: []isms.ExerciseRecord{{
				Date: metav1.NewTime(now().Add(-30 * 24 * time.Hour)), Type: isms.ExerciseTechnicalRestore, Result: isms.ResultPassed,
				AchievedRTO: &metav1.Duration{Duration: 2 * time.Hour}}}},
		},
	}
	create(t, plan)
	waitForPlan(t, plan, isms.ConditionReady, metav1.ConditionTrue, "")

	update(t, e.asset, func(a *isms.InformationAsset) {
		a.Spec.Controls = nil // back to the defaults: BAK-01, BAK-02 and BCP-01 Required
		a.Spec.ContinuityPlanRef = &isms.LocalObjectReference{Name: plan.Name}
	})
	return e, plan, mirth, backupAt
}

// waitForPlan waits until the plan's condition has status and its message holds text.
func waitForPlan(t *testing.T, plan *isms.ContinuityPlan, conditionType string, status metav1.ConditionStatus, text string) *isms.ContinuityPlan {
	t.Helper()
	current := &isms.ContinuityPlan{}
	eventually(t, drift, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(plan), current); err != nil {
			return err
		}
		c := meta.FindStatusCondition(current.Status.Conditions, conditionType)
		if c == nil || c.Status != status || c.ObservedGeneration != current.Generation || !strings.Contains(c.Message, text) {
			return fmt.Errorf("plan condition %s = %+v, want %s mentioning %q", conditionType, c, status, text)
		}
		return nil
	})
	return current
}

func TestContinuityPlanFollowsBackupsDependenciesAndTime(t *testing.T) {
	e, plan, mirth, backupAt := continuity(t)

	ready := waitForPlan(t, plan, isms.ConditionReady, metav1.ConditionTrue, "")
	for _, c := range []string{isms.ConditionBackupsWithinRPO, isms.ConditionExercised, isms.ConditionDependenciesAvailable, isms.ConditionObjectivesMet} {
		if !meta.IsStatusConditionTrue(ready.Status.Conditions, c) {
			t.Errorf("condition %s = %+v, want True", c, meta.FindStatusCondition(ready.Status.Conditions, c))
		}
	}
	if a := ready.Status.Assets; len(a) != 1 || a[0].LastBackup == nil || a[0].LastBackup.Source != "Backup/"+e.ns+"/epr-hourly-1" ||
		!a[0].BackupDue.Time.Equal(backupAt.Add(time.Hour)) {
		t.Errorf("assets = %+v, want epr-hourly-1 due an hour after it finished", a)
	}
	if ready.Status.LastExercise == nil || ready.Status.NextExerciseDue == nil {
		t.Errorf("lastExercise %+v, nextExerciseDue %v: want both", ready.Status.LastExercise, ready.Status.NextExerciseDue)
	}
	waitFor(t, e, isms.ConditionCompliant, metav1.ConditionTrue)

	// Time passes the RPO: the clock moves to three seconds before the backup falls due,
	// and the operator, which requeues for that moment, sees it happen.
	moveClock(t, time.Until(backupAt.Add(time.Hour))-3*time.Second)
	update(t, plan, func(p *isms.ContinuityPlan) { p.Spec.Description = "Recovery of the outpatient EPR" })
	waitForPlan(t, plan, isms.ConditionBackupsWithinRPO, metav1.ConditionFalse, "older than the RPO 1h")
	waitForPlan(t, plan, isms.ConditionReady, metav1.ConditionFalse, "BackupsWithinRPO")
	asset := waitFor(t, e, isms.ConditionBackedUp, metav1.ConditionFalse)
	if f, found := finding(asset, isms.ControlBackupRecent); !found || !strings.Contains(f.Message, "the RPO 1h of ContinuityPlan epr-continuity") {
		t.Errorf("BAK-01 finding %+v, want it to name the plan's RPO", f)
	}
	backupRisk := waitForRiskNamed(t, e.ns, "patient-records-bak-01", isms.StateOpen)
	if backupRisk.Spec.Control != isms.ControlBackupRecent {
		t.Errorf("risk %s records %s", backupRisk.Name, backupRisk.Spec.Control)
	}

	// A new Completed Backup clears it.
	createVelero(t, completedBackup(e.ns, "epr-hourly-2", now().Truncate(time.Second)))
	waitForPlan(t, plan, isms.ConditionBackupsWithinRPO, metav1.ConditionTrue, "")
	waitForPlan(t, plan, isms.ConditionReady, metav1.ConditionTrue, "")
	waitFor(t, e, isms.ConditionBackedUp, metav1.ConditionTrue)
	waitForRiskNamed(t, e.ns, "patient-records-bak-01", isms.StateResolved)

	// A dependency scaled to nothing.
	update(t, mirth, func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To(int32(0)) })
	waitForPlan(t, plan, isms.ConditionDependenciesAvailable, metav1.ConditionFalse, "integration-engine")
	waitFor(t, e, isms.ConditionContinuityPlanned, metav1.ConditionFalse)
	waitForRiskNamed(t, e.ns, "patient-records-bcp-01", isms.StateOpen)
}

// waitForRiskNamed waits until the Risk exists in the state.
func waitForRiskNamed(t *testing.T, ns, name string, state isms.RiskState) *isms.Risk {
	t.Helper()
	risk := &isms.Risk{}
	eventually(t, drift, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, risk); err != nil {
			return err
		}
		if risk.Status.State != state {
			return fmt.Errorf("risk %s is %q, want %s", name, risk.Status.State, state)
		}
		return nil
	})
	return risk
}

func TestSnapshotsOfEveryClaimAreBackupEvidence(t *testing.T) {
	e, plan, _, _ := continuity(t)
	// Without Velero's backup, the claim's VolumeSnapshot is the evidence.
	remove(t, veleroObject("Backup", e.ns, "epr-hourly-1", nil, nil))
	asset := waitFor(t, e, isms.ConditionBackedUp, metav1.ConditionFalse)
	if f, _ := finding(asset, isms.ControlBackupRecent); !strings.Contains(f.Message, "no ready VolumeSnapshot of PersistentVolumeClaim/epr-data") {
		t.Errorf("BAK-01 finding %+v, want it to name the claim without a snapshot", f)
	}
	snapshot := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"source": map[string]any{"persistentVolumeClaimName": "epr-data"}, "volumeSnapshotClassName": "csi-ebs"}}}
	snapshot.SetAPIVersion("snapshot.storage.k8s.io/v1")
	snapshot.SetKind("VolumeSnapshot")
	snapshot.SetNamespace(e.ns)
	snapshot.SetName("epr-data-snap-1")
	create(t, snapshot)
	snapshot.Object["status"] = map[string]any{"readyToUse": true, "creationTime": now().UTC().Format(time.RFC3339)}
	if err := env.Client.Status().Update(context.Background(), snapshot); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, isms.ConditionBackedUp, metav1.ConditionTrue)
	ready := waitForPlan(t, plan, isms.ConditionBackupsWithinRPO, metav1.ConditionTrue, "")
	if a := ready.Status.Assets; len(a) != 1 || a[0].LastBackup == nil || a[0].LastBackup.Source != "VolumeSnapshot/epr-data-snap-1" {
		t.Errorf("assets = %+v, want the snapshot as the newest backup", a)
	}
}
