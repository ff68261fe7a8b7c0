package controls

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Backups is what the cluster shows of backups and restores: Velero's objects
// (velero.io/v1, in any namespace) and CSI VolumeSnapshots (snapshot.storage.k8s.io/v1,
// in the asset's namespace). The fields are the parts the controls read.
type Backups struct {
	// VeleroInstalled and SnapshotsInstalled say whether the API serves those kinds.
	VeleroInstalled, SnapshotsInstalled bool
	VeleroBackups                       []VeleroBackup
	VeleroSchedules                     []VeleroSchedule
	VeleroRestores                      []VeleroRestore
	StorageLocations                    []StorageLocation
	VolumeSnapshots                     []VolumeSnapshot
}

// VeleroBackupSpec is what a Velero Backup, or a Schedule's template, takes.
type VeleroBackupSpec struct {
	// IncludedNamespaces and ExcludedNamespaces may hold glob patterns, as Velero allows.
	IncludedNamespaces, ExcludedNamespaces []string
	// IncludedResources and ExcludedResources limit the kinds backed up (the older filters).
	IncludedResources, ExcludedResources []string
	// IncludedNamespaceScopedResources and ExcludedNamespaceScopedResources limit the
	// namespaced kinds backed up (the newer filters; Velero refuses a Backup mixing both).
	IncludedNamespaceScopedResources, ExcludedNamespaceScopedResources []string
	// IncludeClusterResources says whether cluster-scoped objects (PersistentVolumes among
	// them) are taken; nil lets Velero decide (it takes the volumes of claims it takes).
	IncludeClusterResources  *bool
	LabelSelector            *metav1.LabelSelector
	OrLabelSelectors         []*metav1.LabelSelector
	SnapshotVolumes          *bool
	DefaultVolumesToFsBackup *bool
	// ResourcePolicy names the ConfigMap of a Velero resource policy, which the operator
	// does not read (it never reads ConfigMaps): the Backup is judged on the rest.
	ResourcePolicy string
	// StorageLocation names the BackupStorageLocation; empty for the default one.
	StorageLocation string
}

// VeleroBackup is a velero.io/v1 Backup.
type VeleroBackup struct {
	Namespace, Name string
	Spec            VeleroBackupSpec
	// Phase is status.phase: only Completed is evidence (PartiallyFailed is not).
	Phase string
	// Completed is status.completionTimestamp.
	Completed time.Time
}

// VeleroSchedule is a velero.io/v1 Schedule. Its status.lastBackup is when it last ran,
// not when a backup last succeeded, so it is never evidence of a backup.
type VeleroSchedule struct {
	Namespace, Name string
	Template        VeleroBackupSpec
}

// VeleroRestore is a velero.io/v1 Restore.
type VeleroRestore struct {
	Namespace, Name string
	// Backup is spec.backupName; Schedule is spec.scheduleName (restoring its newest backup).
	Backup, Schedule string
	// IncludedNamespaces, ExcludedNamespaces and the label selectors limit what it restored.
	IncludedNamespaces, ExcludedNamespaces []string
	LabelSelector                          *metav1.LabelSelector
	OrLabelSelectors                       []*metav1.LabelSelector
	Phase                                  string
	// Errors is status.errors.
	Errors             int
	Started, Completed time.Time
}

// StorageLocation is a velero.io/v1 BackupStorageLocation.
type StorageLocation struct {
	Namespace, Name string
	Default         bool
	// Phase is status.phase: Available or Unavailable.
	Phase string
}

// VolumeSnapshot is a snapshot.storage.k8s.io/v1 VolumeSnapshot.
type VolumeSnapshot struct {
	Name string
	// Claim is spec.source.persistentVolumeClaimName.
	Claim   string
	Ready   bool
	Created time.Time
}

// Ref returns the backup as Backup/namespace/name.
func (b VeleroBackup) Ref() string { return "Backup/" + b.Namespace + "/" + b.Name }

// BackupRecord is a backup that captured an asset.
type BackupRecord struct {
	Time time.Time
	// Source names what proves it, e.g. Backup/velero/daily-20261123.
	Source string
}

// The controls' defaults for backups and restores.
const (
	// DefaultBackupMaxAge is how old the newest backup may be unless the asset says otherwise.
	DefaultBackupMaxAge = 24 * time.Hour
	// DefaultRestoreTestInterval is how often a restore must be tested unless the asset says otherwise.
	DefaultRestoreTestInterval = 90 * 24 * time.Hour
	// annotationFsBackupVolumes opts a pod's volumes into Velero's file-system backup.
	annotationFsBackupVolumes = "backup.velero.io/backup-volumes"
)

// NewestBackup returns the newest backup that captured the asset, volumes included: a
// Completed Velero Backup covering it, or ready CSI VolumeSnapshots of every claim it
// uses. When there is none, notes says why, naming the usual causes (a tool not
// installed, a Schedule with no completed backup).
func NewestBackup(e *Evidence) (newest BackupRecord, found bool, notes []string) {
	for _, b := range e.Backups.VeleroBackups {
		if b.Phase != "Completed" || b.Completed.IsZero() {
			continue
		}
		if ok, _ := capturesAsset(e, b.Namespace, b.Spec); ok && b.Completed.After(newest.Time) {
			newest, found = BackupRecord{Time: b.Completed, Source: b.Ref()}, true
		}
	}
	if snapshots, ok := snapshotsOfEveryClaim(e); ok && snapshots.Time.After(newest.Time) {
		newest, found = snapshots, true
	}
	if !e.Backups.VeleroInstalled {
		notes = append(notes, "Velero (velero.io/v1) is not installed")
	}
	if !e.Backups.SnapshotsInstalled {
		notes = append(notes, "CSI VolumeSnapshots (snapshot.storage.k8s.io/v1) are not installed")
	}
	for _, s := range e.Backups.VeleroSchedules {
		if ok, _ := coversAsset(e, s.Template); ok {
			notes = append(notes, fmt.Sprintf("Schedule %s/%s covers the asset; check that its backups complete", s.Namespace, s.Name))
		}
	}
	return newest, found, notes
}

// capturesAsset reports whether a Velero backup spec, in the namespace Velero runs in,
// captures the asset with its volume data into a storage location that is Available, and
// if not, why.
func capturesAsset(e *Evidence, veleroNamespace string, spec VeleroBackupSpec) (bool, string) {
	if ok, why := coversAsset(e, spec); !ok {
		return false, why
	}
	if location, ok := storageLocation(e, veleroNamespace, spec.StorageLocation); !ok || location.Phase != "Available" {
		return false, "its BackupStorageLocation is not Available"
	}
	return true, ""
}

// coversAsset reports whether a Velero backup spec takes the asset's namespace, its pods
// and their volume data, wherever it stores them.
func coversAsset(e *Evidence, spec VeleroBackupSpec) (bool, string) {
	if !takesNamespace(spec.IncludedNamespaces, spec.ExcludedNamespaces, e.Asset.Namespace) {
		return false, "does not include namespace " + e.Asset.Namespace
	}
	for _, w := range e.Workloads {
		if !selectedByVelero(spec.LabelSelector, spec.OrLabelSelectors, w.Template.Labels) {
			return false, fmt.Sprintf("its label selectors do not select %s", w.Ref())
		}
	}
	if len(e.Claims) > 0 && !takesClaims(spec) {
		return false, "its resource filters leave out PersistentVolumeClaims or PersistentVolumes"
	}
	if !capturesVolumeData(e, spec) {
		return false, "it takes no volume data (snapshotVolumes is false and no file-system backup)"
	}
	return true, ""
}

// takesNamespace reports whether Velero's included and excluded namespaces, which may be
// glob patterns, take ns: an empty inclusion takes every namespace.
func takesNamespace(included, excluded []string, ns string) bool {
	matches := func(pattern string) bool { return glob(pattern, ns) }
	return (len(included) == 0 || slices.ContainsFunc(included, matches)) && !slices.ContainsFunc(excluded, matches)
}

// takesClaims reports whether Velero's resource filters keep claims and their volumes.
func takesClaims(spec VeleroBackupSpec) bool {
	kinds := []string{"persistentvolumeclaims", "persistentvolumes", "pvc", "pv"}
	named := func(resources []string) func(string) bool {
		return func(kind string) bool {
			return slices.ContainsFunc(resources, func(r string) bool { return r == "*" || strings.EqualFold(strings.Split(r, ".")[0], kind) })
		}
	}
	if len(spec.IncludedResources) > 0 && !(named(spec.IncludedResources)("persistentvolumeclaims") || named(spec.IncludedResources)("pvc")) {
		return false
	}
	return !slices.ContainsFunc(kinds, named(spec.ExcludedResources))
}

// selectedByVelero: labelSelector, when set, must match; orLabelSelectors, when set, one of them.
func selectedByVelero(labelSelector *metav1.LabelSelector, orLabelSelectors []*metav1.LabelSelector, podLabels map[string]string) bool {
	matches := func(s *metav1.LabelSelector) bool {
		selector, err := metav1.LabelSelectorAsSelector(s)
		return err == nil && selector.Matches(labels.Set(podLabels))
	}
	if labelSelector != nil && !matches(labelSelector) {
		return false
	}
	return len(orLabelSelectors) == 0 || slices.ContainsFunc(orLabelSelectors, matches)
}

// capturesVolumeData: volume snapshots (on unless snapshotVolumes is false), file-system
// backup of every volume, or every workload opting each of its persistent volumes into
// file-system backup with the annotation backup.velero.io/backup-volumes.
func capturesVolumeData(e *Evidence, spec VeleroBackupSpec) bool {
	if spec.SnapshotVolumes == nil || *spec.SnapshotVolumes {
		return true
	}
	if spec.DefaultVolumesToFsBackup != nil && *spec.DefaultVolumesToFsBackup {
		return true
	}
	for _, w := range e.Workloads {
		optedIn := strings.Split(w.Template.Annotations[annotationFsBackupVolumes], ",")
		for i := range optedIn {
			optedIn[i] = strings.TrimSpace(optedIn[i])
		}
		for _, volume := range persistentVolumes(w) {
			if !slices.Contains(optedIn, volume) {
				return false
			}
		}
	}
	return true
}

// persistentVolumes names a workload's volumes that hold data: claims, ephemeral claims
// and StatefulSet claim templates.
func persistentVolumes(w Workload) []string {
	var names []string
	for _, v := range w.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
			names = append(names, v.Name)
		}
	}
	for _, vct := range w.VolumeClaimTemplates {
		names = append(names, vct.Name)
	}
	return names
}

// storageLocation finds the BackupStorageLocation a backup writes to: the named one, or
// the namespace's default (the one marked default, else the one named "default", as
// Velero does).
func storageLocation(e *Evidence, namespace, name string) (StorageLocation, bool) {
	var named StorageLocation
	foundNamed := false
	for _, l := range e.Backups.StorageLocations {
		if l.Namespace != namespace {
			continue
		}
		switch {
		case name != "" && l.Name == name:
			return l, true
		case name == "" && l.Default:
			return l, true
		case name == "" && l.Name == "default":
			named, foundNamed = l, true
		}
	}
	return named, foundNamed
}

// snapshotsOfEveryClaim returns the time of the oldest of the newest ready snapshots of
// each of the asset's claims: the point in time all of them can be restored to. False
// when the asset has no claims or one has no ready snapshot.
func snapshotsOfEveryClaim(e *Evidence) (BackupRecord, bool) {
	var oldest BackupRecord
	claims := 0
	for _, c := range e.Claims {
		name, isClaim := strings.CutPrefix(c.Name, "PersistentVolumeClaim/")
		if !isClaim || c.Spec == nil {
			continue
		}
		claims++
		var newest *VolumeSnapshot
		for i, s := range e.Backups.VolumeSnapshots {
			if s.Claim == name && s.Ready && !s.Created.IsZero() && (newest == nil || s.Created.After(newest.Created)) {
				newest = &e.Backups.VolumeSnapshots[i]
			}
		}
		if newest == nil {
			return BackupRecord{}, false
		}
		if oldest.Time.IsZero() || newest.Created.Before(oldest.Time) {
			oldest = BackupRecord{Time: newest.Created, Source: "VolumeSnapshot/" + newest.Name}
		}
	}
	return oldest, claims > 0
}

// claimsWithoutSnapshot names the asset's claims that have no ready VolumeSnapshot.
func claimsWithoutSnapshot(e *Evidence) []string {
	var missing []string
	for _, c := range e.Claims {
		name, isClaim := strings.CutPrefix(c.Name, "PersistentVolumeClaim/")
		if isClaim && c.Spec != nil && !slices.ContainsFunc(e.Backups.VolumeSnapshots, func(s VolumeSnapshot) bool { return s.Claim == name && s.Ready }) {
			missing = append(missing, c.Name)
		}
	}
	return missing
}

// CoveringPlans returns the ContinuityPlans of the namespace that list the asset.
func CoveringPlans(e *Evidence) []isms.ContinuityPlan {
	var plans []isms.ContinuityPlan
	for _, p := range e.Plans {
		if slices.ContainsFunc(p.Spec.Assets, func(a isms.LocalObjectReference) bool { return a.Name == e.Asset.Name }) {
			plans = append(plans, p)
		}
	}
	slices.SortFunc(plans, func(a, b isms.ContinuityPlan) int { return cmp.Compare(a.Name, b.Name) })
	return plans
}

// MaxBackupAge is how old the asset's newest backup may be: backup.maxAge (default 24h),
// or a covering plan's RPO when stricter; and a phrase saying which.
func MaxBackupAge(e *Evidence) (time.Duration, string) {
	limit := DefaultBackupMaxAge
	if b := e.Asset.Spec.Controls; b != nil && backup(b).MaxAge != nil {
		limit = backup(b).MaxAge.Duration
	}
	source := "the maximum backup age " + limit.String()
	for _, p := range CoveringPlans(e) {
		if o := p.Spec.Objectives; o != nil && o.RPO != nil && o.RPO.Duration < limit {
			limit, source = o.RPO.Duration, fmt.Sprintf("the RPO %s of ContinuityPlan %s", o.RPO.Duration, p.Name)
		}
	}
	return limit, source
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
