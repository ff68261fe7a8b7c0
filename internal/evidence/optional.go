package evidence

import "k8s.io/apimachinery/pkg/runtime/schema"

// The kinds the operator reads only when their CRDs are installed. They are discovered,
// never assumed: without them the evidence they would give is "none found", and findings
// name the missing tool.
var (
	// PeerAuthentication is Istio's mutual TLS policy.
	PeerAuthentication = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"}
	// VeleroBackup, VeleroSchedule, VeleroRestore and VeleroStorageLocation are Velero's.
	VeleroBackup          = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Backup"}
	VeleroSchedule        = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Schedule"}
	VeleroRestore         = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Restore"}
	VeleroStorageLocation = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "BackupStorageLocation"}
	// VolumeSnapshot is the CSI snapshotter's.
	VolumeSnapshot = schema.GroupVersionKind{Group: "snapshot.storage.k8s.io", Version: "v1", Kind: "VolumeSnapshot"}
)

// VeleroKinds are Velero's kinds the operator reads.
var VeleroKinds = []schema.GroupVersionKind{VeleroBackup, VeleroSchedule, VeleroRestore, VeleroStorageLocation}

// OptionalKinds are all the kinds the operator reads when installed.
var OptionalKinds = append([]schema.GroupVersionKind{PeerAuthentication, VolumeSnapshot}, VeleroKinds...)

// listKind returns the list kind of an optional kind.
func listKind(gvk schema.GroupVersionKind) schema.GroupVersionKind {
	return gvk.GroupVersion().WithKind(gvk.Kind + "List")
}
