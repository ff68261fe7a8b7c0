package controllers

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
)

// fanOut is the number of assets above which a change's reconciles queue behind those of
// changes that affect fewer assets.
const fanOut = 10

// enqueueMapped maps each change (the object before and after it) with fn to the objects it
// affects, and queues their reconciles. Those of a change that affects many (a workload
// 500 assets select, a ClusterRole every asset reads, a backup storage location) queue at
// a lower priority than those of a change that affects a few, so that a burst in one place
// never holds up drift elsewhere (controller-runtime's priority queue serves higher
// priorities first; handler.Funcs already lowers those of the initial list and of
// resyncs).
func enqueueMapped(fn handler.MapFunc) handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, fn, e.Object)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, fn, e.ObjectOld, e.ObjectNew)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, fn, e.Object)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, fn, e.Object)
		},
	}
}

func enqueue(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], fn handler.MapFunc, objs ...client.Object) {
	var requests []reconcile.Request
	seen := map[reconcile.Request]bool{}
	for _, obj := range objs {
		for _, r := range fn(ctx, obj) {
			if !seen[r] {
				seen[r] = true
				requests = append(requests, r)
			}
		}
	}
	pq, prioritised := q.(priorityqueue.PriorityQueue[reconcile.Request])
	for _, r := range requests {
		if prioritised && len(requests) > fanOut {
			pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(handler.LowPriority)}, r)
		} else {
			q.Add(r)
		}
	}
}

// listFailed logs a read of the cache that failed: the change it maps is then missed
// until the next one, which an error in the cache makes rare.
func listFailed(ctx context.Context, err error, what string) {
	log.FromContext(ctx).Error(err, "Could not find the assets a change affects", "reading", what)
}

// requestsFor returns a request per object.
func requestsFor[T any, PT interface {
	*T
	client.Object
}](objects []T) []reconcile.Request {
	requests := make([]reconcile.Request, 0, len(objects))
	for i := range objects {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(PT(&objects[i]))})
	}
	return requests
}

// assetsIn returns a request for every asset in namespace ns ("" for every namespace):
// for what every asset of a namespace reads (its labels, a Role that can grant access).
func (r *InformationAssetReconciler) assetsIn(ctx context.Context, ns string) []reconcile.Request {
	var assets isms.InformationAssetList
	if err := r.List(ctx, &assets, client.InNamespace(ns)); err != nil {
		listFailed(ctx, err, "assets")
		return nil
	}
	return requestsFor(assets.Items)
}

// assetsInNamespaces returns a request for every asset in any of the namespaces.
func (r *InformationAssetReconciler) assetsInNamespaces(ctx context.Context, namespaces []string) []reconcile.Request {
	seen := map[string]bool{}
	var requests []reconcile.Request
	for _, ns := range namespaces {
		if !seen[ns] {
			seen[ns] = true
			requests = append(requests, r.assetsIn(ctx, ns)...)
		}
	}
	return requests
}

// assetsSelecting returns the assets of ns whose selector matches pod template labels,
// found through what each asset's selector requires (indexAssetSelector).
func (r *InformationAssetReconciler) assetsSelecting(ctx context.Context, ns string, podLabels map[string]string) []reconcile.Request {
	var requests []reconcile.Request
	seen := map[string]bool{}
	for _, term := range evidence.LabelTerms(podLabels) {
		var assets isms.InformationAssetList
		if err := r.List(ctx, &assets, client.InNamespace(ns), client.MatchingFields{indexAssetSelector: term}); err != nil {
			listFailed(ctx, err, "assets by selector")
			return nil
		}
		for _, a := range assets.Items {
			if seen[a.Name] {
				continue
			}
			seen[a.Name] = true
			selector, err := metav1.LabelSelectorAsSelector(&a.Spec.Selector)
			if err == nil && selector.Matches(labels.Set(podLabels)) {
				requests = append(requests, requestsFor([]isms.InformationAsset{a})...)
			}
		}
	}
	return requests
}

// assetsOfWorkloads returns the assets that select any of the workloads.
func (r *InformationAssetReconciler) assetsOfWorkloads(ctx context.Context, workloads []client.Object) []reconcile.Request {
	var requests []reconcile.Request
	for _, w := range workloads {
		if _, template, ok := evidence.PodTemplate(w); ok {
			requests = append(requests, r.assetsSelecting(ctx, w.GetNamespace(), template.Labels)...)
		}
	}
	return requests
}

// workloadsBy returns the judged workloads of ns that a field index gives for value.
func (r *InformationAssetReconciler) workloadsBy(ctx context.Context, ns, field, value string) []client.Object {
	var workloads []client.Object
	for _, list := range evidence.WorkloadKinds() {
		opts := []client.ListOption{client.InNamespace(ns)}
		if field != "" {
			opts = append(opts, client.MatchingFields{field: value})
		}
		if err := r.List(ctx, list, opts...); err != nil {
			listFailed(ctx, err, "workloads by "+field)
			return nil
		}
		_ = meta.EachListItem(list, func(item runtime.Object) error {
			workloads = append(workloads, item.(client.Object))
			return nil
		})
	}
	return workloads
}

// workloadsSelectedBy returns the judged workloads of ns whose pod template a label
// selector (a Service's, a NetworkPolicy's) selects.
func (r *InformationAssetReconciler) workloadsSelectedBy(ctx context.Context, ns string, s *metav1.LabelSelector) []client.Object {
	selector, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return nil
	}
	var selected []client.Object
	for _, term := range evidence.SelectorTerms(s) {
		field := evidence.IndexTemplateLabel
		if term == evidence.AnyTerm {
			field = ""
		}
		for _, w := range r.workloadsBy(ctx, ns, field, term) {
			if _, template, ok := evidence.PodTemplate(w); ok && selector.Matches(labels.Set(template.Labels)) {
				selected = append(selected, w)
			}
		}
	}
	return selected
}

// assetsOfWorkload maps a workload to the assets whose selector matches its pod template.
func (r *InformationAssetReconciler) assetsOfWorkload(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.assetsOfWorkloads(ctx, []client.Object{obj})
}

// assetsOfClaim maps a PersistentVolumeClaim to the assets whose workloads mount it (or,
// for a StatefulSet's claim, make it).
func (r *InformationAssetReconciler) assetsOfClaim(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.assetsOfClaimNamed(ctx, obj.GetNamespace(), obj.GetName())
}

func (r *InformationAssetReconciler) assetsOfClaimNamed(ctx context.Context, ns, name string) []reconcile.Request {
	workloads := r.workloadsBy(ctx, ns, evidence.IndexTemplateClaim, name)
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		workloads = append(workloads, r.workloadsBy(ctx, ns, evidence.IndexTemplateClaim, name[:i])...)
	}
	return r.assetsOfWorkloads(ctx, workloads)
}

// assetsOfVolume maps a PersistentVolume to the assets of the claim it is bound to.
func (r *InformationAssetReconciler) assetsOfVolume(ctx context.Context, obj client.Object) []reconcile.Request {
	if ref := obj.(*corev1.PersistentVolume).Spec.ClaimRef; ref != nil {
		return r.assetsOfClaimNamed(ctx, ref.Namespace, ref.Name)
	}
	return nil
}

// assetsOfStorageClass maps a StorageClass to the assets whose claims, volumes or workload
// templates use it (or use the default class, when it is the default).
func (r *InformationAssetReconciler) assetsOfStorageClass(ctx context.Context, obj client.Object) []reconcile.Request {
	keys := []string{obj.GetName()}
	if obj.GetAnnotations()[controls.AnnotationDefaultClass] == "true" {
		keys = append(keys, defaultClassKey)
	}
	var requests []reconcile.Request
	for _, key := range keys {
		var volumes corev1.PersistentVolumeList
		var claims corev1.PersistentVolumeClaimList
		if err := r.List(ctx, &volumes, client.MatchingFields{indexStorageClass: key}); err != nil {
			listFailed(ctx, err, "volumes by class")
			return nil
		}
		if err := r.List(ctx, &claims, client.MatchingFields{indexStorageClass: key}); err != nil {
			listFailed(ctx, err, "claims by class")
			return nil
		}
		for _, v := range volumes.Items {
			if ref := v.Spec.ClaimRef; ref != nil {
				requests = append(requests, r.assetsOfClaimNamed(ctx, ref.Namespace, ref.Name)...)
			}
		}
		for _, c := range claims.Items {
			requests = append(requests, r.assetsOfClaimNamed(ctx, c.Namespace, c.Name)...)
		}
		requests = append(requests, r.assetsOfWorkloads(ctx, r.workloadsBy(ctx, "", indexStorageClass, key))...)
	}
	return requests
}

// assetsOfService maps a Service to the assets whose pods it selects: ENC-02 follows the
// traffic it, and the Ingresses and routes to it, bring them.
func (r *InformationAssetReconciler) assetsOfService(ctx context.Context, obj client.Object) []reconcile.Request {
	selector := obj.(*corev1.Service).Spec.Selector
	if len(selector) == 0 {
		return nil // a Service without a selector selects no pod
	}
	return r.assetsOfWorkloads(ctx, r.workloadsSelectedBy(ctx, obj.GetNamespace(), &metav1.LabelSelector{MatchLabels: selector}))
}

// assetsOfServiceKeys maps Services named namespace/name to the assets whose pods they select.
func (r *InformationAssetReconciler) assetsOfServiceKeys(ctx context.Context, keys []string) []reconcile.Request {
	var requests []reconcile.Request
	for _, key := range keys {
		ns, name, _ := strings.Cut(key, "/")
		svc := &corev1.Service{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, svc); err != nil {
			if !apierrors.IsNotFound(err) {
				listFailed(ctx, err, "Service "+key)
			}
			continue
		}
		requests = append(requests, r.assetsOfService(ctx, svc)...)
	}
	return requests
}

// assetsOfIngress maps an Ingress to the assets of the Services it routes to.
func (r *InformationAssetReconciler) assetsOfIngress(ctx context.Context, obj client.Object) []reconcile.Request {
	var keys []string
	for _, name := range evidence.IngressServices(obj.(*networkingv1.Ingress)) {
		keys = append(keys, obj.GetNamespace()+"/"+name)
	}
	return r.assetsOfServiceKeys(ctx, keys)
}

// assetsOfRoute maps a Gateway API route to the assets of the Services it routes to.
func (r *InformationAssetReconciler) assetsOfRoute(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.assetsOfServiceKeys(ctx, evidence.BackendServices(obj))
}

// assetsOfGateway maps a Gateway to the assets of the routes attached to it: a change of
// its listeners changes how they are reached.
func (r *InformationAssetReconciler) assetsOfGateway(ctx context.Context, gateway client.Object) []reconcile.Request {
	var requests []reconcile.Request
	for _, list := range []client.ObjectList{&gatewayv1.HTTPRouteList{}, &gatewayv1.GRPCRouteList{}, &gatewayv1.TLSRouteList{}} {
		if err := r.List(ctx, list, client.MatchingFields{evidence.IndexParentGateway: gateway.GetNamespace() + "/" + gateway.GetName()}); err != nil {
			continue // that route kind is not served, so not watched
		}
		_ = meta.EachListItem(list, func(item runtime.Object) error {
			requests = append(requests, r.assetsOfRoute(ctx, item.(client.Object))...)
			return nil
		})
	}
	return requests
}

// assetsOfNetworkPolicy maps a NetworkPolicy to the assets whose pods it selects.
func (r *InformationAssetReconciler) assetsOfNetworkPolicy(ctx context.Context, obj client.Object) []reconcile.Request {
	np := obj.(*networkingv1.NetworkPolicy)
	return r.assetsOfWorkloads(ctx, r.workloadsSelectedBy(ctx, np.Namespace, &np.Spec.PodSelector))
}

// assetsOfServiceAccount maps a ServiceAccount to the assets whose pods run as it.
func (r *InformationAssetReconciler) assetsOfServiceAccount(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.assetsOfServiceAccountKeys(ctx, []string{obj.GetNamespace() + "/" + obj.GetName()})
}

// assetsOfServiceAccountKeys maps ServiceAccounts named namespace/name to the assets whose
// pods run as them.
func (r *InformationAssetReconciler) assetsOfServiceAccountKeys(ctx context.Context, keys []string) []reconcile.Request {
	var requests []reconcile.Request
	for _, key := range keys {
		ns, name, _ := strings.Cut(key, "/")
		requests = append(requests, r.assetsOfWorkloads(ctx, r.workloadsBy(ctx, ns, evidence.IndexTemplateServiceAccount, name))...)
	}
	return requests
}

// assetsOfRole maps a Role that could grant what ACC-03 guards to the assets of its
// namespace: ACC-03 judges every binding of the namespace. The handler maps the Role
// before and after a change, so one that stops granting it is seen too.
func (r *InformationAssetReconciler) assetsOfRole(ctx context.Context, obj client.Object) []reconcile.Request {
	if !controls.MayGrantGuardedRights(obj.(*rbacv1.Role).Rules) {
		return nil
	}
	return r.assetsIn(ctx, obj.GetNamespace())
}

// assetsOfRoleBinding maps a RoleBinding to the assets of its namespace when its role could
// grant what ACC-03 guards (or does not exist yet), and to the assets whose pods run as a
// ServiceAccount it names, whose token it gives a use (ACC-04).
func (r *InformationAssetReconciler) assetsOfRoleBinding(ctx context.Context, obj client.Object) []reconcile.Request {
	rb := obj.(*rbacv1.RoleBinding)
	requests := r.assetsOfServiceAccountKeys(ctx, evidence.ServiceAccountSubjects(rb))
	if r.mayGrant(ctx, rb.Namespace, rb.RoleRef) {
		requests = append(requests, r.assetsIn(ctx, rb.Namespace)...)
	}
	return requests
}

// mayGrant reports whether the role a binding refers to could grant what ACC-03 guards; a
// role that cannot be read counts as one that could.
func (r *InformationAssetReconciler) mayGrant(ctx context.Context, ns string, ref rbacv1.RoleRef) bool {
	var rules []rbacv1.PolicyRule
	switch ref.Kind {
	case "Role":
		role := &rbacv1.Role{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, role); err != nil {
			return true
		}
		rules = role.Rules
	case "ClusterRole":
		role := &rbacv1.ClusterRole{}
		if err := r.Get(ctx, types.NamespacedName{Name: ref.Name}, role); err != nil {
			return true
		}
		rules = role.Rules
	}
	return controls.MayGrantGuardedRights(rules)
}

// assetsOfClusterRole maps a ClusterRole to the assets its bindings affect: every asset
// when a ClusterRoleBinding binds it and its rules could grant what ACC-03 guards, else
// those of the namespaces whose RoleBindings bind it.
func (r *InformationAssetReconciler) assetsOfClusterRole(ctx context.Context, obj client.Object) []reconcile.Request {
	if !controls.MayGrantGuardedRights(obj.(*rbacv1.ClusterRole).Rules) {
		return nil
	}
	var clusterBindings rbacv1.ClusterRoleBindingList
	var bindings rbacv1.RoleBindingList
	for _, list := range []client.ObjectList{&clusterBindings, &bindings} {
		if err := r.List(ctx, list, client.MatchingFields{indexClusterRole: obj.GetName()}); err != nil {
			listFailed(ctx, err, "bindings of a ClusterRole")
			return nil
		}
	}
	if len(clusterBindings.Items) > 0 {
		return r.assetsIn(ctx, "")
	}
	var namespaces []string
	for _, b := range bindings.Items {
		namespaces = append(namespaces, b.Namespace)
	}
	return r.assetsInNamespaces(ctx, namespaces)
}

// assetsOfClusterRoleBinding maps a ClusterRoleBinding to every asset when its role could
// grant what ACC-03 guards (in every namespace), and to the assets whose pods run as a
// ServiceAccount it names (ACC-04).
func (r *InformationAssetReconciler) assetsOfClusterRoleBinding(ctx context.Context, obj client.Object) []reconcile.Request {
	binding := obj.(*rbacv1.ClusterRoleBinding)
	if r.mayGrant(ctx, "", binding.RoleRef) {
		return r.assetsIn(ctx, "")
	}
	return r.assetsOfServiceAccountKeys(ctx, evidence.ServiceAccountSubjects(binding))
}

// assetsOfNamespace maps a Namespace to its assets: its labels and annotations decide mesh
// membership and attestation for every one of them.
func (r *InformationAssetReconciler) assetsOfNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.assetsIn(ctx, obj.GetName())
}

// assetsOfPlan maps a ContinuityPlan to the assets it covers and those that name it.
func (r *InformationAssetReconciler) assetsOfPlan(ctx context.Context, obj client.Object) []reconcile.Request {
	plan := obj.(*isms.ContinuityPlan)
	var requests []reconcile.Request
	for _, a := range plan.Spec.Assets {
		requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: plan.Namespace, Name: a.Name}})
	}
	var naming isms.InformationAssetList
	if err := r.List(ctx, &naming, client.InNamespace(plan.Namespace), client.MatchingFields{indexAssetPlan: plan.Name}); err != nil {
		listFailed(ctx, err, "assets naming a plan")
		return requests
	}
	return append(requests, requestsFor(naming.Items)...)
}

// assetsOfRisk maps a Risk to the asset it names, whose status counts its open and
// accepted risks (and raises again a Detected risk a person deleted), and to the asset
// whose control it would record by its name, whose status shows a Risk that took that
// name without being its record.
func (r *InformationAssetReconciler) assetsOfRisk(ctx context.Context, obj client.Object) []reconcile.Request {
	var requests []reconcile.Request
	if ref := obj.(*isms.Risk).Spec.AssetRef; ref != nil {
		requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}})
	}
	var assets isms.InformationAssetList
	if err := r.List(ctx, &assets, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexRiskNames: obj.GetName()}); err != nil {
		listFailed(ctx, err, "the asset a Risk's name records")
		return requests
	}
	return append(requests, requestsFor(assets.Items)...)
}
