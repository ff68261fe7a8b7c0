package controls

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Velero's selection rules: which of the asset's objects a Backup (or a Schedule's template)
// takes, and whether it captures their volume data. They follow Velero v1.18's source
// (github.com/vmware-tanzu/velero), cited by file; where a rule depends on what only Velero
// sees (its API discovery, its server flags, a resource policy ConfigMap), the Backup is not
// counted, or the evidence says what was not evaluated.

const (
	// labelExcludeFromBackup, set to "true" on an object, makes Velero leave it out of every
	// Backup (pkg/backup/item_backupper.go, itemInclusionChecks; on a namespace,
	// pkg/controller/backup_controller.go adds it to the excluded namespaces).
	labelExcludeFromBackup = "velero.io/exclude-from-backup"
	// annotationFsBackupExcludes opts a pod's volumes out of file-system backup when the
	// Backup backs up every volume that way (defaultVolumesToFsBackup).
	annotationFsBackupExcludes = "backup.velero.io/backup-volumes-excludes"
)

// The resources Velero must take for a Backup to hold the asset, as its filters name them once
// resolved: a group-resource string, with no suffix for the core group.
const (
	resourcePods    = "pods"
	resourceClaims  = "persistentvolumeclaims"
	resourceVolumes = "persistentvolumes"
)

// resourceAliases are the other names Velero resolves to each resource: the singular (the
// RESTMapper lower-cases what it is given and matches plural or singular) and the short name
// (expanded before that, case-sensitively, by third_party/kubernetes/pkg/kubectl/cmd/util/
// shortcut_expander.go).
var resourceAliases = map[string]struct{ singular, short string }{
	resourcePods:    {"pod", "po"},
	resourceClaims:  {"persistentvolumeclaim", "pvc"},
	resourceVolumes: {"persistentvolume", "pv"},
}

// errUnjudgeable marks a filter entry whose meaning only Velero's own resolution could tell.
var errUnjudgeable = errors.New("a filter entry only Velero can resolve")

// unjudgeable says which filter entry cannot be judged, as a predicate following a Backup's name.
func unjudgeable(field, entry string) string {
	return fmt.Sprintf("has the %s entry %q, whose meaning only Velero's own resolution can tell", field, entry)
}

// filterEntryNames reports whether one entry of a Velero resource filter names the resource,
// as pkg/util/collections/includes_excludes.go resolves entries: schema.ParseGroupResource
// (the resource before the first dot, the group after it), then the discovery helper's
// RESTMapper; an entry it cannot resolve is kept as written and matched as a gobwas glob
// against the resolved name. So "pods", "Pod", "po" and "persistentvolumeclaims." name core
// resources; "pods.metrics.k8s.io" names another group's resource; "persistentvolumeclaims.v1"
// resolves to nothing (there is no group "v1") and, kept as written, matches nothing; and
// "persistent*" matches as a glob. Glob syntax that path.Match reads differently from gobwas
// ({a,b}, [!a], escapes) is errUnjudgeable: Velero's match also gives up on a pattern it
// cannot compile, for every entry of the list.
func filterEntryNames(entry, resource string) (bool, error) {
	if entry == "*" {
		return true, nil
	}
	if strings.ContainsAny(entry, "*?[]") {
		if strings.ContainsAny(entry, `{}\!`) || strings.Contains(entry, "[^") {
			return false, errUnjudgeable
		}
		matched, err := path.Match(entry, resource)
		if err != nil {
			return false, errUnjudgeable
		}
		return matched, nil
	}
	if strings.ContainsAny(entry, `{}\!`) {
		return false, errUnjudgeable
	}
	name, group, _ := strings.Cut(entry, ".")
	if group != "" {
		return false, nil // a resource of another API group, never the core one
	}
	alias := resourceAliases[resource]
	lower := strings.ToLower(name)
	return lower == resource || lower == alias.singular || name == alias.short, nil
}

// resourceFilter is the resource filter Velero applies to a Backup: the older one
// (includedResources, excludedResources, includeClusterResources) when any of those is set,
// else the newer namespace-scoped one (collections.UseOldResourceFilters).
type resourceFilter struct {
	legacy                       bool
	included, excluded           []string
	includedField, excludedField string
	includeClusterResources      *bool
	// excludedCluster is excludedClusterScopedResources, read with the newer filter.
	excludedCluster []string
}

func resourceFilterOf(spec VeleroBackupSpec) resourceFilter {
	if spec.IncludeClusterResources != nil || len(spec.IncludedResources) > 0 || len(spec.ExcludedResources) > 0 {
		return resourceFilter{legacy: true, included: spec.IncludedResources, excluded: spec.ExcludedResources,
			includedField: "includedResources", excludedField: "excludedResources",
			includeClusterResources: spec.IncludeClusterResources}
	}
	return resourceFilter{included: spec.IncludedNamespaceScopedResources, excluded: spec.ExcludedNamespaceScopedResources,
		includedField: "includedNamespaceScopedResources", excludedField: "excludedNamespaceScopedResources",
		excludedCluster: spec.ExcludedClusterScopedResources}
}

// mixesResourceFilters: Velero fails the validation of a Backup that sets both the older and
// the newer resource filters (pkg/controller/backup_controller.go,
// oldAndNewFilterParametersUsedTogether), so such a spec never completes.
func mixesResourceFilters(spec VeleroBackupSpec) bool {
	older := spec.IncludeClusterResources != nil || len(spec.IncludedResources) > 0 || len(spec.ExcludedResources) > 0
	newer := len(spec.IncludedNamespaceScopedResources) > 0 || len(spec.ExcludedNamespaceScopedResources) > 0 ||
		len(spec.ExcludedClusterScopedResources) > 0
	return older && newer
}

// naming returns the first entry of a filter list that names the resource. starNames says
// whether "*" does: the newer filters exclude everything with it; the older ones ignore it in
// excludedResources (generateIncludesExcludes skips it). An entry that cannot be judged makes
// the whole list unjudgeable, as a pattern Velero cannot compile fails its whole match.
func naming(entries []string, resource string, starNames bool) (entry string, found bool, err error) {
	for _, e := range entries {
		if e == "*" {
			if starNames && !found {
				entry, found = e, true
			}
			continue
		}
		names, err := filterEntryNames(e, resource)
		if err != nil {
			return e, false, err
		}
		if names && !found {
			entry, found = e, true
		}
	}
	return entry, found, nil
}

// takes reports whether the filter takes a namespaced resource (IncludesExcludes.ShouldInclude
// for the older filter, ScopeIncludesExcludes.ShouldInclude for the newer one); when it does
// not, why says which field leaves it out.
func (f resourceFilter) takes(resource string) (taken bool, why string, err error) {
	entry, excluded, err := naming(f.excluded, resource, !f.legacy)
	switch {
	case err != nil:
		return false, unjudgeable(f.excludedField, entry), err
	case excluded:
		return false, fmt.Sprintf("%s names %q", f.excludedField, entry), nil
	}
	if len(f.included) == 0 || slices.Contains(f.included, "*") {
		return true, "", nil
	}
	entry, included, err := naming(f.included, resource, true)
	switch {
	case err != nil:
		return false, unjudgeable(f.includedField, entry), err
	case !included:
		return false, fmt.Sprintf("%s does not name them", f.includedField), nil
	}
	return true, "", nil
}

// takesVolumes reports whether Velero takes the PersistentVolumes of the claims it takes,
// which are cluster-scoped: the PVC action adds a claim's volume to the backup, and the
// item backupper then asks ShouldExclude (pkg/backup/item_backupper.go, itemInclusionChecks).
//
// With the older filter (GlobalIncludesExcludes.ShouldExclude), the volume is left out when
// excludedResources names it, when includeClusterResources is false, and when
// includeClusterResources is unset and includedResources lists kinds without it. Velero's
// resource-filtering docs say the same: related cluster-scoped objects (PVC->PV) are taken
// "unless --include-cluster-resources=false". With the newer filter
// (ScopeIncludesExcludes.ShouldExclude) only excludedClusterScopedResources leaves it out,
// "*" there leaving out every cluster-scoped kind.
func (f resourceFilter) takesVolumes() (taken bool, why string, err error) {
	if !f.legacy {
		entry, excluded, err := naming(f.excludedCluster, resourceVolumes, true)
		switch {
		case err != nil:
			return false, unjudgeable("excludedClusterScopedResources", entry), err
		case excluded:
			return false, fmt.Sprintf("excludedClusterScopedResources names %q", entry), nil
		}
		return true, "", nil
	}
	entry, excluded, err := naming(f.excluded, resourceVolumes, false)
	switch {
	case err != nil:
		return false, unjudgeable(f.excludedField, entry), err
	case excluded:
		return false, fmt.Sprintf("%s names %q", f.excludedField, entry), nil
	case f.includeClusterResources != nil && !*f.includeClusterResources:
		return false, "includeClusterResources is false", nil
	case f.includeClusterResources != nil || len(f.included) == 0 || slices.Contains(f.included, "*"):
		return true, "", nil
	}
	entry, included, err := naming(f.included, resourceVolumes, true)
	switch {
	case err != nil:
		return false, unjudgeable(f.includedField, entry), err
	case !included:
		return false, "includedResources does not name them and includeClusterResources is not set", nil
	}
	return true, "", nil
}

// fsBackupCovers reports whether Velero backs a pod volume up by file system, which it does
// instead of snapshotting it (internal/volumehelper/volume_policy_helper.go,
// shouldPerformFSBackupLegacy): with defaultVolumesToFsBackup, every volume the pods'
// backup.velero.io/backup-volumes-excludes annotation does not name; otherwise the volumes
// their backup.velero.io/backup-volumes annotation names. Velero splits the annotations on
// commas and compares the names as they are (pkg/util/podvolume/pod_volume.go), so
// "data, wal" does not name "wal". An unset defaultVolumesToFsBackup counts as false: Velero
// fills it from a server flag when a Backup starts, which a Schedule's template does not show.
func fsBackupCovers(w Workload, volume string, spec VeleroBackupSpec) bool {
	if spec.DefaultVolumesToFsBackup != nil && *spec.DefaultVolumesToFsBackup {
		return !slices.Contains(strings.Split(w.Template.Annotations[annotationFsBackupExcludes], ","), volume)
	}
	return slices.Contains(strings.Split(w.Template.Annotations[annotationFsBackupVolumes], ","), volume)
}

// volumeCapture says how a Backup captures the data of every persistent volume of the
// asset's pods, or why it does not capture one.
//
// A volume not backed up by file system is snapshotted when snapshotVolumes is not false.
// Velero's own (VolumeSnapshotter) snapshot is taken when the PersistentVolume itself is backed
// up (pkg/backup/item_backupper.go, takePVSnapshot), so a Backup that leaves PersistentVolumes
// out (includeClusterResources: false, above) takes none. A CSI snapshot is taken from the
// claim instead (pkg/backup/actions/csi/pvc_action.go), whose snapshot objects are added even
// then (backup.velero.io/must-include-additional-items); but that needs Velero's EnableCSI
// feature (pkg/util/csi/util.go, ShouldSkipAction), a server flag the API does not show. So a
// Backup leaving PersistentVolumes out captures volume data only where file-system backup
// covers it; ready VolumeSnapshots of the claims, if Velero left them, are judged on their own.
func volumeCapture(e *Evidence, spec VeleroBackupSpec, filter resourceFilter) (how, why string) {
	snapshots := spec.SnapshotVolumes == nil || *spec.SnapshotVolumes
	bySnapshot, byFileSystem := 0, 0
	for _, w := range e.Workloads {
		for _, volume := range persistentVolumes(w) {
			if fsBackupCovers(w, volume, spec) {
				byFileSystem++
				continue
			}
			if !snapshots {
				return "", fmt.Sprintf("takes no data of %s volume %s: snapshotVolumes is false and no file-system backup covers it", w.Ref(), volume)
			}
			switch taken, whyNot, err := filter.takesVolumes(); {
			case err != nil:
				return "", whyNot
			case !taken:
				return "", fmt.Sprintf("takes no data of %s volume %s: it leaves out persistentvolumes (%s), so Velero takes no volume snapshot of its own, and no file-system backup covers it", w.Ref(), volume, whyNot)
			}
			bySnapshot++
		}
	}
	switch {
	case bySnapshot > 0 && byFileSystem > 0:
		return "volume data by volume snapshot and file-system backup", ""
	case bySnapshot > 0:
		return "volume data by volume snapshot", ""
	case byFileSystem > 0:
		return "volume data by file-system backup", ""
	}
	return "no persistent volume to capture", ""
}

// excludedFromBackup names the asset's objects that carry velero.io/exclude-from-backup:
// "true": its namespace, its pod templates, its claims and their bound PersistentVolumes.
// Velero leaves any of them out of every Backup, so none is evidence (controls.md, BAK-01).
func excludedFromBackup(e *Evidence) []string {
	const labelled = `is labelled ` + labelExcludeFromBackup + `: "true"`
	var excluded []string
	if ns := e.Namespace; ns != nil && ns.Labels[labelExcludeFromBackup] == "true" {
		excluded = append(excluded, fmt.Sprintf("namespace %s %s, so Velero excludes it from every Backup", ns.Name, labelled))
	}
	for _, w := range e.Workloads {
		if w.Template.Labels[labelExcludeFromBackup] == "true" {
			excluded = append(excluded, fmt.Sprintf("the pod template of %s %s, so Velero leaves its pods out of every Backup", w.Ref(), labelled))
		}
	}
	for _, c := range e.Claims {
		if c.Labels[labelExcludeFromBackup] == "true" {
			excluded = append(excluded, fmt.Sprintf("%s %s, so Velero leaves it out of every Backup", c.Name, labelled))
		}
		if c.Volume != nil && c.Volume.Labels[labelExcludeFromBackup] == "true" {
			excluded = append(excluded, fmt.Sprintf("PersistentVolume/%s, bound to %s, %s, so Velero leaves it out of every Backup", c.Volume.Name, c.Name, labelled))
		}
	}
	slices.Sort(excluded)
	return excluded
}

// specJudgement is what Velero's rules say of a Backup spec for the asset.
type specJudgement struct {
	// captures is true when the spec takes the asset's pods and claims with their volume data.
	captures bool
	// relevant is true when the spec takes the asset's namespace and selects some of its pods:
	// one that does not capture the asset is then worth naming in a finding.
	relevant bool
	// why says why the spec does not capture the asset, as a predicate following its name.
	why string
	// how says, when it captures the asset, how it captures volume data and what was not
	// evaluated.
	how string
}

// judgeSpec applies Velero's selection rules to a Backup spec (or a Schedule's template). The
// objects labelled velero.io/exclude-from-backup are judged once for every spec by
// excludedFromBackup, which coversAsset asks first.
func judgeSpec(e *Evidence, spec VeleroBackupSpec) specJudgement {
	if len(e.Workloads) == 0 {
		return specJudgement{why: "cannot be shown to capture an asset whose selector matches no workload"}
	}
	if !takesNamespace(spec.IncludedNamespaces, spec.ExcludedNamespaces, e.Asset.Namespace) {
		return specJudgement{why: "does not include namespace " + e.Asset.Namespace}
	}
	var unselected []string
	for _, w := range e.Workloads {
		if !selectedByVelero(spec.LabelSelector, spec.OrLabelSelectors, w.Template.Labels) {
			unselected = append(unselected, w.Ref())
		}
	}
	if len(unselected) == len(e.Workloads) {
		return specJudgement{why: "selects none of the asset's workloads"}
	}
	ruledOut := func(why string) specJudgement { return specJudgement{relevant: true, why: why} }
	if len(unselected) > 0 {
		return ruledOut("does not select " + strings.Join(unselected, ", ") + " with its label selectors")
	}
	if mixesResourceFilters(spec) {
		return ruledOut("mixes the older resource filters (includedResources, excludedResources, includeClusterResources) with the newer namespace-scoped ones, which Velero refuses")
	}
	filter := resourceFilterOf(spec)
	resources := []string{resourcePods}
	if hasVolumes(e) {
		resources = append(resources, resourceClaims)
	}
	for _, resource := range resources {
		switch taken, why, err := filter.takes(resource); {
		case err != nil:
			return ruledOut(why)
		case !taken:
			return ruledOut(fmt.Sprintf("leaves out %s (%s)", resource, why))
		}
	}
	how, why := volumeCapture(e, spec, filter)
	if why != "" {
		return ruledOut(why)
	}
	if spec.ResourcePolicy != "" {
		how += ", resource policy ConfigMap " + spec.ResourcePolicy + " not evaluated"
	}
	return specJudgement{captures: true, relevant: true, how: how}
}

// hasVolumes reports whether the asset's pods use claims: existing ones, ephemeral volumes or
// StatefulSet claim templates.
func hasVolumes(e *Evidence) bool {
	if len(e.Claims) > 0 {
		return true
	}
	return slices.ContainsFunc(e.Workloads, func(w Workload) bool { return len(persistentVolumes(w)) > 0 })
}

// veleroGlob matches a Velero namespace pattern (*, ? and [...]: Velero refuses the rest of
// gobwas' syntax in namespaces, pkg/util/wildcard/expand.go, ValidateNamespaceName).
func veleroGlob(pattern, value string) bool {
	matched, err := path.Match(pattern, value)
	return err == nil && matched
}
