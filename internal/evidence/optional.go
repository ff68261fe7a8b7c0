package evidence

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

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
	// Gateway, HTTPRoute, GRPCRoute, TLSRoute and ReferenceGrant are the Gateway API's
	// standard channel (v1).
	Gateway        = gatewayv1.SchemeGroupVersion.WithKind("Gateway")
	HTTPRoute      = gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute")
	GRPCRoute      = gatewayv1.SchemeGroupVersion.WithKind("GRPCRoute")
	TLSRoute       = gatewayv1.SchemeGroupVersion.WithKind("TLSRoute")
	ReferenceGrant = gatewayv1.SchemeGroupVersion.WithKind("ReferenceGrant")
)

// VeleroKinds are Velero's kinds the operator reads.
var VeleroKinds = []schema.GroupVersionKind{VeleroBackup, VeleroSchedule, VeleroRestore, VeleroStorageLocation}

// GatewayKinds are the Gateway API's kinds the operator reads.
var GatewayKinds = []schema.GroupVersionKind{Gateway, HTTPRoute, GRPCRoute, TLSRoute, ReferenceGrant}

// OptionalKinds are all the kinds the operator reads when installed.
var OptionalKinds = append(append([]schema.GroupVersionKind{PeerAuthentication, VolumeSnapshot}, VeleroKinds...), GatewayKinds...)

// Typed reports whether an optional kind is read through its Go type (the scheme has it),
// not as unstructured.
func Typed(gvk schema.GroupVersionKind) bool {
	return gvk == VolumeSnapshot || gvk.Group == gatewayv1.GroupName
}

// routeObject returns an empty object of a Gateway API route kind.
func routeObject(gvk schema.GroupVersionKind) (client.Object, bool) {
	switch gvk {
	case HTTPRoute:
		return &gatewayv1.HTTPRoute{}, true
	case GRPCRoute:
		return &gatewayv1.GRPCRoute{}, true
	case TLSRoute:
		return &gatewayv1.TLSRoute{}, true
	}
	return nil, false
}

// listKind returns the list kind of an optional kind.
func listKind(gvk schema.GroupVersionKind) schema.GroupVersionKind {
	return gvk.GroupVersion().WithKind(gvk.Kind + "List")
}
