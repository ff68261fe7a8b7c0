// Package evidence gathers, from the operator's cache, everything one InformationAsset's
// controls read into a controls.Evidence value. It only reads; the checks in
// internal/controls decide.
package evidence

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	snapshotv1 "github.com/kubernetes-csi/external-snapshotter/client/v8/apis/volumesnapshot/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// Gatherer reads an asset's evidence from a cache.
type Gatherer struct {
	// Reader is the manager's cache.
	Reader client.Reader
	// Exempt are the install-time exempt subjects of ACC-03.
	Exempt []isms.Subject
	// IstioRootNamespace holds mesh-wide PeerAuthentications.
	IstioRootNamespace string
	// Installed reports whether an optional kind (OptionalKinds) is served and watched;
	// nil means none is.
	Installed func(schema.GroupVersionKind) bool
}

func (g *Gatherer) installed(gvk schema.GroupVersionKind) bool {
	return g.Installed != nil && g.Installed(gvk)
}

// InvalidSelectorError is a selector the API server accepted but that cannot select
// anything; retrying cannot fix it.
type InvalidSelectorError struct{ Err error }

func (e InvalidSelectorError) Error() string { return "spec.selector is invalid: " + e.Err.Error() }

// Gather reads the evidence for asset at time now.
func (g *Gatherer) Gather(ctx context.Context, asset *isms.InformationAsset, now time.Time) (*controls.Evidence, error) {
	e, err := g.GatherBackups(ctx, asset, now)
	if err != nil {
		return nil, err
	}
	ns := asset.Namespace
	namespace := &corev1.Namespace{}
	if err := g.Reader.Get(ctx, types.NamespacedName{Name: ns}, namespace); err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", ns, err)
	}
	e.Namespace = namespace
	e.StorageClasses, e.ServiceAccounts = map[string]*storagev1.StorageClass{}, map[string]*corev1.ServiceAccount{}
	e.RBAC = controls.RBAC{Roles: map[string]*rbacv1.Role{}, ClusterRoles: map[string]*rbacv1.ClusterRole{}}
	var (
		classes         storagev1.StorageClassList
		services        corev1.ServiceList
		ingresses       networkingv1.IngressList
		policies        networkingv1.NetworkPolicyList
		accounts        corev1.ServiceAccountList
		roles           rbacv1.RoleList
		roleBindings    rbacv1.RoleBindingList
		clusterRoles    rbacv1.ClusterRoleList
		clusterBindings rbacv1.ClusterRoleBindingList
	)
	inNamespace := []client.ListOption{client.InNamespace(ns), client.UnsafeDisableDeepCopy}
	for _, list := range []struct {
		into client.ObjectList
		opts []client.ListOption
	}{
		{&classes, []client.ListOption{client.UnsafeDisableDeepCopy}},
		{&services, inNamespace}, {&ingresses, inNamespace}, {&policies, inNamespace},
		{&accounts, inNamespace}, {&roles, inNamespace}, {&roleBindings, inNamespace},
		{&clusterRoles, []client.ListOption{client.UnsafeDisableDeepCopy}},
		{&clusterBindings, []client.ListOption{client.UnsafeDisableDeepCopy}},
	} {
		if err := g.Reader.List(ctx, list.into, list.opts...); err != nil {
			return nil, fmt.Errorf("listing %T: %w", list.into, err)
		}
	}
	for i := range classes.Items {
		e.StorageClasses[classes.Items[i].Name] = &classes.Items[i]
	}
	for i := range accounts.Items {
		e.ServiceAccounts[accounts.Items[i].Name] = &accounts.Items[i]
	}
	for i := range roles.Items {
		e.RBAC.Roles[roles.Items[i].Name] = &roles.Items[i]
	}
	for i := range clusterRoles.Items {
		e.RBAC.ClusterRoles[clusterRoles.Items[i].Name] = &clusterRoles.Items[i]
	}
	e.Services, e.Ingresses, e.NetworkPolicies = services.Items, ingresses.Items, policies.Items
	e.RBAC.RoleBindings, e.RBAC.ClusterRoleBindings = roleBindings.Items, clusterBindings.Items
	if e.RBAC.ServiceAccountBindings, err = g.serviceAccountBindings(ctx, ns, e.Workloads); err != nil {
		return nil, err
	}
	if e.Mesh, err = g.mesh(ctx, ns); err != nil {
		return nil, err
	}
	if e.Gateway, err = g.gateway(ctx, ns, e.Services, e.Workloads); err != nil {
		return nil, err
	}
	return e, nil
}

// serviceAccountBindings returns the RoleBindings, in any namespace, that name a
// ServiceAccount the workloads run as.
func (g *Gatherer) serviceAccountBindings(ctx context.Context, ns string, workloads []controls.Workload) ([]rbacv1.RoleBinding, error) {
	seen := map[string]bool{}
	var bindings []rbacv1.RoleBinding
	for _, w := range workloads {
		sa := cmp.Or(w.Template.Spec.ServiceAccountName, w.Template.Spec.DeprecatedServiceAccount, "default")
		if seen[sa] {
			continue
		}
		seen[sa] = true
		var list rbacv1.RoleBindingList
		if err := g.Reader.List(ctx, &list, client.MatchingFields{IndexServiceAccountSubject: ns + "/" + sa}); err != nil {
			return nil, fmt.Errorf("listing the RoleBindings of ServiceAccount %s/%s: %w", ns, sa, err)
		}
		bindings = append(bindings, list.Items...)
	}
	slices.SortFunc(bindings, func(a, b rbacv1.RoleBinding) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return slices.CompactFunc(bindings, func(a, b rbacv1.RoleBinding) bool { return a.Namespace == b.Namespace && a.Name == b.Name }), nil
}

// gateway reads what the Gateway API shows of the routes that reach the asset: the routes,
// of any namespace, whose backendRefs name a Service selecting the asset's pods, the
// Gateways they attach to, the ReferenceGrants of the asset's namespace and the routes'
// namespaces.
func (g *Gatherer) gateway(ctx context.Context, ns string, services []corev1.Service, workloads []controls.Workload) (controls.GatewayAPI, error) {
	api := controls.GatewayAPI{Installed: g.installed(Gateway) && g.installed(HTTPRoute),
		GRPCRoutesServed: g.installed(GRPCRoute), TLSRoutesServed: g.installed(TLSRoute), ReferenceGrantsServed: g.installed(ReferenceGrant),
		Gateways: map[types.NamespacedName]*gatewayv1.Gateway{}, Namespaces: map[string]*corev1.Namespace{}}
	if !api.Installed {
		return api, nil
	}
	var keys []string
	for _, svc := range services {
		if selectsAny(svc.Spec.Selector, workloads) {
			keys = append(keys, ns+"/"+svc.Name)
		}
	}
	var routes []client.Object
	for _, key := range keys {
		for _, kind := range []struct {
			served bool
			list   client.ObjectList
		}{{true, &gatewayv1.HTTPRouteList{}}, {api.GRPCRoutesServed, &gatewayv1.GRPCRouteList{}}, {api.TLSRoutesServed, &gatewayv1.TLSRouteList{}}} {
			if !kind.served {
				continue
			}
			if err := g.Reader.List(ctx, kind.list, client.MatchingFields{IndexBackendService: key}); err != nil {
				return api, fmt.Errorf("listing the routes to Service %s: %w", key, err)
			}
			switch list := kind.list.(type) {
			case *gatewayv1.HTTPRouteList:
				api.HTTPRoutes = appendNew(api.HTTPRoutes, list.Items...)
			case *gatewayv1.GRPCRouteList:
				api.GRPCRoutes = appendNew(api.GRPCRoutes, list.Items...)
			case *gatewayv1.TLSRouteList:
				api.TLSRoutes = appendNew(api.TLSRoutes, list.Items...)
			}
		}
	}
	for i := range api.HTTPRoutes {
		routes = append(routes, &api.HTTPRoutes[i])
	}
	for i := range api.GRPCRoutes {
		routes = append(routes, &api.GRPCRoutes[i])
	}
	for i := range api.TLSRoutes {
		routes = append(routes, &api.TLSRoutes[i])
	}
	for _, route := range routes {
		for _, key := range parentGateways(route) {
			gwNamespace, name, _ := strings.Cut(key, "/")
			nn := types.NamespacedName{Namespace: gwNamespace, Name: name}
			if _, read := api.Gateways[nn]; read {
				continue
			}
			gw := &gatewayv1.Gateway{}
			if err := g.Reader.Get(ctx, nn, gw); err == nil {
				api.Gateways[nn] = gw
			} else if client.IgnoreNotFound(err) != nil {
				return api, fmt.Errorf("reading Gateway %s: %w", nn, err)
			}
		}
		if _, read := api.Namespaces[route.GetNamespace()]; !read {
			namespace := &corev1.Namespace{}
			if err := g.Reader.Get(ctx, types.NamespacedName{Name: route.GetNamespace()}, namespace); err == nil {
				api.Namespaces[namespace.Name] = namespace
			} else if client.IgnoreNotFound(err) != nil {
				return api, fmt.Errorf("reading namespace %s: %w", route.GetNamespace(), err)
			}
		}
	}
	if api.ReferenceGrantsServed {
		var grants gatewayv1.ReferenceGrantList
		if err := g.Reader.List(ctx, &grants, client.InNamespace(ns)); err != nil {
			return api, fmt.Errorf("listing ReferenceGrants: %w", err)
		}
		api.ReferenceGrants = grants.Items
	}
	return api, nil
}

// selectsAny reports whether a Service's selector selects a pod of any of the workloads.
func selectsAny(selector map[string]string, workloads []controls.Workload) bool {
	if len(selector) == 0 {
		return false // a Service without a selector selects no pod
	}
	return slices.ContainsFunc(workloads, func(w controls.Workload) bool {
		return labels.SelectorFromSet(selector).Matches(labels.Set(w.Template.Labels))
	})
}

// appendNew appends the objects that are not in list yet (a route reaching two of the
// asset's Services is found twice).
func appendNew[T any, PT interface {
	*T
	client.Object
}](list []T, items ...T) []T {
	for _, item := range items {
		key := client.ObjectKeyFromObject(PT(&item))
		if !slices.ContainsFunc(list, func(t T) bool { return client.ObjectKeyFromObject(PT(&t)) == key }) {
			list = append(list, item)
		}
	}
	return list
}

// GatherBackups reads the part of the evidence the backup and continuity controls use:
// the asset's workloads and claims, backups and restores, and the namespace's
// ContinuityPlans. The ContinuityPlan reconciler uses it for each asset a plan covers.
func (g *Gatherer) GatherBackups(ctx context.Context, asset *isms.InformationAsset, now time.Time) (*controls.Evidence, error) {
	selector, err := metav1.LabelSelectorAsSelector(&asset.Spec.Selector)
	if err != nil {
		return nil, InvalidSelectorError{err}
	}
	e := &controls.Evidence{Asset: asset, Now: now, Exempt: g.Exempt}
	if e.Workloads, err = g.workloads(ctx, asset.Namespace, selector); err != nil {
		return nil, err
	}
	if e.Claims, err = g.claims(ctx, asset.Namespace, e.Workloads); err != nil {
		return nil, err
	}
	if e.Backups, err = g.backups(ctx, asset.Namespace); err != nil {
		return nil, err
	}
	var plans isms.ContinuityPlanList
	if err := g.Reader.List(ctx, &plans, client.InNamespace(asset.Namespace)); err != nil {
		return nil, fmt.Errorf("listing ContinuityPlans: %w", err)
	}
	e.Plans = plans.Items
	return e, nil
}

// backups reads Velero's objects (from every namespace: Velero runs in its own) and the
// VolumeSnapshots of the asset's namespace, for the kinds that are installed.
func (g *Gatherer) backups(ctx context.Context, ns string) (controls.Backups, error) {
	b := controls.Backups{VeleroInstalled: true, SnapshotsInstalled: g.installed(VolumeSnapshot)}
	for _, kind := range VeleroKinds {
		if !g.installed(kind) {
			b.VeleroInstalled = false
			continue
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(listKind(kind))
		if err := g.Reader.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			return b, fmt.Errorf("listing Velero %ss: %w", kind.Kind, err)
		}
		for i := range list.Items {
			item := &list.Items[i]
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
	if b.SnapshotsInstalled {
		var snapshots snapshotv1.VolumeSnapshotList
		if err := g.Reader.List(ctx, &snapshots, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return b, fmt.Errorf("listing VolumeSnapshots: %w", err)
		}
		for _, s := range snapshots.Items {
			snapshot := controls.VolumeSnapshot{Name: s.Name}
			if s.Spec.Source.PersistentVolumeClaimName != nil {
				snapshot.Claim = *s.Spec.Source.PersistentVolumeClaimName
			}
			if st := s.Status; st != nil {
				snapshot.Ready = st.ReadyToUse != nil && *st.ReadyToUse
				snapshot.Created = timeOf(st.CreationTime)
			}
			b.VolumeSnapshots = append(b.VolumeSnapshots, snapshot)
		}
	}
	return b, nil
}

// workloads returns, sorted by kind and name, the workloads of the namespace whose pod
// template labels the selector matches.
func (g *Gatherer) workloads(ctx context.Context, ns string, selector labels.Selector) ([]controls.Workload, error) {
	var workloads []controls.Workload
	for _, list := range WorkloadKinds() {
		if err := g.Reader.List(ctx, list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing %T: %w", list, err)
		}
		err := meta.EachListItem(list, func(item runtime.Object) error {
			obj := item.(client.Object)
			kind, template, ok := PodTemplate(obj)
			if !ok || !selector.Matches(labels.Set(template.Labels)) {
				return nil
			}
			w := controls.Workload{Kind: kind, Name: obj.GetName(), Template: *template}
			if sts, isSTS := obj.(*appsv1.StatefulSet); isSTS {
				w.VolumeClaimTemplates = sts.Spec.VolumeClaimTemplates
			}
			workloads = append(workloads, w)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(workloads, func(a, b controls.Workload) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return workloads, nil
}

// claims returns, sorted by name, the volume claims the workloads use: claims their pods
// mount, the templates of ephemeral volumes and StatefulSet volumeClaimTemplates, and the
// claims a StatefulSet made from its templates.
func (g *Gatherer) claims(ctx context.Context, ns string, workloads []controls.Workload) ([]controls.Claim, error) {
	byName := map[string]controls.Claim{}
	var pvcs *corev1.PersistentVolumeClaimList // read once, when a StatefulSet needs it
	for _, w := range workloads {
		for _, v := range w.Template.Spec.Volumes {
			switch {
			case v.PersistentVolumeClaim != nil:
				claim, err := g.claim(ctx, ns, v.PersistentVolumeClaim.ClaimName)
				if err != nil {
					return nil, err
				}
				byName[claim.Name] = claim
			case v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil:
				name := fmt.Sprintf("%s ephemeral volume %s", w.Ref(), v.Name)
				byName[name] = controls.Claim{Name: name, Spec: &v.Ephemeral.VolumeClaimTemplate.Spec, Labels: v.Ephemeral.VolumeClaimTemplate.Labels}
			}
		}
		if len(w.VolumeClaimTemplates) > 0 && pvcs == nil {
			pvcs = &corev1.PersistentVolumeClaimList{}
			if err := g.Reader.List(ctx, pvcs, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
				return nil, fmt.Errorf("listing PersistentVolumeClaims: %w", err)
			}
		}
		for _, vct := range w.VolumeClaimTemplates {
			name := fmt.Sprintf("%s volumeClaimTemplate %s", w.Ref(), vct.Name)
			byName[name] = controls.Claim{Name: name, Spec: &vct.Spec, Labels: vct.Labels}
			for i := range pvcs.Items {
				if madeFrom(pvcs.Items[i].Name, vct.Name, w.Name) {
					claim, err := g.boundClaim(ctx, &pvcs.Items[i])
					if err != nil {
						return nil, err
					}
					byName[claim.Name] = claim
				}
			}
		}
	}
	claims := slices.Collect(maps.Values(byName))
	slices.SortFunc(claims, func(a, b controls.Claim) int { return cmp.Compare(a.Name, b.Name) })
	return claims, nil
}

// madeFrom reports whether a claim name is one a StatefulSet makes from a template:
// TEMPLATE-STATEFULSET-ORDINAL.
func madeFrom(claim, template, statefulSet string) bool {
	ordinal, found := strings.CutPrefix(claim, template+"-"+statefulSet+"-")
	_, err := strconv.ParseUint(ordinal, 10, 32)
	return found && err == nil
}

// claim reads a PersistentVolumeClaim by name, and its volume when bound.
func (g *Gatherer) claim(ctx context.Context, ns, name string) (controls.Claim, error) {
	pvc := &corev1.PersistentVolumeClaim{}
	if err := g.Reader.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, pvc); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return controls.Claim{Name: "PersistentVolumeClaim/" + name}, nil
		}
		return controls.Claim{}, fmt.Errorf("reading PersistentVolumeClaim %s/%s: %w", ns, name, err)
	}
	return g.boundClaim(ctx, pvc)
}

func (g *Gatherer) boundClaim(ctx context.Context, pvc *corev1.PersistentVolumeClaim) (controls.Claim, error) {
	claim := controls.Claim{Name: "PersistentVolumeClaim/" + pvc.Name, Spec: &pvc.Spec, Labels: pvc.Labels}
	if pvc.Spec.VolumeName == "" {
		return claim, nil
	}
	pv := &corev1.PersistentVolume{}
	if err := g.Reader.Get(ctx, types.NamespacedName{Name: pvc.Spec.VolumeName}, pv); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return claim, nil // judged by its class until the volume is seen
		}
		return controls.Claim{}, fmt.Errorf("reading PersistentVolume %s: %w", pvc.Spec.VolumeName, err)
	}
	claim.Volume = pv
	return claim, nil
}

// mesh reads the Istio PeerAuthentications of the namespace and the mesh's root namespace.
func (g *Gatherer) mesh(ctx context.Context, ns string) (controls.Mesh, error) {
	mesh := controls.Mesh{IstioRootNamespace: cmp.Or(g.IstioRootNamespace, controls.DefaultIstioRootNamespace)}
	if !g.installed(PeerAuthentication) {
		return mesh, nil
	}
	mesh.IstioInstalled = true
	for _, namespace := range slices.Compact([]string{ns, mesh.IstioRootNamespace}) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(listKind(PeerAuthentication))
		if err := g.Reader.List(ctx, list, client.InNamespace(namespace)); err != nil {
			return mesh, fmt.Errorf("listing PeerAuthentications in %s: %w", namespace, err)
		}
		for _, item := range list.Items {
			mesh.PeerAuthentications = append(mesh.PeerAuthentications, peerAuthentication(&item))
		}
	}
	return mesh, nil
}

// peerAuthentication reads the fields ENC-03 needs from an unstructured PeerAuthentication.
func peerAuthentication(u *unstructured.Unstructured) controls.PeerAuthentication {
	pa := controls.PeerAuthentication{Namespace: u.GetNamespace(), Name: u.GetName(), Created: u.GetCreationTimestamp().Time}
	pa.Selector, _, _ = unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
	pa.Mode, _, _ = unstructured.NestedString(u.Object, "spec", "mtls", "mode")
	ports, _, _ := unstructured.NestedMap(u.Object, "spec", "portLevelMtls")
	for port, value := range ports {
		number, err := strconv.ParseUint(port, 10, 32)
		settings, _ := value.(map[string]any)
		mode, _, _ := unstructured.NestedString(settings, "mode")
		if err == nil {
			if pa.PortModes == nil {
				pa.PortModes = map[uint32]string{}
			}
			pa.PortModes[uint32(number)] = mode
		}
	}
	return pa
}
