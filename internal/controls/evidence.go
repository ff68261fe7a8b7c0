package controls

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Evidence is everything the controls read about one asset, gathered beforehand (from the
// operator's cache, or from manifests offline). The checks only read it.
type Evidence struct {
	// Asset is the asset being evaluated.
	Asset *isms.InformationAsset
	// Now is the time of the evaluation, for time-based controls.
	Now time.Time

	// Namespace is the asset's namespace; nil when it is not known.
	Namespace *corev1.Namespace
	// Workloads are the workloads whose pod templates the asset's selector matches, sorted.
	Workloads []Workload
	// Claims are the volume claims the workloads use, sorted by Name.
	Claims []Claim
	// StorageClasses are the cluster's StorageClasses by name.
	StorageClasses map[string]*storagev1.StorageClass
	// Services, Ingresses and NetworkPolicies are those of the asset's namespace.
	Services        []corev1.Service
	Ingresses       []networkingv1.Ingress
	NetworkPolicies []networkingv1.NetworkPolicy
	// Gateway is what the Gateway API shows of the routes that reach the asset's Services.
	Gateway GatewayAPI
	// ServiceAccounts of the asset's namespace, by name.
	ServiceAccounts map[string]*corev1.ServiceAccount
	// RBAC holds the bindings that grant rights in the asset's namespace and their roles.
	RBAC RBAC
	// Mesh is what the cluster shows of a service mesh.
	Mesh Mesh
	// Exempt are the install-time exempt subjects of ACC-03 ("*" matches any name or namespace).
	Exempt []isms.Subject
	// Backups is what the cluster shows of backups and restores.
	Backups Backups
	// Plans are the ContinuityPlans of the asset's namespace.
	Plans []isms.ContinuityPlan
	// Offline says the evidence comes from manifests, not a cluster: what only a cluster
	// shows (whether backups ran, restores were tested) may be absent without that being
	// a failure.
	Offline bool
}

// Workload is a pod template that holds the asset: a Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job or CronJob, or a Pod, judged unless an owner that is judged stands for it.
type Workload struct {
	// Kind and Name identify the workload in the asset's namespace.
	Kind, Name string
	// Template is the pod template (for a bare Pod, its metadata and spec).
	Template corev1.PodTemplateSpec
	// VolumeClaimTemplates are a StatefulSet's claim templates.
	VolumeClaimTemplates []corev1.PersistentVolumeClaim
}

// Ref returns the workload as Kind/name.
func (w Workload) Ref() string { return w.Kind + "/" + w.Name }

// Claim is a volume claim an asset's workload uses: an existing PersistentVolumeClaim, or a
// template (StatefulSet volumeClaimTemplate or ephemeral volume) that makes them.
type Claim struct {
	// Name is how findings name the claim: PersistentVolumeClaim/name for a claim, or
	// Kind/workload for a template, e.g. StatefulSet/epr-db volumeClaimTemplate data.
	Name string
	// Spec is the claim's (or the template's) spec; nil when a referenced claim does not exist.
	Spec *corev1.PersistentVolumeClaimSpec
	// Volume is the PersistentVolume a claim is bound to; nil when unbound.
	Volume *corev1.PersistentVolume
	// Labels are the claim's labels (for a template, the template's); Velero's
	// velero.io/exclude-from-backup is read from them and from the volume's.
	Labels map[string]string
}

// RBAC is the part of the cluster's RBAC that grants rights in the asset's namespace.
type RBAC struct {
	// RoleBindings of the asset's namespace.
	RoleBindings []rbacv1.RoleBinding
	// ClusterRoleBindings of the cluster.
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	// ServiceAccountBindings are the RoleBindings of any namespace that name one of the
	// asset's ServiceAccounts as a subject (ACC-04: a token with an RBAC use anywhere).
	ServiceAccountBindings []rbacv1.RoleBinding
	// Roles of the asset's namespace, by name.
	Roles map[string]*rbacv1.Role
	// ClusterRoles by name, with aggregated rules as stored.
	ClusterRoles map[string]*rbacv1.ClusterRole
}

// GatewayAPI is what the Gateway API (gateway.networking.k8s.io/v1) shows of the routes
// whose backendRefs name a Service of the asset's namespace, from any namespace.
type GatewayAPI struct {
	// Installed is true when Gateways and HTTPRoutes (v1) are served; without them there
	// is nothing to evaluate.
	Installed bool
	// GRPCRoutesServed, TLSRoutesServed and ReferenceGrantsServed say whether those kinds
	// (v1) are served as well.
	GRPCRoutesServed, TLSRoutesServed, ReferenceGrantsServed bool
	// HTTPRoutes, GRPCRoutes and TLSRoutes are the routes, of any namespace, whose
	// backendRefs name a Service in the asset's namespace.
	HTTPRoutes []gatewayv1.HTTPRoute
	GRPCRoutes []gatewayv1.GRPCRoute
	TLSRoutes  []gatewayv1.TLSRoute
	// Gateways are the Gateways those routes name as parents, by namespace/name; a parent
	// that does not exist is absent.
	Gateways map[types.NamespacedName]*gatewayv1.Gateway
	// ReferenceGrants are those of the asset's namespace: they allow routes of other
	// namespaces to reference its Services.
	ReferenceGrants []gatewayv1.ReferenceGrant
	// Namespaces are the namespaces of the routes, by name, for the listeners'
	// allowedRoutes namespace selectors; one that is not known is absent.
	Namespaces map[string]*corev1.Namespace
}

// Mesh is what the cluster shows of a service mesh.
type Mesh struct {
	// IstioInstalled is true when the PeerAuthentication CRD (security.istio.io/v1) is served.
	IstioInstalled bool
	// IstioRootNamespace holds mesh-wide PeerAuthentications (default istio-system).
	IstioRootNamespace string
	// PeerAuthentications in the asset's namespace and the root namespace.
	PeerAuthentications []PeerAuthentication
}

// PeerAuthentication is the part of an Istio security.istio.io/v1 PeerAuthentication the
// controls read.
type PeerAuthentication struct {
	Namespace, Name string
	// Created orders policies: when several select a workload, Istio uses the oldest.
	Created time.Time
	// Selector is spec.selector.matchLabels; empty for a namespace- or mesh-wide policy.
	Selector map[string]string
	// Mode is spec.mtls.mode: STRICT, PERMISSIVE, DISABLE, UNSET or empty.
	Mode string
	// PortModes is spec.portLevelMtls: port number to mode.
	PortModes map[uint32]string
}
