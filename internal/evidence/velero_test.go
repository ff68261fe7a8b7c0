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
			if diff := cmp.Diff(tc.want, backupOf(veleroObject(t, tc.manifest))); diff != "" {
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
	if diff := cmp.Diff(want, scheduleOf(u)); diff != "" {
		t.Errorf("scheduleOf (-want +got):\n%s", diff)
	}
}
