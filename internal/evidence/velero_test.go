package evidence

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/internal/controls"
)

// veleroObject reads a Velero object written as YAML, as the API server would return it.
func veleroObject(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// readCompacted reads u with read, and again after CompactVelero, and fails unless both
// read the same: the cache keeps every field the controls read.
func readCompacted[T any](t *testing.T, u *unstructured.Unstructured, read func(*unstructured.Unstructured) (T, bool)) (T, bool) {
	t.Helper()
	got, ok := read(u)
	compact, err := CompactVelero(u.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	fromCache, okFromCache := read(compact.(*unstructured.Unstructured))
	if diff := cmp.Diff(got, fromCache); diff != "" || ok != okFromCache {
		t.Errorf("read from the cache's compact copy differs (-object +compact):\n%s\nok %v, from the cache %v", diff, ok, okFromCache)
	}
	return got, ok
}

// TestBackupOf: the spec fields the BAK controls read, older and newer filters alike, come
// from a Backup; the resource policy is named namespace/name when it is a ConfigMap, as the
// only kind Velero reads; the Schedule that made a Backup comes from its label.
func TestBackupOf(t *testing.T) {
	completed := time.Date(2026, time.November, 1, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		manifest string
		want     controls.VeleroBackup
	}{
		{
			name: "the newer filters, a resource policy and a Schedule",
			manifest: `
apiVersion: velero.io/v1
kind: Backup
metadata:
  namespace: velero
  name: epr-daily-20261101080000
  labels: {velero.io/schedule-name: epr-daily}
spec:
  includedNamespaces: [epr]
  includedNamespaceScopedResources: [pods, persistentvolumeclaims]
  excludedNamespaceScopedResources: [secrets]
  orLabelSelectors: [{matchLabels: {app: epr}}]
  snapshotVolumes: false
  defaultVolumesToFsBackup: true
  resourcePolicy: {kind: configmap, name: skip-large}
  storageLocation: offsite
status:
  phase: Completed
  completionTimestamp: "2026-11-01T08:00:00Z"
`,
			want: controls.VeleroBackup{Namespace: "velero", Name: "epr-daily-20261101080000", Schedule: "epr-daily",
				Phase: "Completed", Completed: completed,
				Spec: controls.VeleroBackupSpec{
					IncludedNamespaces:               []string{"epr"},
					IncludedNamespaceScopedResources: []string{"pods", "persistentvolumeclaims"},
					ExcludedNamespaceScopedResources: []string{"secrets"},
					OrLabelSelectors:                 []*metav1.LabelSelector{{MatchLabels: map[string]string{"app": "epr"}}},
					SnapshotVolumes:                  ptr.To(false),
					DefaultVolumesToFsBackup:         ptr.To(true),
					ResourcePolicy:                   "velero/skip-large",
					StorageLocation:                  "offsite",
				}},
		},
		{
			name: "the older filters and includeClusterResources false",
			manifest: `
apiVersion: velero.io/v1
kind: Backup
metadata: {namespace: backup-system, name: manual-1}
spec:
  includedResources: [pods, pvc]
  excludedResources: [secrets]
  includeClusterResources: false
  labelSelector: {matchLabels: {app: epr}}
  resourcePolicy: {kind: ConfigMap, name: volumes-only}
status: {phase: PartiallyFailed}
`,
			want: controls.VeleroBackup{Namespace: "backup-system", Name: "manual-1", Phase: "PartiallyFailed",
				Spec: controls.VeleroBackupSpec{
					IncludedResources:       []string{"pods", "pvc"},
					ExcludedResources:       []string{"secrets"},
					IncludeClusterResources: ptr.To(false),
					LabelSelector:           &metav1.LabelSelector{MatchLabels: map[string]string{"app": "epr"}},
					ResourcePolicy:          "backup-system/volumes-only",
				}},
		},
		{
			name: "a resource policy of a kind Velero does not read is no policy",
			manifest: `
apiVersion: velero.io/v1
kind: Backup
metadata: {namespace: velero, name: manual-2}
spec:
  resourcePolicy: {kind: Secret, name: skip-large}
`,
			want: controls.VeleroBackup{Namespace: "velero", Name: "manual-2"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := readCompacted(t, veleroObject(t, tc.manifest), backupOf)
			if !ok {
				t.Fatal("backupOf found the Backup malformed")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("backupOf (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScheduleOf: a Schedule's template is read as a Backup's spec, its resource policy
// named in the Schedule's namespace, where its Backups are made.
func TestScheduleOf(t *testing.T) {
	u := veleroObject(t, `
apiVersion: velero.io/v1
kind: Schedule
metadata: {namespace: velero, name: epr-daily}
spec:
  schedule: "0 8 * * *"
  template:
    includedNamespaces: [epr]
    excludedNamespaceScopedResources: [persistentvolumeclaims]
    includeClusterResources: true
    resourcePolicy: {kind: configmap, name: skip-large}
status:
  lastBackup: "2026-11-01T08:00:00Z"
`)
	want := controls.VeleroSchedule{Namespace: "velero", Name: "epr-daily", Template: controls.VeleroBackupSpec{
		IncludedNamespaces:               []string{"epr"},
		ExcludedNamespaceScopedResources: []string{"persistentvolumeclaims"},
		IncludeClusterResources:          ptr.To(true),
		ResourcePolicy:                   "velero/skip-large",
	}}
	got, ok := readCompacted(t, u, scheduleOf)
	if diff := cmp.Diff(want, got); diff != "" || !ok {
		t.Errorf("scheduleOf (-want +got):\n%s\nok %v", diff, ok)
	}
}

// TestRestoreAndStorageLocationOf: a Restore's filters and outcome, and a storage
// location's default flag and phase, are read, numbers as the API server's int64 or
// YAML's float64.
func TestRestoreAndStorageLocationOf(t *testing.T) {
	restore, ok := readCompacted(t, veleroObject(t, `
apiVersion: velero.io/v1
kind: Restore
metadata: {namespace: velero, name: drill-1}
spec:
  backupName: epr-daily-1
  includedNamespaces: [epr]
  excludedNamespaces: [kube-system]
  orLabelSelectors: [{matchLabels: {app: epr}}]
  restorePVs: true
status: {phase: Completed, errors: 2, warnings: 7, startTimestamp: "2026-11-01T08:00:00Z", completionTimestamp: "2026-11-01T08:40:00Z"}
`), restoreOf)
	want := controls.VeleroRestore{Namespace: "velero", Name: "drill-1", Backup: "epr-daily-1",
		IncludedNamespaces: []string{"epr"}, ExcludedNamespaces: []string{"kube-system"},
		OrLabelSelectors: []*metav1.LabelSelector{{MatchLabels: map[string]string{"app": "epr"}}},
		Phase:            "Completed", Errors: 2,
		Started: time.Date(2026, time.November, 1, 8, 0, 0, 0, time.UTC), Completed: time.Date(2026, time.November, 1, 8, 40, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, restore); diff != "" || !ok {
		t.Errorf("restoreOf (-want +got):\n%s\nok %v", diff, ok)
	}
	restoreInt64 := veleroObject(t, `{apiVersion: velero.io/v1, kind: Restore, metadata: {namespace: velero, name: drill-2}, status: {phase: Completed}}`)
	restoreInt64.Object["status"].(map[string]any)["errors"] = int64(3)
	if got, _ := readCompacted(t, restoreInt64, restoreOf); got.Errors != 3 {
		t.Errorf("restoreOf read errors %d from an int64, want 3", got.Errors)
	}

	location, ok := readCompacted(t, veleroObject(t, `
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {namespace: velero, name: default}
spec: {default: true, provider: aws, objectStorage: {bucket: trust-backups}}
status: {phase: Available, lastValidationTime: "2026-11-01T08:00:00Z"}
`), storageLocationOf)
	if diff := cmp.Diff(controls.StorageLocation{Namespace: "velero", Name: "default", Default: true, Phase: "Available"}, location); diff != "" || !ok {
		t.Errorf("storageLocationOf (-want +got):\n%s\nok %v", diff, ok)
	}
}

// TestMalformedVeleroObjectsAreNoEvidence: a field of the wrong type (which only a
// manifest given to the audit can have: the API server checks Velero's schemas) makes the
// object no evidence at all, rather than one whose unread filters take everything.
func TestMalformedVeleroObjectsAreNoEvidence(t *testing.T) {
	cases := map[string]struct {
		manifest string
		read     func(*unstructured.Unstructured) bool
	}{
		"a Backup whose excludedNamespaces is a string": {`
apiVersion: velero.io/v1
kind: Backup
metadata: {namespace: velero, name: b}
spec: {excludedNamespaces: epr}
status: {phase: Completed, completionTimestamp: "2026-11-01T08:00:00Z"}`, func(u *unstructured.Unstructured) bool { _, ok := backupOf(u); return ok }},
		"a Backup with a completion time that is not a time": {`
apiVersion: velero.io/v1
kind: Backup
metadata: {namespace: velero, name: b}
status: {phase: Completed, completionTimestamp: yesterday}`, func(u *unstructured.Unstructured) bool { _, ok := backupOf(u); return ok }},
		"a Schedule whose template's labelSelector is a list": {`
apiVersion: velero.io/v1
kind: Schedule
metadata: {namespace: velero, name: s}
spec: {template: {labelSelector: [app]}}`, func(u *unstructured.Unstructured) bool { _, ok := scheduleOf(u); return ok }},
		"a Restore whose errors is a string": {`
apiVersion: velero.io/v1
kind: Restore
metadata: {namespace: velero, name: r}
status: {phase: Completed, errors: none}`, func(u *unstructured.Unstructured) bool { _, ok := restoreOf(u); return ok }},
		"a storage location whose default is a string": {`
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {namespace: velero, name: l}
spec: {default: "yes"}`, func(u *unstructured.Unstructured) bool { _, ok := storageLocationOf(u); return ok }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.read(veleroObject(t, tc.manifest)) {
				t.Error("read as evidence, want malformed")
			}
		})
	}
}
