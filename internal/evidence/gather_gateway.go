package evidence

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/isms-operator/isms-operator/internal/controls"
)

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
			if err := g.list(ctx, kind.list, "", IndexBackendService, key); err != nil {
				return api, err
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
