package evidence

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

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
