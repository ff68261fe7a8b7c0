package evidence

import (
	"context"
	"fmt"
	"strings"
	"time"

	snapshotv1 "github.com/kubernetes-csi/external-snapshotter/client/v8/apis/volumesnapshot/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/isms-operator/isms-operator/internal/controls"
)

// Velero's objects are read as unstructured, so the operator needs no dependency on
// Velero and starts without it. veleroKept names, with Velero's JSON names
// (github.com/vmware-tanzu/velero pkg/apis/velero/v1), the fields the controls read: all
// that the cache keeps of each object (CompactVelero), and all that the readers below read.
var veleroKept = map[string]fieldSet{
	VeleroBackup.Kind:   {"spec": backupSpecFields, "status": progressFields},
	VeleroSchedule.Kind: {"spec": {"template": backupSpecFields}},
	VeleroRestore.Kind: {"spec": {"backupName": nil, "scheduleName": nil, "includedNamespaces": nil, "excludedNamespaces": nil,
		"labelSelector": nil, "orLabelSelectors": nil}, "status": progressFields},
	VeleroStorageLocation.Kind: {"spec": {"default": nil}, "status": {"phase": nil}},
}

// fieldSet names the fields kept of an object: each with the fields kept of it, or nil to
// keep all of it.
type fieldSet map[string]fieldSet

var (
	backupSpecFields = fieldSet{"includedNamespaces": nil, "excludedNamespaces": nil, "includedResources": nil, "excludedResources": nil,
		"includedNamespaceScopedResources": nil, "excludedNamespaceScopedResources": nil, "excludedClusterScopedResources": nil,
		"includeClusterResources": nil, "labelSelector": nil, "orLabelSelectors": nil, "snapshotVolumes": nil,
		"defaultVolumesToFsBackup": nil, "resourcePolicy": nil, "storageLocation": nil}
	progressFields = fieldSet{"phase": nil, "errors": nil, "startTimestamp": nil, "completionTimestamp": nil}
)

// keep returns the fields of from that fields names.
func keep(from map[string]any, fields fieldSet) map[string]any {
	kept := make(map[string]any, len(fields))
	for name, sub := range fields {
		v, found := from[name]
		if !found {
			continue
		}
		if m, isObject := v.(map[string]any); isObject && sub != nil {
			v = keep(m, sub)
		}
		kept[name] = v
	}
	return kept
}

// fieldReader reads a Velero object's fields as the API server serves them (JSON's types,
// numbers as int64 or float64) without reflection: the gatherer reads every Backup of an
// asset's namespace on each reconcile. A field of another type makes the object malformed,
// and a malformed object is no evidence (a Backup whose filters cannot be read must not
// count as covering everything).
type fieldReader struct{ malformed bool }

func (r *fieldReader) object(m map[string]any, name string) map[string]any {
	v, isObject := m[name].(map[string]any)
	r.malformed = r.malformed || !isObject && m[name] != nil
	return v
}

func (r *fieldReader) string(m map[string]any, name string) string {
	v, isString := m[name].(string)
	r.malformed = r.malformed || !isString && m[name] != nil
	return v
}

func (r *fieldReader) strings(m map[string]any, name string) []string {
	list, isList := m[name].([]any)
	if !isList {
		r.malformed = r.malformed || m[name] != nil
		return nil
	}
	out := make([]string, len(list))
	for i, v := range list {
		s, isString := v.(string)
		r.malformed = r.malformed || !isString
		out[i] = s
	}
	return out
}

func (r *fieldReader) bool(m map[string]any, name string) *bool {
	v, isBool := m[name].(bool)
	if !isBool {
		r.malformed = r.malformed || m[name] != nil
		return nil
	}
	return &v
}

func (r *fieldReader) int(m map[string]any, name string) int {
	switch v := m[name].(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	case nil:
		return 0
	}
	r.malformed = true
	return 0
}

func (r *fieldReader) time(m map[string]any, name string) time.Time {
	s := r.string(m, name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	r.malformed = r.malformed || err != nil
	return t
}

func (r *fieldReader) selector(m map[string]any, name string) *metav1.LabelSelector {
	fields := r.object(m, name)
	if fields == nil {
		return nil
	}
	s := &metav1.LabelSelector{}
	r.malformed = r.malformed || runtime.DefaultUnstructuredConverter.FromUnstructured(fields, s) != nil
	return s
}

func (r *fieldReader) selectors(m map[string]any, name string) []*metav1.LabelSelector {
	list, isList := m[name].([]any)
	if !isList {
		r.malformed = r.malformed || m[name] != nil
		return nil
	}
	out := make([]*metav1.LabelSelector, len(list))
	for i := range list {
		out[i] = r.selector(map[string]any{name: list[i]}, name)
		r.malformed = r.malformed || out[i] == nil
	}
	return out
}

// backupSpec reads the spec of a Backup, or a Schedule's template, in namespace ns.
func (r *fieldReader) backupSpec(spec map[string]any, ns string) controls.VeleroBackupSpec {
	return controls.VeleroBackupSpec{
		IncludedNamespaces:               r.strings(spec, "includedNamespaces"),
		ExcludedNamespaces:               r.strings(spec, "excludedNamespaces"),
		IncludedResources:                r.strings(spec, "includedResources"),
		ExcludedResources:                r.strings(spec, "excludedResources"),
		IncludedNamespaceScopedResources: r.strings(spec, "includedNamespaceScopedResources"),
		ExcludedNamespaceScopedResources: r.strings(spec, "excludedNamespaceScopedResources"),
		ExcludedClusterScopedResources:   r.strings(spec, "excludedClusterScopedResources"),
		IncludeClusterResources:          r.bool(spec, "includeClusterResources"),
		LabelSelector:                    r.selector(spec, "labelSelector"),
		OrLabelSelectors:                 r.selectors(spec, "orLabelSelectors"),
		SnapshotVolumes:                  r.bool(spec, "snapshotVolumes"),
		DefaultVolumesToFsBackup:         r.bool(spec, "defaultVolumesToFsBackup"),
		ResourcePolicy:                   r.resourcePolicy(r.object(spec, "resourcePolicy"), ns),
		StorageLocation:                  r.string(spec, "storageLocation"),
	}
}

// resourcePolicy names the resource policy's ConfigMap as namespace/name. Velero reads a
// policy only of kind "configmap" (any case), from the Backup's own namespace
// (internal/resourcepolicies/resource_policies.go, GetResourcePoliciesFromBackup); another
// kind, or none, is no policy.
func (r *fieldReader) resourcePolicy(ref map[string]any, ns string) string {
	kind, name := r.string(ref, "kind"), r.string(ref, "name")
	if name == "" || !strings.EqualFold(kind, "configmap") {
		return ""
	}
	return ns + "/" + name
}

// labelScheduleName is the label Velero puts on the Backups a Schedule makes.
const labelScheduleName = "velero.io/schedule-name"

// The adapters from Velero's objects to the controls' evidence; ok is false for a
// malformed object.

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func backupOf(u *unstructured.Unstructured) (controls.VeleroBackup, bool) {
	var r fieldReader
	status := r.object(u.Object, "status")
	b := controls.VeleroBackup{Namespace: u.GetNamespace(), Name: u.GetName(),
		Spec:  r.backupSpec(r.object(u.Object, "spec"), u.GetNamespace()),
		Phase: r.string(status, "phase"), Completed: r.time(status, "completionTimestamp"),
		Schedule: r.string(r.object(r.object(u.Object, "metadata"), "labels"), labelScheduleName)}
	return b, !r.malformed
}

func scheduleOf(u *unstructured.Unstructured) (controls.VeleroSchedule, bool) {
	var r fieldReader
	s := controls.VeleroSchedule{Namespace: u.GetNamespace(), Name: u.GetName(),
		Template: r.backupSpec(r.object(r.object(u.Object, "spec"), "template"), u.GetNamespace())}
	return s, !r.malformed
}

func restoreOf(u *unstructured.Unstructured) (controls.VeleroRestore, bool) {
	var r fieldReader
	spec, status := r.object(u.Object, "spec"), r.object(u.Object, "status")
	restore := controls.VeleroRestore{Namespace: u.GetNamespace(), Name: u.GetName(),
		Backup: r.string(spec, "backupName"), Schedule: r.string(spec, "scheduleName"),
		IncludedNamespaces: r.strings(spec, "includedNamespaces"), ExcludedNamespaces: r.strings(spec, "excludedNamespaces"),
		LabelSelector: r.selector(spec, "labelSelector"), OrLabelSelectors: r.selectors(spec, "orLabelSelectors"),
		Phase: r.string(status, "phase"), Errors: r.int(status, "errors"),
		Started: r.time(status, "startTimestamp"), Completed: r.time(status, "completionTimestamp")}
	return restore, !r.malformed
}

func storageLocationOf(u *unstructured.Unstructured) (controls.StorageLocation, bool) {
	var r fieldReader
	l := controls.StorageLocation{Namespace: u.GetNamespace(), Name: u.GetName(),
		Default: ptr.Deref(r.bool(r.object(u.Object, "spec"), "default"), false), Phase: r.string(r.object(u.Object, "status"), "phase")}
	return l, !r.malformed
}

// backups reads what the backup controls judge: the Velero Backups and Schedules that take
// the asset's namespace (by name, or every namespace: IndexVeleroNamespace), the Restores
// and storage locations, and the VolumeSnapshots of the asset's claims, for the kinds
// that are installed. A reconcile's cost does not grow with the Backups of other namespaces.
func (g *Gatherer) backups(ctx context.Context, ns string, claims []controls.Claim) (controls.Backups, error) {
	b := controls.Backups{VeleroInstalled: true, SnapshotsInstalled: g.installed(VolumeSnapshot)}
	for _, kind := range VeleroKinds {
		if !g.installed(kind) {
			b.VeleroInstalled = false
			continue
		}
		var items []unstructured.Unstructured
		lists := []*unstructured.UnstructuredList{{}}
		if kind == VeleroBackup || kind == VeleroSchedule {
			lists = []*unstructured.UnstructuredList{{}, {}}
		}
		for i, list := range lists {
			list.SetGroupVersionKind(listKind(kind))
			var err error
			if len(lists) == 1 {
				err = g.Reader.List(ctx, list, client.UnsafeDisableDeepCopy)
			} else {
				err = g.list(ctx, list, "", IndexVeleroNamespace, []string{ns, AllNamespaces}[i])
			}
			if err != nil {
				return b, fmt.Errorf("listing Velero %ss: %w", kind.Kind, err)
			}
			items = append(items, list.Items...)
		}
		for i := range items {
			item := &items[i]
			switch kind {
			case VeleroBackup:
				if v, ok := backupOf(item); ok {
					b.VeleroBackups = append(b.VeleroBackups, v)
				}
			case VeleroSchedule:
				if v, ok := scheduleOf(item); ok {
					b.VeleroSchedules = append(b.VeleroSchedules, v)
				}
			case VeleroRestore:
				if v, ok := restoreOf(item); ok {
					b.VeleroRestores = append(b.VeleroRestores, v)
				}
			case VeleroStorageLocation:
				if v, ok := storageLocationOf(item); ok {
					b.StorageLocations = append(b.StorageLocations, v)
				}
			}
		}
	}
	if !b.SnapshotsInstalled {
		return b, nil
	}
	for _, claim := range claims {
		name, isClaim := strings.CutPrefix(claim.Name, "PersistentVolumeClaim/")
		if !isClaim {
			continue
		}
		var snapshots snapshotv1.VolumeSnapshotList
		if err := g.list(ctx, &snapshots, ns, IndexSnapshotClaim, name); err != nil {
			return b, err
		}
		for _, s := range snapshots.Items {
			snapshot := controls.VolumeSnapshot{Name: s.Name, Claim: name}
			if st := s.Status; st != nil {
				snapshot.Ready = st.ReadyToUse != nil && *st.ReadyToUse
				snapshot.Created = timeOf(st.CreationTime)
			}
			b.VolumeSnapshots = append(b.VolumeSnapshots, snapshot)
		}
	}
	return b, nil
}

// CompactVelero is the cache transform of Velero's kinds: it keeps, of each object, only
// the fields the controls read (the spec filters, the outcome, the schedule's label), so
// that tens of thousands of Backups cost the operator little memory.
func CompactVelero(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	fields, isVelero := veleroKept[u.GetKind()]
	if !isVelero || u.GroupVersionKind().Group != VeleroBackup.Group {
		return obj, nil
	}
	content := keep(u.Object, fields)
	compact := &unstructured.Unstructured{Object: content}
	compact.SetAPIVersion(u.GetAPIVersion())
	compact.SetKind(u.GetKind())
	compact.SetNamespace(u.GetNamespace())
	compact.SetName(u.GetName())
	compact.SetUID(u.GetUID())
	compact.SetResourceVersion(u.GetResourceVersion())
	compact.SetGeneration(u.GetGeneration())
	compact.SetCreationTimestamp(u.GetCreationTimestamp())
	compact.SetDeletionTimestamp(u.GetDeletionTimestamp())
	if schedule, found := u.GetLabels()[labelScheduleName]; found {
		compact.SetLabels(map[string]string{labelScheduleName: schedule})
	}
	return compact, nil
}
