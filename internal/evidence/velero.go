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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/isms-operator/isms-operator/internal/controls"
)

// Velero's objects are read as unstructured, so the operator needs no dependency on
// Velero and starts without it; these are the fields it reads, with Velero's JSON names
// (github.com/vmware-tanzu/velero pkg/apis/velero/v1).
type (
	veleroBackupSpec struct {
		IncludedNamespaces               []string                `json:"includedNamespaces,omitempty"`
		ExcludedNamespaces               []string                `json:"excludedNamespaces,omitempty"`
		IncludedResources                []string                `json:"includedResources,omitempty"`
		ExcludedResources                []string                `json:"excludedResources,omitempty"`
		IncludedNamespaceScopedResources []string                `json:"includedNamespaceScopedResources,omitempty"`
		ExcludedNamespaceScopedResources []string                `json:"excludedNamespaceScopedResources,omitempty"`
		ExcludedClusterScopedResources   []string                `json:"excludedClusterScopedResources,omitempty"`
		IncludeClusterResources          *bool                   `json:"includeClusterResources,omitempty"`
		LabelSelector                    *metav1.LabelSelector   `json:"labelSelector,omitempty"`
		OrLabelSelectors                 []*metav1.LabelSelector `json:"orLabelSelectors,omitempty"`
		SnapshotVolumes                  *bool                   `json:"snapshotVolumes,omitempty"`
		DefaultVolumesToFsBackup         *bool                   `json:"defaultVolumesToFsBackup,omitempty"`
		// ResourcePolicy is a TypedLocalObjectReference to a ConfigMap in the Backup's namespace.
		ResourcePolicy  *veleroPolicyRef `json:"resourcePolicy,omitempty"`
		StorageLocation string           `json:"storageLocation,omitempty"`
	}
	veleroPolicyRef struct {
		Kind string `json:"kind,omitempty"`
		Name string `json:"name,omitempty"`
	}
	veleroProgress struct {
		Phase               string       `json:"phase,omitempty"`
		Errors              int          `json:"errors,omitempty"`
		StartTimestamp      *metav1.Time `json:"startTimestamp,omitempty"`
		CompletionTimestamp *metav1.Time `json:"completionTimestamp,omitempty"`
	}
	veleroBackup struct {
		Spec   veleroBackupSpec `json:"spec"`
		Status veleroProgress   `json:"status"`
	}
	veleroSchedule struct {
		Spec struct {
			Template veleroBackupSpec `json:"template"`
		} `json:"spec"`
	}
	veleroRestore struct {
		Spec struct {
			BackupName         string                  `json:"backupName,omitempty"`
			ScheduleName       string                  `json:"scheduleName,omitempty"`
			IncludedNamespaces []string                `json:"includedNamespaces,omitempty"`
			ExcludedNamespaces []string                `json:"excludedNamespaces,omitempty"`
			LabelSelector      *metav1.LabelSelector   `json:"labelSelector,omitempty"`
			OrLabelSelectors   []*metav1.LabelSelector `json:"orLabelSelectors,omitempty"`
		} `json:"spec"`
		Status veleroProgress `json:"status"`
	}
	veleroStorageLocation struct {
		Spec struct {
			Default bool `json:"default,omitempty"`
		} `json:"spec"`
		Status struct {
			Phase string `json:"phase,omitempty"`
		} `json:"status"`
	}
)

// controls converts the spec of a Backup, or a Schedule's template, in namespace ns.
func (s veleroBackupSpec) controls(ns string) controls.VeleroBackupSpec {
	return controls.VeleroBackupSpec{
		IncludedNamespaces:               s.IncludedNamespaces,
		ExcludedNamespaces:               s.ExcludedNamespaces,
		IncludedResources:                s.IncludedResources,
		ExcludedResources:                s.ExcludedResources,
		IncludedNamespaceScopedResources: s.IncludedNamespaceScopedResources,
		ExcludedNamespaceScopedResources: s.ExcludedNamespaceScopedResources,
		ExcludedClusterScopedResources:   s.ExcludedClusterScopedResources,
		IncludeClusterResources:          s.IncludeClusterResources,
		LabelSelector:                    s.LabelSelector,
		OrLabelSelectors:                 s.OrLabelSelectors,
		SnapshotVolumes:                  s.SnapshotVolumes,
		DefaultVolumesToFsBackup:         s.DefaultVolumesToFsBackup,
		ResourcePolicy:                   s.ResourcePolicy.configMap(ns),
		StorageLocation:                  s.StorageLocation,
	}
}

// configMap names the resource policy's ConfigMap as namespace/name. Velero reads a policy
// only of kind "configmap" (any case), from the Backup's own namespace
// (internal/resourcepolicies/resource_policies.go, GetResourcePoliciesFromBackup); another
// kind, or none, is no policy.
func (r *veleroPolicyRef) configMap(ns string) string {
	if r == nil || r.Name == "" || !strings.EqualFold(r.Kind, "configmap") {
		return ""
	}
	return ns + "/" + r.Name
}

// labelScheduleName is the label Velero puts on the Backups a Schedule makes.
const labelScheduleName = "velero.io/schedule-name"

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// fromUnstructured reads the fields of u into into; a malformed object reads as empty,
// which no check counts as evidence.
func fromUnstructured(u *unstructured.Unstructured, into any) {
	_ = runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into)
}

// The adapters from Velero's objects to the controls' evidence.

func backupOf(u *unstructured.Unstructured) controls.VeleroBackup {
	var b veleroBackup
	fromUnstructured(u, &b)
	return controls.VeleroBackup{Namespace: u.GetNamespace(), Name: u.GetName(), Spec: b.Spec.controls(u.GetNamespace()),
		Phase: b.Status.Phase, Completed: timeOf(b.Status.CompletionTimestamp), Schedule: u.GetLabels()[labelScheduleName]}
}

func scheduleOf(u *unstructured.Unstructured) controls.VeleroSchedule {
	var s veleroSchedule
	fromUnstructured(u, &s)
	return controls.VeleroSchedule{Namespace: u.GetNamespace(), Name: u.GetName(), Template: s.Spec.Template.controls(u.GetNamespace())}
}

func restoreOf(u *unstructured.Unstructured) controls.VeleroRestore {
	var r veleroRestore
	fromUnstructured(u, &r)
	return controls.VeleroRestore{Namespace: u.GetNamespace(), Name: u.GetName(), Backup: r.Spec.BackupName, Schedule: r.Spec.ScheduleName,
		IncludedNamespaces: r.Spec.IncludedNamespaces, ExcludedNamespaces: r.Spec.ExcludedNamespaces,
		LabelSelector: r.Spec.LabelSelector, OrLabelSelectors: r.Spec.OrLabelSelectors,
		Phase: r.Status.Phase, Errors: r.Status.Errors,
		Started: timeOf(r.Status.StartTimestamp), Completed: timeOf(r.Status.CompletionTimestamp)}
}

func storageLocationOf(u *unstructured.Unstructured) controls.StorageLocation {
	var l veleroStorageLocation
	fromUnstructured(u, &l)
	return controls.StorageLocation{Namespace: u.GetNamespace(), Name: u.GetName(), Default: l.Spec.Default, Phase: l.Status.Phase}
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
				b.VeleroBackups = append(b.VeleroBackups, backupOf(item))
			case VeleroSchedule:
				b.VeleroSchedules = append(b.VeleroSchedules, scheduleOf(item))
			case VeleroRestore:
				b.VeleroRestores = append(b.VeleroRestores, restoreOf(item))
			case VeleroStorageLocation:
				b.StorageLocations = append(b.StorageLocations, storageLocationOf(item))
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
	var kept any
	switch u.GetKind() {
	case VeleroBackup.Kind:
		kept = &veleroBackup{}
	case VeleroSchedule.Kind:
		kept = &veleroSchedule{}
	case VeleroRestore.Kind:
		kept = &veleroRestore{}
	case VeleroStorageLocation.Kind:
		kept = &veleroStorageLocation{}
	default:
		return obj, nil
	}
	fromUnstructured(u, kept)
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(kept)
	if err != nil {
		return nil, err
	}
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
