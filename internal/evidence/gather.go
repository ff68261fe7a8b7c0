// Package evidence gathers, from the operator's cache, everything one InformationAsset's
// controls read into a controls.Evidence value. It only reads, and asks only for what is
// relevant to the asset, through the field indexes of indexes.go: its cost is what the
// asset selects, never what its namespace or the cluster holds. The checks in
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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// Gatherer reads an asset's evidence from a cache.
type Gatherer struct {
	// Reader is the manager's cache, with the field indexes of Indexes and OptionalIndexes.
	Reader client.Reader
	// Exempt are the install-time exempt subjects of ACC-03.
	Exempt []isms.Subject
	// IstioRootNamespace holds mesh-wide PeerAuthentications.
	IstioRootNamespace string
	// Installed reports whether an optional kind (OptionalKinds) is served and watched;
	// nil means none is.
	Installed func(schema.GroupVersionKind) bool
	// Offline says the Reader holds manifests, not a cluster: a binding whose role is not
	// there cannot be judged, so bindings are read whatever their role.
	Offline bool
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
	e.Offline = g.Offline
	e.Namespace = &corev1.Namespace{}
	if err := g.Reader.Get(ctx, types.NamespacedName{Name: ns}, e.Namespace); err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", ns, err)
	}
	for _, step := range []func(context.Context, *controls.Evidence) error{
		g.storageClasses, g.exposure, g.networkPolicies, g.serviceAccounts, g.rbac,
	} {
		if err := step(ctx, e); err != nil {
			return nil, err
		}
	}
	if e.Mesh, err = g.mesh(ctx, ns); err != nil {
		return nil, err
	}
	if e.Gateway, err = g.gateway(ctx, ns, e.Services, e.Workloads); err != nil {
		return nil, err
	}
	return e, nil
}

// GatherBackups reads the part of the evidence the backup and continuity controls use:
// the asset's workloads and claims, backups and restores, and the ContinuityPlans that
// cover it or that it names. The ContinuityPlan reconciler uses it for each asset a plan
// covers.
func (g *Gatherer) GatherBackups(ctx context.Context, asset *isms.InformationAsset, now time.Time) (*controls.Evidence, error) {
	selector, err := metav1.LabelSelectorAsSelector(&asset.Spec.Selector)
	if err != nil {
		return nil, InvalidSelectorError{err}
	}
	e := &controls.Evidence{Asset: asset, Now: now, Exempt: g.Exempt}
	if e.Workloads, err = g.workloads(ctx, asset.Namespace, &asset.Spec.Selector, selector); err != nil {
		return nil, err
	}
	if e.Claims, err = g.claims(ctx, asset.Namespace, e.Workloads); err != nil {
		return nil, err
	}
	if e.Backups, err = g.backups(ctx, asset.Namespace, e.Claims); err != nil {
		return nil, err
	}
	if e.Plans, err = g.plans(ctx, asset); err != nil {
		return nil, err
	}
	return e, nil
}

// list lists into list through a field index, in a namespace ("" for all).
func (g *Gatherer) list(ctx context.Context, list client.ObjectList, ns, field, value string) error {
	opts := []client.ListOption{client.MatchingFields{field: value}, client.UnsafeDisableDeepCopy}
	if ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := g.Reader.List(ctx, list, opts...); err != nil {
		return fmt.Errorf("listing %T by %s %q: %w", list, field, value, err)
	}
	return nil
}

// workloads returns, sorted by kind and name, the workloads of the namespace whose pod
// template labels the selector matches, found through the template label index by what
// the selector requires (SelectorTerms).
func (g *Gatherer) workloads(ctx context.Context, ns string, s *metav1.LabelSelector, selector labels.Selector) ([]controls.Workload, error) {
	var workloads []controls.Workload
	seen := map[string]bool{}
	for _, term := range SelectorTerms(s) {
		for _, list := range WorkloadKinds() {
			var err error
			if term == AnyTerm {
				err = g.Reader.List(ctx, list, client.InNamespace(ns), client.UnsafeDisableDeepCopy)
			} else {
				err = g.list(ctx, list, ns, IndexTemplateLabel, term)
			}
			if err != nil {
				return nil, err
			}
			err = meta.EachListItem(list, func(item runtime.Object) error {
				obj := item.(client.Object)
				kind, template, ok := PodTemplate(obj)
				if !ok || !selector.Matches(labels.Set(template.Labels)) || seen[kind+"/"+obj.GetName()] {
					return nil
				}
				seen[kind+"/"+obj.GetName()] = true
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
		for _, vct := range w.VolumeClaimTemplates {
			name := fmt.Sprintf("%s volumeClaimTemplate %s", w.Ref(), vct.Name)
			byName[name] = controls.Claim{Name: name, Spec: &vct.Spec, Labels: vct.Labels}
			var pvcs corev1.PersistentVolumeClaimList
			if err := g.list(ctx, &pvcs, ns, IndexClaimSet, vct.Name+"-"+w.Name); err != nil {
				return nil, err
			}
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

// storageClasses reads the StorageClasses the claims and their volumes name, and the
// default ones (for claims that name none).
func (g *Gatherer) storageClasses(ctx context.Context, e *controls.Evidence) error {
	e.StorageClasses = map[string]*storagev1.StorageClass{}
	var defaults storagev1.StorageClassList
	if err := g.list(ctx, &defaults, "", IndexDefaultClass, indexTrue); err != nil {
		return err
	}
	for i := range defaults.Items {
		e.StorageClasses[defaults.Items[i].Name] = &defaults.Items[i]
	}
	for _, claim := range e.Claims {
		var names []string
		if claim.Spec != nil && claim.Spec.StorageClassName != nil {
			names = append(names, *claim.Spec.StorageClassName)
		}
		if claim.Volume != nil {
			names = append(names, claim.Volume.Spec.StorageClassName)
		}
		for _, name := range names {
			if _, read := e.StorageClasses[name]; read || name == "" {
				continue
			}
			class := &storagev1.StorageClass{}
			if err := g.Reader.Get(ctx, types.NamespacedName{Name: name}, class); err == nil {
				e.StorageClasses[name] = class
			} else if client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("reading StorageClass %s: %w", name, err)
			}
		}
	}
	return nil
}

// exposure reads the Services of the asset's namespace that select its pods (found by
// their selector's pairs among the pods' labels), and the Ingresses that route to them.
func (g *Gatherer) exposure(ctx context.Context, e *controls.Evidence) error {
	ns := e.Asset.Namespace
	byName := map[string]corev1.Service{}
	for _, w := range e.Workloads {
		for k, v := range w.Template.Labels {
			var services corev1.ServiceList
			if err := g.list(ctx, &services, ns, IndexServiceSelector, k+"="+v); err != nil {
				return err
			}
			for _, svc := range services.Items {
				if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.Template.Labels)) {
					byName[svc.Name] = svc
				}
			}
		}
	}
	e.Services = sortedByName(byName)
	ingresses := map[string]networkingv1.Ingress{}
	for _, svc := range e.Services {
		var list networkingv1.IngressList
		if err := g.list(ctx, &list, ns, IndexIngressService, svc.Name); err != nil {
			return err
		}
		for _, ing := range list.Items {
			ingresses[ing.Name] = ing
		}
	}
	e.Ingresses = sortedByName(ingresses)
	return nil
}

// networkPolicies reads the NetworkPolicies of the asset's namespace that may select its
// pods: those whose podSelector terms are among the pods' labels, or that require none.
func (g *Gatherer) networkPolicies(ctx context.Context, e *controls.Evidence) error {
	byName := map[string]networkingv1.NetworkPolicy{}
	terms := map[string]bool{}
	for _, w := range e.Workloads {
		for _, term := range LabelTerms(w.Template.Labels) {
			terms[term] = true
		}
	}
	for _, term := range slices.Sorted(maps.Keys(terms)) {
		var list networkingv1.NetworkPolicyList
		if err := g.list(ctx, &list, e.Asset.Namespace, IndexPolicySelector, term); err != nil {
			return err
		}
		for _, np := range list.Items {
			byName[np.Name] = np
		}
	}
	e.NetworkPolicies = sortedByName(byName)
	return nil
}

// serviceAccounts reads the ServiceAccounts the asset's pods run as.
func (g *Gatherer) serviceAccounts(ctx context.Context, e *controls.Evidence) error {
	e.ServiceAccounts = map[string]*corev1.ServiceAccount{}
	for _, w := range e.Workloads {
		name := ServiceAccountOf(&w.Template.Spec)
		if _, read := e.ServiceAccounts[name]; read {
			continue
		}
		sa := &corev1.ServiceAccount{}
		if err := g.Reader.Get(ctx, types.NamespacedName{Namespace: e.Asset.Namespace, Name: name}, sa); err == nil {
			e.ServiceAccounts[name] = sa
		} else if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("reading ServiceAccount %s/%s: %w", e.Asset.Namespace, name, err)
		}
	}
	return nil
}

// plans returns, sorted by name, the ContinuityPlans of the asset's namespace that list
// the asset, and the one its continuityPlanRef names.
func (g *Gatherer) plans(ctx context.Context, asset *isms.InformationAsset) ([]isms.ContinuityPlan, error) {
	var list isms.ContinuityPlanList
	if err := g.list(ctx, &list, asset.Namespace, IndexPlanAsset, asset.Name); err != nil {
		return nil, err
	}
	byName := map[string]isms.ContinuityPlan{}
	for _, p := range list.Items {
		byName[p.Name] = p
	}
	if ref := asset.Spec.ContinuityPlanRef; ref != nil {
		if _, found := byName[ref.Name]; !found {
			plan := &isms.ContinuityPlan{}
			if err := g.Reader.Get(ctx, types.NamespacedName{Namespace: asset.Namespace, Name: ref.Name}, plan); err == nil {
				byName[plan.Name] = *plan
			} else if client.IgnoreNotFound(err) != nil {
				return nil, fmt.Errorf("reading ContinuityPlan %s/%s: %w", asset.Namespace, ref.Name, err)
			}
		}
	}
	return sortedByName(byName), nil
}

// sortedByName returns the objects of a map by name, sorted.
func sortedByName[T any](byName map[string]T) []T {
	var out []T
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out
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
