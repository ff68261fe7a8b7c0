package evidence

import (
	"cmp"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Field indexes the gatherer asks its questions through (client.MatchingFields), so that
// gathering an asset costs what is relevant to it. The operator registers them on its
// cache; the audit's store serves the same indexes from the same functions, so the
// gatherer asks the same questions in a cluster and offline.
const (
	// IndexServiceAccountSubject indexes RoleBindings by the ServiceAccounts they name, as
	// "namespace/name".
	IndexServiceAccountSubject = "isms.serviceAccountSubject"
	// IndexBackendService indexes Gateway API routes by the Services their backendRefs
	// name, as "namespace/name".
	IndexBackendService = "isms.backendService"
	// IndexParentGateway indexes Gateway API routes by the Gateways they attach to, as
	// "namespace/name".
	IndexParentGateway = "isms.parentGateway"
)

// Index is a field index: the objects of a kind by the values Extract gives.
type Index struct {
	Object  client.Object
	Field   string
	Extract client.IndexerFunc
}

// Indexes are the indexes of the kinds every cluster serves.
var Indexes = []Index{
	{&rbacv1.RoleBinding{}, IndexServiceAccountSubject, ServiceAccountSubjects},
}

// OptionalIndexes returns the indexes of an optional kind, registered when it is found.
func OptionalIndexes(gvk schema.GroupVersionKind) []Index {
	obj, ok := routeObject(gvk)
	if !ok {
		return nil
	}
	return []Index{{obj, IndexBackendService, BackendServices}, {obj, IndexParentGateway, parentGateways}}
}

// ServiceAccountSubjects are the ServiceAccounts a RoleBinding names, as namespace/name: a
// ServiceAccount subject (without a namespace, in the binding's), or the User the API
// server authenticates it as, system:serviceaccount:NAMESPACE:NAME.
func ServiceAccountSubjects(o client.Object) []string {
	rb := o.(*rbacv1.RoleBinding)
	var keys []string
	for _, s := range rb.Subjects {
		switch rest, isSA := strings.CutPrefix(s.Name, "system:serviceaccount:"); {
		case s.Kind == rbacv1.ServiceAccountKind:
			keys = append(keys, cmp.Or(s.Namespace, rb.Namespace)+"/"+s.Name)
		case s.Kind == rbacv1.UserKind && isSA && strings.Count(rest, ":") == 1:
			keys = append(keys, strings.Replace(rest, ":", "/", 1))
		}
	}
	return keys
}

// route is what the indexes read of an HTTPRoute, GRPCRoute or TLSRoute.
type route struct {
	namespace string
	parents   []gatewayv1.ParentReference
	backends  []gatewayv1.BackendObjectReference
}

func routeOf(o client.Object) route {
	r := route{namespace: o.GetNamespace()}
	switch o := o.(type) {
	case *gatewayv1.HTTPRoute:
		r.parents = o.Spec.ParentRefs
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				r.backends = append(r.backends, b.BackendObjectReference)
			}
		}
	case *gatewayv1.GRPCRoute:
		r.parents = o.Spec.ParentRefs
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				r.backends = append(r.backends, b.BackendObjectReference)
			}
		}
	case *gatewayv1.TLSRoute:
		r.parents = o.Spec.ParentRefs
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				r.backends = append(r.backends, b.BackendObjectReference)
			}
		}
	}
	return r
}

// BackendServices are the Services a Gateway API route's backendRefs name, as namespace/name.
func BackendServices(o client.Object) []string {
	r := routeOf(o)
	var keys []string
	for _, b := range r.backends {
		if (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service") {
			keys = append(keys, namespaceOr(b.Namespace, r.namespace)+"/"+string(b.Name))
		}
	}
	return keys
}

// parentGateways are the Gateways a route attaches to, as namespace/name.
func parentGateways(o client.Object) []string {
	r := routeOf(o)
	var keys []string
	for _, p := range r.parents {
		if (p.Group == nil || *p.Group == gatewayv1.GroupName) && (p.Kind == nil || *p.Kind == "Gateway") {
			keys = append(keys, namespaceOr(p.Namespace, r.namespace)+"/"+string(p.Name))
		}
	}
	return keys
}

func namespaceOr(ns *gatewayv1.Namespace, fallback string) string {
	if ns == nil || *ns == "" {
		return fallback
	}
	return string(*ns)
}
