package evidence

import (
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
		IncludedNamespaces       []string                `json:"includedNamespaces,omitempty"`
		ExcludedNamespaces       []string                `json:"excludedNamespaces,omitempty"`
		IncludedResources        []string                `json:"includedResources,omitempty"`
		ExcludedResources        []string                `json:"excludedResources,omitempty"`
		LabelSelector            *metav1.LabelSelector   `json:"labelSelector,omitempty"`
		OrLabelSelectors         []*metav1.LabelSelector `json:"orLabelSelectors,omitempty"`
		SnapshotVolumes          *bool                   `json:"snapshotVolumes,omitempty"`
		DefaultVolumesToFsBackup *bool                   `json:"defaultVolumesToFsBackup,omitempty"`
		StorageLocation          string                  `json:"storageLocation,omitempty"`
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

func (s veleroBackupSpec) controls() controls.VeleroBackupSpec {
	return controls.VeleroBackupSpec{
		IncludedNamespaces: s.IncludedNamespaces, ExcludedNamespaces: s.ExcludedNamespaces,
		IncludedResources: s.IncludedResources, ExcludedResources: s.ExcludedResources,
		LabelSelector: s.LabelSelector, OrLabelSelectors: s.OrLabelSelectors,
		SnapshotVolumes: s.SnapshotVolumes, DefaultVolumesToFsBackup: s.DefaultVolumesToFsBackup,
		StorageLocation: s.StorageLocation,
	}
}

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
	return controls.VeleroBackup{Namespace: u.GetNamespace(), Name: u.GetName(), Spec: b.Spec.controls(),
		Phase: b.Status.Phase, Completed: timeOf(b.Status.CompletionTimestamp)}
}

func scheduleOf(u *unstructured.Unstructured) controls.VeleroSchedule {
	var s veleroSchedule
	fromUnstructured(u, &s)
	return controls.VeleroSchedule{Namespace: u.GetNamespace(), Name: u.GetName(), Template: s.Spec.Template.controls()}
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
