package controls

import (
	"cmp"
	"container/heap"
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
	// VeleroInstalled and SnapshotsInstalled say whether the API serves those kinds;
	// offline, VeleroInstalled says the manifests hold Velero Backups at all.
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
	// ExcludedClusterScopedResources leaves cluster-scoped kinds out under the newer
	// filters: naming persistentvolumes, it leaves out the volumes of the claims taken.
	ExcludedClusterScopedResources []string
	// IncludeClusterResources says whether cluster-scoped objects (PersistentVolumes among
	// them) are taken; nil lets Velero decide (it takes the volumes of claims it takes,
	// unless includedResources lists kinds without persistentvolumes).
	IncludeClusterResources  *bool
	LabelSelector            *metav1.LabelSelector
	OrLabelSelectors         []*metav1.LabelSelector
	SnapshotVolumes          *bool
	DefaultVolumesToFsBackup *bool
	// ResourcePolicy names the ConfigMap of a Velero resource policy as namespace/name, which
	// the operator does not read (it never reads ConfigMaps): the Backup is judged on the
	// rest, and the evidence says the policy was not evaluated.
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
	// Schedule is the Schedule that made the Backup (its velero.io/schedule-name label), if any.
	Schedule string
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
	// Detail says how it captured the asset's volume data and what was not evaluated, e.g.
	// "volume data by volume snapshot, resource policy ConfigMap velero/skip-large not evaluated".
	Detail string
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
// uses. notes say what kept the other evidence out, sorted within each kind: a tool not
// installed, an object labelled velero.io/exclude-from-backup, the Backups and Schedules
// that take the asset's namespace and pods but leave something out (a Schedule's Backups
// are named by their Schedule, so the note stays the same from one run to the next; only
// Backups newer than the one found are named), and the Schedules that cover the asset.
func NewestBackup(e *Evidence) (newest BackupRecord, found bool, notes []string) {
	excluded := excludedFromBackup(e)
	type ruledOut struct {
		note      string
		completed time.Time
	}
	var out []ruledOut
	if len(excluded) == 0 {
		// Newest first, so that a namespace's history of Backups is judged only down to
		// the newest that captured the asset: older ones change neither result nor notes.
		completed := newestFirst{backups: e.Backups.VeleroBackups}
		for i, b := range e.Backups.VeleroBackups {
			if b.Phase == "Completed" && !b.Completed.IsZero() {
				completed.order = append(completed.order, i)
			}
		}
		heap.Init(&completed)
		for completed.Len() > 0 {
			b := e.Backups.VeleroBackups[heap.Pop(&completed).(int)]
			j := capturesAsset(e, b.Namespace, b.Spec)
			if j.captures {
				newest, found = BackupRecord{Time: b.Completed, Source: b.Ref(), Detail: j.how}, true
				break
			}
			if j.relevant {
				out = append(out, ruledOut{note: b.subject() + " " + j.why, completed: b.Completed})
			}
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
	notes = append(notes, excluded...)
	var backupNotes, scheduleNotes []string
	for _, o := range out {
		if !found || o.completed.After(newest.Time) {
			backupNotes = append(backupNotes, o.note)
		}
	}
	for _, s := range e.Backups.VeleroSchedules {
		switch j := coversAsset(e, s.Template); {
		case j.captures:
			scheduleNotes = append(scheduleNotes, fmt.Sprintf("Schedule %s/%s covers the asset; check that its backups complete", s.Namespace, s.Name))
		case j.relevant:
			backupNotes = append(backupNotes, fmt.Sprintf("Schedule %s/%s %s", s.Namespace, s.Name, j.why))
		}
	}
	slices.Sort(backupNotes)
	slices.Sort(scheduleNotes)
	notes = append(notes, slices.Compact(backupNotes)...)
	return newest, found, append(notes, scheduleNotes...)
}

// newestFirst orders Backups, by index, as a heap: the newest completed first, and of
// Backups completed at once, the first listed.
type newestFirst struct {
	backups []VeleroBackup
	order   []int
}

func (h newestFirst) Len() int { return len(h.order) }
func (h newestFirst) Less(i, j int) bool {
	a, b := h.backups[h.order[i]], h.backups[h.order[j]]
	if !a.Completed.Equal(b.Completed) {
		return a.Completed.After(b.Completed)
	}
	return h.order[i] < h.order[j]
}
func (h newestFirst) Swap(i, j int) { h.order[i], h.order[j] = h.order[j], h.order[i] }
func (h *newestFirst) Push(x any)   { h.order = append(h.order, x.(int)) }
func (h *newestFirst) Pop() any {
	last := h.order[len(h.order)-1]
	h.order = h.order[:len(h.order)-1]
	return last
}

// subject names a Backup in a note: by its Schedule when a Schedule made it, since its
// Backups share its template and a new run must not change the note.
func (b VeleroBackup) subject() string {
	if b.Schedule != "" {
		return "Schedule " + b.Namespace + "/" + b.Schedule
	}
	return "Backup " + b.Namespace + "/" + b.Name
}

// capturesAsset judges a Velero backup spec, in the namespace Velero runs in: it must cover
// the asset and write to a storage location that is Available.
func capturesAsset(e *Evidence, veleroNamespace string, spec VeleroBackupSpec) specJudgement {
	j := coversAsset(e, spec)
	if !j.captures {
		return j
	}
	location, ok := storageLocation(e, veleroNamespace, spec.StorageLocation)
	switch {
	case !ok && spec.StorageLocation == "":
		return specJudgement{relevant: true, why: "has no default BackupStorageLocation in namespace " + veleroNamespace}
	case !ok:
		return specJudgement{relevant: true, why: fmt.Sprintf("names BackupStorageLocation %s/%s, which does not exist", veleroNamespace, spec.StorageLocation)}
	case location.Phase != "Available":
		return specJudgement{relevant: true, why: fmt.Sprintf("writes to BackupStorageLocation %s/%s, which is not Available", location.Namespace, location.Name)}
	}
	return j
}

// coversAsset judges whether a Velero backup spec takes the asset's namespace, its pods and
// claims and their volume data, wherever it stores them (Velero's rules: velero_selection.go).
// None does when one of the asset's objects is labelled velero.io/exclude-from-backup; that
// is said once for the asset (excludedFromBackup), not for each spec.
func coversAsset(e *Evidence, spec VeleroBackupSpec) specJudgement {
	if excluded := excludedFromBackup(e); len(excluded) > 0 {
		return specJudgement{why: "cannot capture the asset: " + strings.Join(excluded, "; ")}
	}
	return judgeSpec(e, spec)
}

// takesNamespace reports whether Velero's included and excluded namespaces, which may be
// glob patterns, take ns: an empty inclusion takes every namespace.
func takesNamespace(included, excluded []string, ns string) bool {
	matches := func(pattern string) bool { return veleroGlob(pattern, ns) }
	return (len(included) == 0 || slices.ContainsFunc(included, matches)) && !slices.ContainsFunc(excluded, matches)
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
	if claims == 1 {
		oldest.Detail = "the newest ready VolumeSnapshot of the asset's only claim"
	} else {
		oldest.Detail = fmt.Sprintf("the oldest of the newest ready VolumeSnapshots of the asset's %d claims", claims)
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
	source := "the maximum backup age " + FormatDuration(limit)
	for _, p := range CoveringPlans(e) {
		if o := p.Spec.Objectives; o != nil && o.RPO != nil && o.RPO.Duration < limit {
			limit, source = o.RPO.Duration, fmt.Sprintf("the RPO %s of ContinuityPlan %s", FormatDuration(o.RPO.Duration), p.Name)
		}
	}
	return limit, source
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// FormatDuration writes a duration as people write it in manifests: 24h, 1h30m, 45m.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
