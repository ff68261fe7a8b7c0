package controls

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// The spec mutators of Velero's selection tests.

func namespaceScopedResources(included, excluded []string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) {
		s.IncludedNamespaceScopedResources, s.ExcludedNamespaceScopedResources = included, excluded
	}
}

func olderResources(included, excluded []string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) { s.IncludedResources, s.ExcludedResources = included, excluded }
}

func includeClusterResources(include bool) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) { s.IncludeClusterResources = ptr(include) }
}

func resourcePolicy(configMap string) func(*VeleroBackupSpec) {
	return func(s *VeleroBackupSpec) { s.ResourcePolicy = configMap }
}

// scheduled marks a Backup as made by a Schedule (its velero.io/schedule-name label).
func scheduled(schedule string, b VeleroBackup) VeleroBackup {
	b.Schedule = schedule
	return b
}

// excludeLabel is velero.io/exclude-from-backup with the given value.
func excludeLabel(value string) map[string]string {
	return map[string]string{"velero.io/exclude-from-backup": value}
}

// boundData makes the asset's claim "data" bound to PersistentVolume pv-data, whose labels
// and the claim's are given.
func boundData(claimLabels, volumeLabels map[string]string) func(*Evidence) {
	return func(e *Evidence) {
		pv := csiVolume("pv-data", "ebs.csi.aws.com", "gp3-encrypted", nil, daysAgo(100))
		pv.Labels = volumeLabels
		c := bound(pvc("data", ptr("gp3-encrypted")), pv)
		c.Labels = claimLabels
		e.Claims = []Claim{c}
	}
}

// TestVeleroSelection has one case per rule of Velero's that decides whether a Backup takes
// the asset with its volume data (velero_selection.go cites Velero's source for each).
func TestVeleroSelection(t *testing.T) {
	assetRef := "InformationAsset/" + testAsset
	ruledOut := func(words ...string) expect { return fail(wantFinding{Resource: assetRef, Words: words}) }
	daily := func(spec ...func(*VeleroBackupSpec)) func(*Evidence) {
		return withBackups(completedBackup("daily", hoursAgo(1), spec...))
	}
	cases := []struct {
		name     string
		reason   string
		evidence *Evidence
		want     expect
	}{
		// The newer namespace-scoped resource filters.
		{
			name:     "excludedNamespaceScopedResources: [persistentvolumeclaims] is not evidence",
			reason:   "issue 12: the claims, and with them their volumes, are left out",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"persistentvolumeclaims"}))),
			want:     ruledOut("Backup velero/daily leaves out persistentvolumeclaims", `excludedNamespaceScopedResources names "persistentvolumeclaims"`),
		},
		{
			name:     "excludedNamespaceScopedResources by short name pvc",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"pvc"}))),
			want:     ruledOut("leaves out persistentvolumeclaims", `"pvc"`),
		},
		{
			name:     "excludedNamespaceScopedResources by kind PersistentVolumeClaim",
			reason:   "Velero's RESTMapper lower-cases the entry and matches the singular",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"PersistentVolumeClaim"}))),
			want:     ruledOut("leaves out persistentvolumeclaims"),
		},
		{
			name:     "excludedNamespaceScopedResources: [pods]",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"pods"}))),
			want:     ruledOut("leaves out pods", `"pods"`),
		},
		{
			name:     "excludedNamespaceScopedResources: [po]",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"po"}))),
			want:     ruledOut("leaves out pods", `"po"`),
		},
		{
			name:     "excludedNamespaceScopedResources: [*] excludes every namespaced kind",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"*"}))),
			want:     ruledOut("leaves out pods", `"*"`),
		},
		{
			name:     "excludedNamespaceScopedResources glob persistent* matches the claims",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"secrets", "persistent*"}))),
			want:     ruledOut("leaves out persistentvolumeclaims", `"persistent*"`),
		},
		{
			name:     "excludedNamespaceScopedResources naming another group's pods",
			reason:   "pods.metrics.k8s.io is PodMetrics, not the core pods",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"pods.metrics.k8s.io", "secrets"}))),
			want:     pass("Backup/velero/daily"),
		},
		{
			name: "excludedNamespaceScopedResources: [persistentvolumeclaims.v1] excludes nothing",
			reason: "Velero reads the part after the first dot as a group; there is no group v1, so the entry " +
				"is kept as written and, as a glob, matches no resource",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"persistentvolumeclaims.v1"}))),
			want:     pass("Backup/velero/daily"),
		},
		{
			name:     "an excluded entry whose glob only Velero can read rules the Backup out",
			reason:   "gobwas reads {a,b} as alternatives; path.Match does not, so the entry cannot be judged",
			evidence: backupEvidence(daily(namespaceScopedResources(nil, []string{"{secrets,configmaps}"}))),
			want:     ruledOut("excludedNamespaceScopedResources entry", `"{secrets,configmaps}"`, "only Velero"),
		},
		{
			name:     "includedNamespaceScopedResources with pods and claims",
			evidence: backupEvidence(daily(namespaceScopedResources([]string{"deployments.apps", "pods", "persistentvolumeclaims"}, nil))),
			want:     pass("Backup/velero/daily"),
		},
		{
			name:     "includedNamespaceScopedResources by short names and kinds",
			evidence: backupEvidence(daily(namespaceScopedResources([]string{"Pod", "pvc"}, nil))),
			want:     pass("Backup/velero/daily"),
		},
		{
			name:     "includedNamespaceScopedResources: [*]",
			evidence: backupEvidence(daily(namespaceScopedResources([]string{"*"}, nil))),
			want:     pass("Backup/velero/daily"),
		},
		{
			name:     "includedNamespaceScopedResources without claims",
			evidence: backupEvidence(daily(namespaceScopedResources([]string{"deployments.apps", "pods"}, nil))),
			want:     ruledOut("leaves out persistentvolumeclaims", "includedNamespaceScopedResources does not name them"),
		},
		{
			name:     "includedNamespaceScopedResources without pods",
			evidence: backupEvidence(daily(namespaceScopedResources([]string{"deployments.apps", "persistentvolumeclaims"}, nil))),
			want:     ruledOut("leaves out pods", "includedNamespaceScopedResources does not name them"),
		},
		{
			name:     "includedNamespaceScopedResources: [persistentvolumeclaims.v1] does not take the claims",
			evidence: backupEvidence(daily(namespaceScopedResources([]string{"pods", "persistentvolumeclaims.v1"}, nil))),
			want:     ruledOut("leaves out persistentvolumeclaims"),
		},
		{
			name:     "includedNamespaceScopedResources: [PVC] does not take the claims",
			reason:   "Velero expands short names case-sensitively before lower-casing, and no resource is named pvc",
			evidence: backupEvidence(daily(namespaceScopedResources([]string{"pods", "PVC"}, nil))),
			want:     ruledOut("leaves out persistentvolumeclaims"),
		},
		{
			name:     "an asset without volumes needs only its pods taken",
			evidence: backupEvidence(func(e *Evidence) { e.Workloads, e.Claims = []Workload{deployment("epr-api")}, nil }, daily(namespaceScopedResources([]string{"pods"}, nil))),
			want:     pass("Backup/velero/daily", "no persistent volume to capture"),
		},
		{
			name:     "older and newer resource filters together: Velero refuses the Backup",
			evidence: backupEvidence(daily(olderResources([]string{"*"}, nil), namespaceScopedResources([]string{"*"}, nil))),
			want:     ruledOut("mixes the older resource filters"),
		},

		// The older resource filters and includeClusterResources.
		{
			name:     "excludedResources: [pvc]",
			evidence: backupEvidence(daily(olderResources(nil, []string{"pvc"}))),
			want:     ruledOut("leaves out persistentvolumeclaims", `excludedResources names "pvc"`),
		},
		{
			name:     "excludedResources: [pods]",
			evidence: backupEvidence(daily(olderResources(nil, []string{"pods"}))),
			want:     ruledOut("leaves out pods"),
		},
		{
			name: "includedResources without persistentvolumes: no volume snapshot",
			reason: "with includeClusterResources unset, a PersistentVolume outside includedResources is left out " +
				"even when its claim is taken, and Velero's own snapshot is taken of the PersistentVolume",
			evidence: backupEvidence(daily(olderResources([]string{"pods", "persistentvolumeclaims"}, nil))),
			want:     ruledOut("takes no data of Deployment/epr-db volume data", "includedResources does not name them"),
		},
		{
			name:     "includedResources without persistentvolumes, with file-system backup",
			evidence: backupEvidence(daily(olderResources([]string{"pods", "persistentvolumeclaims"}, nil), fsBackupByDefault)),
			want:     pass("Backup/velero/daily", "volume data by file-system backup"),
		},
		{
			name:     "includedResources without persistentvolumes, includeClusterResources true",
			evidence: backupEvidence(daily(olderResources([]string{"pods", "persistentvolumeclaims"}, nil), includeClusterResources(true))),
			want:     pass("Backup/velero/daily", "volume data by volume snapshot"),
		},
		{
			name: "includeClusterResources false: no PersistentVolume, so no volume snapshot",
			reason: "Velero takes no cluster-scoped object, not even a claim's volume; its own snapshots are " +
				"taken of the PersistentVolume, and whether CSI snapshots replace them is a server flag",
			evidence: backupEvidence(daily(includeClusterResources(false))),
			want:     ruledOut("takes no data of Deployment/epr-db volume data", "includeClusterResources is false"),
		},
		{
			name:     "includeClusterResources false with defaultVolumesToFsBackup",
			evidence: backupEvidence(daily(includeClusterResources(false), fsBackupByDefault)),
			want:     pass("Backup/velero/daily", "volume data by file-system backup"),
		},
		{
			name: "includeClusterResources false, the pod's annotation backs the volume up by file system",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-db", mountsClaims("data"), podAnnotations(map[string]string{"backup.velero.io/backup-volumes": "data"}))}
			}, daily(includeClusterResources(false))),
			want: pass("Backup/velero/daily", "volume data by file-system backup"),
		},
		{
			name:     "includeClusterResources true",
			evidence: backupEvidence(daily(includeClusterResources(true))),
			want:     pass("Backup/velero/daily", "volume data by volume snapshot"),
		},
		{
			name:     "excludedClusterScopedResources naming persistentvolumes: no volume snapshot",
			evidence: backupEvidence(daily(func(s *VeleroBackupSpec) { s.ExcludedClusterScopedResources = []string{"persistentvolumes"} })),
			want:     ruledOut("takes no data of Deployment/epr-db volume data", `excludedClusterScopedResources names "persistentvolumes"`),
		},
		{
			name:     "excludedClusterScopedResources \"*\" leaves out every cluster-scoped kind",
			evidence: backupEvidence(daily(func(s *VeleroBackupSpec) { s.ExcludedClusterScopedResources = []string{"*"} })),
			want:     ruledOut("takes no data of Deployment/epr-db volume data", `excludedClusterScopedResources names "*"`),
		},
		{
			name:     "excludedClusterScopedResources naming other kinds keeps the volumes",
			evidence: backupEvidence(daily(func(s *VeleroBackupSpec) { s.ExcludedClusterScopedResources = []string{"storageclasses"} })),
			want:     pass("Backup/velero/daily", "volume data by volume snapshot"),
		},

		// Label selectors.
		{
			name: "labelSelector with an expression selecting the asset's pods",
			evidence: backupEvidence(daily(func(s *VeleroBackupSpec) {
				s.LabelSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"epr", "pas"}}}}
			})),
			want: pass("Backup/velero/daily"),
		},
		{
			name: "labelSelector leaving out one of two workloads names it",
			evidence: backupEvidence(func(e *Evidence) { e.Workloads = append(e.Workloads, deployment("epr-api")) },
				daily(backupLabelSelector(map[string]string{"component": "epr-db"}))),
			want: ruledOut("Backup velero/daily does not select Deployment/epr-api with its label selectors"),
		},
		{
			name:     "orLabelSelectors leaving out the asset's pods",
			evidence: backupEvidence(daily(backupOrLabelSelectors(map[string]string{"app": "pas"}))),
			want:     ruledOut("no complete backup"),
		},

		// velero.io/exclude-from-backup.
		{
			name: "exclude-from-backup on the pod template",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-db", mountsClaims("data"), podLabels(excludeLabel("true")))}
			}, daily()),
			want: ruledOut("the pod template of Deployment/epr-db", "velero.io/exclude-from-backup"),
		},
		{
			name:     "exclude-from-backup on the claim",
			evidence: backupEvidence(boundData(excludeLabel("true"), nil), daily()),
			want:     ruledOut("PersistentVolumeClaim/data is labelled velero.io/exclude-from-backup"),
		},
		{
			name:     "exclude-from-backup on the bound PersistentVolume",
			evidence: backupEvidence(boundData(nil, excludeLabel("true")), daily()),
			want:     ruledOut("PersistentVolume/pv-data, bound to PersistentVolumeClaim/data, is labelled velero.io/exclude-from-backup"),
		},
		{
			name:     "exclude-from-backup on the PersistentVolume, with file-system backup",
			reason:   "controls.md: none of the asset's pods, PVCs or PVs may carry the label",
			evidence: backupEvidence(boundData(nil, excludeLabel("true")), daily(fsBackupByDefault)),
			want:     ruledOut("PersistentVolume/pv-data"),
		},
		{
			name:     "exclude-from-backup on the namespace",
			evidence: backupEvidence(func(e *Evidence) { e.Namespace = namespace(excludeLabel("true"), nil) }, daily()),
			want:     ruledOut("namespace epr is labelled velero.io/exclude-from-backup"),
		},
		{
			name:     "exclude-from-backup other than true excludes nothing",
			evidence: backupEvidence(boundData(excludeLabel("false"), excludeLabel("yes")), daily()),
			want:     pass("Backup/velero/daily"),
		},

		// Volume data.
		{
			name:     "snapshotVolumes unset: volumes by snapshot",
			evidence: backupEvidence(daily()),
			want:     pass("Backup/velero/daily", "volume data by volume snapshot"),
		},
		{
			name:     "snapshotVolumes false without file-system backup",
			evidence: backupEvidence(daily(noVolumeSnapshots)),
			want:     ruledOut("takes no data of Deployment/epr-db volume data: snapshotVolumes is false"),
		},
		{
			name:     "snapshotVolumes false with defaultVolumesToFsBackup",
			evidence: backupEvidence(daily(noVolumeSnapshots, fsBackupByDefault)),
			want:     pass("Backup/velero/daily", "volume data by file-system backup"),
		},
		{
			name: "snapshotVolumes false, defaultVolumesToFsBackup, the volume opted out",
			evidence: backupEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-db", mountsClaims("data"), podAnnotations(map[string]string{"backup.velero.io/backup-volumes-excludes": "data"}))}
			}, daily(noVolumeSnapshots, fsBackupByDefault)),
			want: ruledOut("takes no data of Deployment/epr-db volume data"),
		},
		{
			name: "snapshotVolumes false, the annotation names a volume with a space before it",
			reason: "Velero splits backup.velero.io/backup-volumes on commas and compares the names as " +
				"they are, so \" wal\" is not the volume wal",
			evidence: backupEvidence(func(e *Evidence) {
				twoClaims(e)
				e.Workloads = []Workload{deployment("epr-db", mountsClaims("data", "wal"), podAnnotations(map[string]string{"backup.velero.io/backup-volumes": "data, wal"}))}
			}, daily(noVolumeSnapshots)),
			want: ruledOut("takes no data of Deployment/epr-db volume wal"),
		},
		{
			name: "snapshotVolumes false, a StatefulSet's claim template opted in",
			evidence: backupEvidence(func(e *Evidence) {
				sts := workload("StatefulSet", "epr-db", podAnnotations(map[string]string{"backup.velero.io/backup-volumes": "data"}))
				sts.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}}
				e.Workloads = []Workload{sts}
				e.Claims = []Claim{{Name: "StatefulSet/epr-db volumeClaimTemplate data", Spec: &corev1.PersistentVolumeClaimSpec{}}}
			}, daily(noVolumeSnapshots)),
			want: pass("Backup/velero/daily", "volume data by file-system backup"),
		},
		{
			name: "snapshots for one volume, file-system backup for the other",
			evidence: backupEvidence(func(e *Evidence) {
				twoClaims(e)
				e.Workloads = []Workload{deployment("epr-db", mountsClaims("data", "wal"), podAnnotations(map[string]string{"backup.velero.io/backup-volumes": "wal"}))}
			}, daily()),
			want: pass("Backup/velero/daily", "volume data by volume snapshot and file-system backup"),
		},

		// Resource policies.
		{
			name:     "a resource policy is named as not evaluated in the passing evidence",
			evidence: backupEvidence(daily(resourcePolicy("velero/skip-large"))),
			want:     pass("Backup/velero/daily", "resource policy ConfigMap velero/skip-large not evaluated"),
		},
		{
			name:     "a resource policy is named as not evaluated when the backup is too old",
			evidence: backupEvidence(withBackups(completedBackup("daily", hoursAgo(30), resourcePolicy("velero/skip-large")))),
			want:     ruledOut("Backup/velero/daily", "older than", "resource policy ConfigMap velero/skip-large not evaluated"),
		},
		{
			name:     "a Backup with a resource policy is still judged on the rest",
			evidence: backupEvidence(daily(resourcePolicy("velero/skip-large"), namespaceScopedResources(nil, []string{"persistentvolumeclaims"}))),
			want:     ruledOut("leaves out persistentvolumeclaims"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reason != "" {
				t.Log(tc.reason)
			}
			assertOutcome(t, checkBackupRecent(tc.evidence), tc.want)
		})
	}
}

// TestFilterEntryNames pins how a Velero resource filter entry resolves without discovery.
func TestFilterEntryNames(t *testing.T) {
	type got struct {
		Names       bool
		Unjudgeable bool
	}
	cases := []struct {
		entry, resource string
		want            got
	}{
		{"persistentvolumeclaims", resourceClaims, got{Names: true}},
		{"PersistentVolumeClaims", resourceClaims, got{Names: true}},
		{"persistentvolumeclaim", resourceClaims, got{Names: true}},
		{"pvc", resourceClaims, got{Names: true}},
		{"PVC", resourceClaims, got{}},
		{"persistentvolumeclaims.", resourceClaims, got{Names: true}},
		{"persistentvolumeclaims.v1", resourceClaims, got{}},
		{"persistentvolumeclaims", resourceVolumes, got{}},
		{"pv", resourceVolumes, got{Names: true}},
		{"pods", resourcePods, got{Names: true}},
		{"po", resourcePods, got{Names: true}},
		{"pods.metrics.k8s.io", resourcePods, got{}},
		{"deployments.apps", resourcePods, got{}},
		{"*", resourcePods, got{Names: true}},
		{"p?ds", resourcePods, got{Names: true}},
		{"persistentvolume[cs]*", resourceClaims, got{Names: true}},
		{"persistentvolume[cs]*", resourceVolumes, got{Names: true}},
		{"*.apps", resourcePods, got{}},
		{"{pods,secrets}", resourcePods, got{Unjudgeable: true}},
		{"[!a]ods", resourcePods, got{Unjudgeable: true}},
		{"[", resourcePods, got{Unjudgeable: true}},
	}
	for _, tc := range cases {
		t.Run(tc.entry+" "+tc.resource, func(t *testing.T) {
			names, err := filterEntryNames(tc.entry, tc.resource)
			if diff := cmp.Diff(tc.want, got{Names: names, Unjudgeable: err != nil}); diff != "" {
				t.Errorf("filterEntryNames(%q, %q) (-want +got):\n%s", tc.entry, tc.resource, diff)
			}
		})
	}
}

// TestBackupMessages pins whole BAK-01 and BAK-02 messages: what passed, and everything that
// ruled a Backup out, sorted and the same from one backup run to the next.
func TestBackupMessages(t *testing.T) {
	const prefix = "no complete backup captures the asset and its volume data: "
	cases := []struct {
		name     string
		check    func(*Evidence) outcome
		evidence *Evidence
		// passed or finding is the whole sentence expected.
		passed, finding string
	}{
		{
			name:     "BAK-01 passes on a Backup, saying how volume data was captured",
			check:    checkBackupRecent,
			evidence: backupEvidence(withBackups(completedBackup("daily-1", hoursAgo(2), resourcePolicy("velero/skip-large")))),
			passed: "Backup/velero/daily-1 completed at 2026-03-02T07:00:00Z, within the maximum backup age 24h: " +
				"volume data by volume snapshot, resource policy ConfigMap velero/skip-large not evaluated",
		},
		{
			name:  "BAK-01 passes on VolumeSnapshots of every claim",
			check: checkBackupRecent,
			evidence: backupEvidence(twoClaims, withSnapshots(
				volumeSnapshot("data-snap-1", "data", true, hoursAgo(3)),
				volumeSnapshot("wal-snap-1", "wal", true, hoursAgo(5)))),
			passed: "VolumeSnapshot/wal-snap-1 was taken at 2026-03-02T04:00:00Z, within the maximum backup age 24h: " +
				"the oldest of the newest ready VolumeSnapshots of the asset's 2 claims",
		},
		{
			name:  "a Schedule's Backups ruled out for one reason are named once, by their Schedule",
			check: checkBackupRecent,
			evidence: backupEvidence(
				withSchedules(veleroSchedule("epr-daily", namespaceScopedResources(nil, []string{"persistentvolumeclaims"}))),
				withBackups(
					scheduled("epr-daily", completedBackup("epr-daily-20260301", hoursAgo(25), namespaceScopedResources(nil, []string{"persistentvolumeclaims"}))),
					scheduled("epr-daily", completedBackup("epr-daily-20260302", hoursAgo(1), namespaceScopedResources(nil, []string{"persistentvolumeclaims"}))))),
			finding: prefix + `Schedule velero/epr-daily leaves out persistentvolumeclaims (excludedNamespaceScopedResources names "persistentvolumeclaims"); ` +
				"no ready VolumeSnapshot of PersistentVolumeClaim/data",
		},
		{
			name:  "every reason is named, sorted; Backups of other namespaces and pods are not",
			check: checkBackupRecent,
			evidence: backupEvidence(
				withStorageLocations(backupLocation("default", true, "Available"), backupLocation("offsite", false, "Unavailable")),
				withBackups(
					completedBackup("payroll", hoursAgo(1), includesNamespaces("payroll")),
					completedBackup("pas", hoursAgo(1), backupLabelSelector(map[string]string{"app": "pas"})),
					completedBackup("offsite-1", hoursAgo(2), toStorageLocation("offsite")),
					completedBackup("manual-2", hoursAgo(3), includeClusterResources(false)),
					completedBackup("manual-1", hoursAgo(4), noVolumeSnapshots))),
			finding: prefix +
				"Backup velero/manual-1 takes no data of Deployment/epr-db volume data: snapshotVolumes is false and no file-system backup covers it; " +
				"Backup velero/manual-2 takes no data of Deployment/epr-db volume data: it leaves out persistentvolumes (includeClusterResources is false), so Velero takes no volume snapshot of its own, and no file-system backup covers it; " +
				"Backup velero/offsite-1 writes to BackupStorageLocation velero/offsite, which is not Available; " +
				"no ready VolumeSnapshot of PersistentVolumeClaim/data",
		},
		{
			name:  "a stale Backup: only the newer Backups ruled out are named",
			check: checkBackupRecent,
			evidence: backupEvidence(withBackups(
				completedBackup("old-excluding", hoursAgo(40), namespaceScopedResources(nil, []string{"pvc"})),
				completedBackup("daily-1", hoursAgo(30)),
				completedBackup("new-excluding", hoursAgo(2), namespaceScopedResources(nil, []string{"pvc"})))),
			finding: "the newest complete backup, Backup/velero/daily-1, finished at 2026-03-01T03:00:00Z (volume data by volume snapshot), " +
				"so it is older than the maximum backup age 24h: " +
				`Backup velero/new-excluding leaves out persistentvolumeclaims (excludedNamespaceScopedResources names "pvc")`,
		},
		{
			name:  "objects labelled exclude-from-backup are named once, for every Backup",
			check: checkBackupRecent,
			evidence: backupEvidence(boundData(excludeLabel("true"), excludeLabel("true")),
				withSchedules(veleroSchedule("epr-daily")),
				withBackups(completedBackup("daily-1", hoursAgo(1)), completedBackup("daily-2", hoursAgo(2)))),
			finding: prefix +
				`PersistentVolume/pv-data, bound to PersistentVolumeClaim/data, is labelled velero.io/exclude-from-backup: "true", so Velero leaves it out of every Backup; ` +
				`PersistentVolumeClaim/data is labelled velero.io/exclude-from-backup: "true", so Velero leaves it out of every Backup; ` +
				"no ready VolumeSnapshot of PersistentVolumeClaim/data",
		},
		{
			name:  "BAK-02 passes on a Restore, naming its Backup and when",
			check: checkRestoreTested,
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11), resourcePolicy("velero/skip-large"))),
				withRestores(veleroRestore("drill-1", "daily-1", "Completed", 0, daysAgo(10).Add(-40*time.Minute), daysAgo(10)))),
			passed: "Restore/velero/drill-1 tested a restore at 2026-02-20T09:00:00Z, within the restore test interval 2160h: " +
				"Restore of Backup velero/daily-1 (resource policy ConfigMap velero/skip-large not evaluated), no errors, in 40m",
		},
		{
			name:  "BAK-02 passes on a Restore of a Schedule's newest backup",
			check: checkRestoreTested,
			evidence: backupEvidence(withSchedules(veleroSchedule("hourly")),
				withRestores(VeleroRestore{Namespace: veleroNamespace, Name: "drill-1", Schedule: "hourly", Phase: "Completed", Completed: daysAgo(10)})),
			passed: "Restore/velero/drill-1 tested a restore at 2026-02-20T09:00:00Z, within the restore test interval 2160h: " +
				"Restore of the newest backup of Schedule velero/hourly, no errors",
		},
		{
			name:  "BAK-02 passes on a plan's exercise, naming it and when",
			check: checkRestoreTested,
			evidence: backupEvidence(withPlans(continuityPlan(testPlan, []string{testAsset}, planExercises(func() isms.ExerciseRecord {
				r := exerciseRecord(isms.ExerciseTechnicalRestore, isms.ResultPassed, daysAgo(10))
				r.AchievedRTO = &metav1.Duration{Duration: 2 * time.Hour}
				return r
			}())))),
			passed: "ContinuityPlan/epr-continuity exercise 0 (2026-02-20) tested a restore at 2026-02-20T09:00:00Z, within the restore test interval 2160h: " +
				"a passed TechnicalRestore exercise, achieved RTO 2h",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.check(tc.evidence)
			var gotPassed, gotFinding string
			if len(out.passed) > 0 {
				gotPassed = out.passed[0]
			}
			if len(out.findings) > 0 {
				gotFinding = out.findings[0].Message
			}
			if len(out.passed) > 1 || len(out.findings) > 1 {
				t.Errorf("want one sentence, got passed %q and findings %+v", out.passed, out.findings)
			}
			if diff := cmp.Diff(tc.passed, gotPassed); diff != "" {
				t.Errorf("passed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.finding, gotFinding); diff != "" {
				t.Errorf("finding (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRestoreTestedSelection: BAK-02 counts a Restore only of a Backup that, by the rules of
// TestVeleroSelection, captured the asset; and never for an asset that selects no workload.
func TestRestoreTestedSelection(t *testing.T) {
	noWorkloads := func(e *Evidence) { e.Workloads, e.Claims = nil, nil }
	drill := withRestores(veleroRestore("drill-1", "daily-1", "Completed", 0, daysAgo(10).Add(-time.Hour), daysAgo(10)))
	type summary struct {
		Status Status
		Reason string
		// Restore is what NewestVeleroRestore finds, which ContinuityPlans also use.
		Restore string
	}
	cases := []struct {
		name     string
		evidence *Evidence
		want     summary
	}{
		{
			name:     "an asset selecting no workload, with a Restore of a namespace-wide Backup, is not evaluated",
			evidence: backupEvidence(noWorkloads, withBackups(completedBackup("daily-1", daysAgo(11))), drill),
			want:     summary{Status: StatusNotEvaluated, Reason: NoWorkloads},
		},
		{
			name: "an asset selecting no workload, with a passed restore exercise, is not evaluated",
			evidence: backupEvidence(noWorkloads, withPlans(continuityPlan(testPlan, []string{testAsset},
				planExercises(exerciseRecord(isms.ExerciseTechnicalRestore, isms.ResultPassed, daysAgo(10)))))),
			want: summary{Status: StatusNotEvaluated, Reason: NoWorkloads},
		},
		{
			name:     "a Restore of a namespace-wide Backup that captured the asset",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11))), drill),
			want:     summary{Status: StatusPass, Restore: "Restore/velero/drill-1"},
		},
		{
			name:     "a Restore of a Backup excluding the claims",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11), namespaceScopedResources(nil, []string{"persistentvolumeclaims"}))), drill),
			want:     summary{Status: StatusFail},
		},
		{
			name:     "a Restore of a Backup taking no volume data",
			evidence: backupEvidence(withBackups(completedBackup("daily-1", daysAgo(11), includeClusterResources(false))), drill),
			want:     summary{Status: StatusFail},
		},
		{
			name:     "a Restore of a Backup, the asset's claim now labelled exclude-from-backup",
			evidence: backupEvidence(boundData(excludeLabel("true"), nil), withBackups(completedBackup("daily-1", daysAgo(11))), drill),
			want:     summary{Status: StatusFail},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got summary
			for _, r := range Evaluate(tc.evidence).Results {
				if r.Control == isms.ControlRestoreTested {
					got.Status, got.Reason = r.Status, r.Reason
				}
			}
			if r, ok := NewestVeleroRestore(tc.evidence); ok {
				got.Restore = r.Source
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("BAK-02 (-want +got):\n%s", diff)
			}
		})
	}
}
