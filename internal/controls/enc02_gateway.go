package controls

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// The Gateway API kinds ENC-02 reads.
const (
	kindGateway   = "Gateway"
	kindHTTPRoute = "HTTPRoute"
	kindGRPCRoute = "GRPCRoute"
	kindTLSRoute  = "TLSRoute"
)

// gatewayRoutes judges the Gateway API routes that reach the asset: every listener of an
// existing parent Gateway that accepts a route must be HTTPS or TLS for the route's
// hostnames, or plain HTTP only to redirect every request to https.
func (c *transitCheck) gatewayRoutes(e *Evidence, services map[string]bool) {
	for _, r := range reachingRoutes(e, services) {
		ref := r.route.ref()
		if len(r.attachments) > 0 {
			c.reached = true
		}
		var passed []string
		var findings []isms.Finding
		for _, a := range r.attachments {
			if sentence, ok := a.encrypts(r.route); ok {
				passed = append(passed, ref+" "+sentence)
			} else {
				findings = append(findings, isms.Finding{Resource: ref, Message: a.failure(r.route)})
			}
		}
		// A listener carrying the asset's traffic in plaintext fails whatever else cannot
		// be judged; where the reference itself cannot be judged, nothing about the route can.
		if r.allowed && len(findings) > 0 {
			c.out.findings = append(c.out.findings, findings...)
		}
		for _, why := range r.undecided {
			c.undecided = append(c.undecided, undecidedRoute{resource: ref, why: why})
		}
		switch {
		case len(r.undecided) > 0 || len(findings) > 0:
		case len(r.attachments) == 0:
			c.out.passed = append(c.out.passed, ref+" sends to a Service selecting the asset's pods, but no listener of an existing parent Gateway accepts it, so it carries no traffic")
		default:
			c.out.passed = append(c.out.passed, passed...)
		}
	}
}

// gatewayRoute is the part of an HTTPRoute, GRPCRoute or TLSRoute that ENC-02 reads.
type gatewayRoute struct {
	kind, namespace, name string
	parents               []gatewayv1.ParentReference
	defaultGateways       gatewayv1.GatewayDefaultScope
	hostnames             []gatewayv1.Hostname
	rules                 []routeRule
}

// ref names the route as Kind/namespace/name: routes and Gateways are often in other
// namespaces than the asset.
func (r gatewayRoute) ref() string { return r.kind + "/" + r.namespace + "/" + r.name }

// routeRule is one rule of a route.
type routeRule struct {
	// name is the rule's name, else rules[i].
	name string
	// backends are the rule's backendRefs.
	backends []gatewayv1.BackendObjectReference
	// redirectsToHTTPS: the rule (of an HTTPRoute) has a RequestRedirect filter to scheme
	// https, which answers every request it matches, so it serves no backend.
	redirectsToHTTPS bool
}

// routesOf returns the routes of the evidence; none when the Gateway API is not installed.
func routesOf(g *GatewayAPI) []gatewayRoute {
	if !g.Installed {
		return nil
	}
	var routes []gatewayRoute
	for _, r := range g.HTTPRoutes {
		route := newGatewayRoute(kindHTTPRoute, r.ObjectMeta, r.Spec.CommonRouteSpec, r.Spec.Hostnames)
		for i, rule := range r.Spec.Rules {
			rr := routeRule{name: routeRuleName(rule.Name, i)}
			for _, b := range rule.BackendRefs {
				rr.backends = append(rr.backends, b.BackendObjectReference)
			}
			rr.redirectsToHTTPS = slices.ContainsFunc(rule.Filters, func(f gatewayv1.HTTPRouteFilter) bool {
				return f.Type == gatewayv1.HTTPRouteFilterRequestRedirect && f.RequestRedirect != nil &&
					f.RequestRedirect.Scheme != nil && strings.EqualFold(*f.RequestRedirect.Scheme, "https")
			})
			route.rules = append(route.rules, rr)
		}
		routes = append(routes, route)
	}
	for _, r := range g.GRPCRoutes {
		route := newGatewayRoute(kindGRPCRoute, r.ObjectMeta, r.Spec.CommonRouteSpec, r.Spec.Hostnames)
		for i, rule := range r.Spec.Rules {
			rr := routeRule{name: routeRuleName(rule.Name, i)}
			for _, b := range rule.BackendRefs {
				rr.backends = append(rr.backends, b.BackendObjectReference)
			}
			route.rules = append(route.rules, rr)
		}
		routes = append(routes, route)
	}
	for _, r := range g.TLSRoutes {
		route := newGatewayRoute(kindTLSRoute, r.ObjectMeta, r.Spec.CommonRouteSpec, r.Spec.Hostnames)
		for i, rule := range r.Spec.Rules {
			rr := routeRule{name: routeRuleName(rule.Name, i)}
			for _, b := range rule.BackendRefs {
				rr.backends = append(rr.backends, b.BackendObjectReference)
			}
			route.rules = append(route.rules, rr)
		}
		routes = append(routes, route)
	}
	return routes
}

func newGatewayRoute(kind string, meta metav1.ObjectMeta, common gatewayv1.CommonRouteSpec, hostnames []gatewayv1.Hostname) gatewayRoute {
	return gatewayRoute{kind: kind, namespace: meta.Namespace, name: meta.Name,
		parents: common.ParentRefs, defaultGateways: common.UseDefaultGateways, hostnames: hostnames}
}

func routeRuleName(name *gatewayv1.SectionName, i int) string {
	if name != nil && *name != "" {
		return fmt.Sprintf("rule %q", *name)
	}
	return fmt.Sprintf("rules[%d]", i)
}

// routeReach is what the evidence shows of one route that names the asset's Services.
type routeReach struct {
	route gatewayRoute
	// allowed: the route's references to the asset's Services are allowed (not merely
	// not known to be refused).
	allowed bool
	// services are the asset's Services (of those selecting its pods) the route may send
	// traffic to: its references are allowed, or cannot be judged.
	services []string
	// attachments are the listeners of existing parent Gateways that accept the route.
	attachments []attachment
	// undecided say what the evidence cannot judge about the route.
	undecided []string
}

// reachingRoutes returns the routes that may send traffic to a Service selecting the
// asset's pods (from another namespace where a ReferenceGrant allows it, or where that
// cannot be judged), with the listeners that accept them and what cannot be judged. A
// route whose reference cannot be judged but which no listener accepts carries no
// traffic either way, and is left out.
func reachingRoutes(e *Evidence, services map[string]bool) []routeReach {
	var reaches []routeReach
	for _, route := range routesOf(&e.Gateway) {
		allowed, unjudged := reachedServices(e, route, services)
		if len(allowed)+len(unjudged) == 0 {
			continue
		}
		r := routeReach{route: route, allowed: len(allowed) > 0, services: append(allowed, unjudged...)}
		r.attachments, r.undecided = attachments(e, route)
		if len(r.attachments) == 0 && len(r.undecided) == 0 && len(allowed) == 0 {
			continue // whether it may reach the asset or not, it carries no traffic
		}
		if len(allowed) == 0 {
			r.undecided = append(r.undecided, fmt.Sprintf(
				"references Service %s of namespace %q from namespace %q, and ReferenceGrants (gateway.networking.k8s.io/v1) are not served, so whether the reference is allowed cannot be judged",
				strings.Join(quoteNames(unjudged), ", "), assetNamespace(e), route.namespace))
		}
		slices.Sort(r.services)
		r.services = slices.Compact(r.services)
		reaches = append(reaches, r)
	}
	return reaches
}

// reachedServices returns the names of the Services among services (of the asset's
// namespace) that the route's backendRefs name and may reach: allowed (same namespace,
// or a ReferenceGrant allows it), or unjudged: from another namespace while ReferenceGrants
// are not served, so whether it is allowed cannot be judged.
func reachedServices(e *Evidence, route gatewayRoute, services map[string]bool) (allowed, unjudged []string) {
	namespace := assetNamespace(e)
	for _, rule := range route.rules {
		for _, b := range rule.backends {
			if !isServiceRef(b) {
				continue
			}
			ns := route.namespace
			if b.Namespace != nil && *b.Namespace != "" {
				ns = string(*b.Namespace)
			}
			name := string(b.Name)
			switch {
			case ns != namespace || !services[name]:
			case route.namespace == namespace:
				allowed = append(allowed, name)
			case !e.Gateway.ReferenceGrantsServed:
				unjudged = append(unjudged, name)
			case referenceGranted(e.Gateway.ReferenceGrants, namespace, route, name):
				allowed = append(allowed, name)
			}
		}
	}
	slices.Sort(allowed)
	slices.Sort(unjudged)
	return slices.Compact(allowed), slices.Compact(unjudged)
}

// assetNamespace is the namespace of the asset, whose Services the evidence holds.
func assetNamespace(e *Evidence) string {
	if e.Asset == nil {
		return ""
	}
	return e.Asset.Namespace
}

// isServiceRef reports whether a backendRef names a core Service (the defaults).
func isServiceRef(b gatewayv1.BackendObjectReference) bool {
	return (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service")
}

// referenceGranted reports whether a ReferenceGrant of namespace lets the route reference
// the Service named.
func referenceGranted(grants []gatewayv1.ReferenceGrant, namespace string, route gatewayRoute, service string) bool {
	for _, g := range grants {
		if g.Namespace != "" && g.Namespace != namespace {
			continue
		}
		from := slices.ContainsFunc(g.Spec.From, func(f gatewayv1.ReferenceGrantFrom) bool {
			return f.Group == gatewayv1.GroupName && string(f.Kind) == route.kind && string(f.Namespace) == route.namespace
		})
		to := slices.ContainsFunc(g.Spec.To, func(t gatewayv1.ReferenceGrantTo) bool {
			return t.Group == "" && t.Kind == "Service" && (t.Name == nil || *t.Name == "" || string(*t.Name) == service)
		})
		if from && to {
			return true
		}
	}
	return false
}

// attachment is a listener of an existing Gateway that accepts a route.
type attachment struct {
	// gateway is Gateway/namespace/name.
	gateway  string
	listener gatewayv1.Listener
	// hostnames are those through which the listener accepts the route; none means any.
	hostnames []string
}

// attachments returns the listeners of the route's existing parent Gateways that accept
// it, and what the evidence cannot judge about its parents.
func attachments(e *Evidence, route gatewayRoute) ([]attachment, []string) {
	var found []attachment
	var undecided []string
	if route.defaultGateways != "" && route.defaultGateways != gatewayv1.GatewayDefaultScopeNone {
		undecided = append(undecided, fmt.Sprintf("asks for default Gateways (useDefaultGateways: %s), which the evidence does not show", route.defaultGateways))
	}
	for _, p := range route.parents {
		group, kind := gatewayv1.GroupName, kindGateway
		if p.Group != nil {
			group = string(*p.Group)
		}
		if p.Kind != nil {
			kind = string(*p.Kind)
		}
		ns := route.namespace
		if p.Namespace != nil && *p.Namespace != "" {
			ns = string(*p.Namespace)
		}
		switch {
		case group == "" && kind == "Service":
			continue // a mesh (GAMMA) route: traffic inside the cluster, which ENC-03 judges
		case group != gatewayv1.GroupName || kind != kindGateway:
			undecided = append(undecided, fmt.Sprintf("has parent %s %s/%s, which the evidence does not show", gatewayGroupKind(group, kind), ns, p.Name))
			continue
		}
		key := types.NamespacedName{Namespace: ns, Name: string(p.Name)}
		gw := e.Gateway.Gateways[key]
		if gw == nil {
			if e.Offline {
				undecided = append(undecided, fmt.Sprintf("has parent Gateway/%s, which is not among the manifests; audit them together", key))
			}
			continue // a Gateway that does not exist carries no traffic
		}
		for _, l := range gw.Spec.Listeners {
			if p.SectionName != nil && *p.SectionName != "" && l.Name != *p.SectionName {
				continue
			}
			if p.Port != nil && *p.Port != 0 && l.Port != *p.Port {
				continue
			}
			a := attachment{gateway: "Gateway/" + key.String(), listener: l}
			accepts, why := a.accepts(e, route, key.Namespace)
			if why != "" {
				undecided = append(undecided, why)
			}
			if accepts {
				found = append(found, a)
			}
		}
	}
	slices.SortFunc(found, func(a, b attachment) int {
		return strings.Compare(a.gateway+" "+string(a.listener.Name), b.gateway+" "+string(b.listener.Name))
	})
	found = slices.CompactFunc(found, func(a, b attachment) bool {
		return a.gateway == b.gateway && a.listener.Name == b.listener.Name
	})
	return found, undecided
}

func gatewayGroupKind(group, kind string) string {
	if group == "" {
		return kind
	}
	return kind + "." + group
}

// accepts reports whether the listener accepts the route, by allowedRoutes (namespaces
// and kinds) and hostname, setting a.hostnames; or why that cannot be judged.
func (a *attachment) accepts(e *Evidence, route gatewayRoute, gatewayNamespace string) (bool, string) {
	l := a.listener
	where := fmt.Sprintf("listener %q of %s", l.Name, a.gateway)
	var from gatewayv1.FromNamespaces = gatewayv1.NamespacesFromSame
	var selector *metav1.LabelSelector
	var kinds []gatewayv1.RouteGroupKind
	if ar := l.AllowedRoutes; ar != nil {
		kinds = ar.Kinds
		if ar.Namespaces != nil {
			selector = ar.Namespaces.Selector
			if ar.Namespaces.From != nil {
				from = *ar.Namespaces.From
			}
		}
	}
	switch from {
	case gatewayv1.NamespacesFromSame:
		if route.namespace != gatewayNamespace {
			return false, ""
		}
	case gatewayv1.NamespacesFromAll:
	case gatewayv1.NamespacesFromNone:
		return false, ""
	case gatewayv1.NamespacesFromSelector:
		ns := e.Gateway.Namespaces[route.namespace]
		if ns == nil {
			return false, fmt.Sprintf("is in namespace %q, which is not known, and %s admits routes from namespaces by label selector", route.namespace, where)
		}
		matches, err := namespaceSelected(selector, ns)
		if err != nil {
			return false, fmt.Sprintf("may attach to %s, whose allowedRoutes namespace selector is not valid: %v", where, err)
		}
		if !matches {
			return false, ""
		}
	default:
		return false, fmt.Sprintf("may attach to %s, whose allowedRoutes.namespaces.from %q is not known", where, from)
	}
	if len(kinds) > 0 {
		if !slices.ContainsFunc(kinds, func(k gatewayv1.RouteGroupKind) bool {
			return (k.Group == nil || *k.Group == gatewayv1.GroupName) && string(k.Kind) == route.kind
		}) {
			return false, ""
		}
	} else {
		switch l.Protocol {
		case gatewayv1.HTTPProtocolType, gatewayv1.HTTPSProtocolType:
			if route.kind != kindHTTPRoute && route.kind != kindGRPCRoute {
				return false, ""
			}
		case gatewayv1.TLSProtocolType:
			if route.kind != kindTLSRoute {
				return false, ""
			}
		case gatewayv1.TCPProtocolType, gatewayv1.UDPProtocolType:
			return false, ""
		default:
			return false, fmt.Sprintf("may attach to %s, whose protocol %q is implementation-specific, so which routes it accepts cannot be judged", where, l.Protocol)
		}
	}
	listenerHost := ""
	if l.Hostname != nil && hostnameMatching(l.Protocol) {
		listenerHost = string(*l.Hostname)
	}
	hostnames, ok := acceptedHostnames(listenerHost, route.hostnames)
	a.hostnames = hostnames
	return ok, ""
}

// namespaceSelected reports whether a listener's allowedRoutes namespace selector selects ns.
func namespaceSelected(selector *metav1.LabelSelector, ns *corev1.Namespace) (bool, error) {
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false, err
	}
	return s.Matches(labels.Set(ns.Labels)), nil
}

// hostnameMatching reports whether a listener's hostname applies to its protocol.
func hostnameMatching(protocol gatewayv1.ProtocolType) bool {
	switch protocol {
	case gatewayv1.TCPProtocolType, gatewayv1.UDPProtocolType:
		return false
	}
	return true
}

// acceptedHostnames returns, sorted, the hostnames through which a listener with the
// given hostname ("" for any) accepts a route with the given hostnames (none for all the
// listener's): the route's hostnames that intersect the listener's, each the more
// specific of the two; nil when both accept any. ok is false when they do not intersect.
func acceptedHostnames(listener string, route []gatewayv1.Hostname) (hostnames []string, ok bool) {
	switch {
	case listener == "" && len(route) == 0:
		return nil, true
	case len(route) == 0:
		return []string{strings.ToLower(listener)}, true
	}
	for _, h := range route {
		switch host := strings.ToLower(string(h)); {
		case listener == "":
			hostnames = append(hostnames, host)
		default:
			if both := intersectHostnames(strings.ToLower(listener), host); both != "" {
				hostnames = append(hostnames, both)
			}
		}
	}
	slices.Sort(hostnames)
	hostnames = slices.Compact(hostnames)
	return hostnames, len(hostnames) > 0
}

// intersectHostnames returns the more specific of two lower-case hostnames when one
// includes the other, or "". A wildcard "*.example.com" includes every name with one or
// more labels before ".example.com" (the Gateway API's suffix match), not example.com.
func intersectHostnames(a, b string) string {
	switch {
	case a == b:
		return a
	case wildcardIncludes(a, b):
		return b
	case wildcardIncludes(b, a):
		return a
	}
	return ""
}

func wildcardIncludes(wildcard, host string) bool {
	suffix, ok := strings.CutPrefix(wildcard, "*")
	return ok && strings.HasPrefix(suffix, ".") && len(host) > len(suffix) && strings.HasSuffix(host, suffix)
}

// encrypts reports whether traffic of the route through the listener is encrypted, with
// the sentence that says so: an HTTPS listener, a TLS listener (Terminate or Passthrough),
// or a plain HTTP listener through which every rule of an HTTPRoute redirects to https.
func (a attachment) encrypts(route gatewayRoute) (string, bool) {
	l := a.listener
	switch mode := tlsMode(l); {
	case l.Protocol == gatewayv1.HTTPSProtocolType:
		return fmt.Sprintf("attaches to HTTPS listener %q of %s for %s", l.Name, a.gateway, hostnamesText(a.hostnames)), true
	case l.Protocol == gatewayv1.TLSProtocolType && (mode == gatewayv1.TLSModeTerminate || mode == gatewayv1.TLSModePassthrough):
		return fmt.Sprintf("attaches to TLS listener %q (%s) of %s for %s", l.Name, mode, a.gateway, hostnamesText(a.hostnames)), true
	case l.Protocol == gatewayv1.HTTPProtocolType && route.kind == kindHTTPRoute && len(plainRules(route)) == 0:
		return fmt.Sprintf("attaches to plain-HTTP listener %q of %s for %s only to redirect every request to https", l.Name, a.gateway, hostnamesText(a.hostnames)), true
	}
	return "", false
}

// tlsMode is a listener's tls.mode, Terminate (the API's default) when unset.
func tlsMode(l gatewayv1.Listener) gatewayv1.TLSModeType {
	if l.TLS != nil && l.TLS.Mode != nil && *l.TLS.Mode != "" {
		return *l.TLS.Mode
	}
	return gatewayv1.TLSModeTerminate
}

// plainRules names the rules of the route that do not redirect to https.
func plainRules(route gatewayRoute) []string {
	var plain []string
	for _, rule := range route.rules {
		if route.kind != kindHTTPRoute || !rule.redirectsToHTTPS {
			plain = append(plain, rule.name)
		}
	}
	return plain
}

// failure is the finding's message for a listener that carries the route unencrypted.
func (a attachment) failure(route gatewayRoute) string {
	l := a.listener
	protocol := string(l.Protocol)
	if l.Protocol == gatewayv1.TLSProtocolType {
		protocol += ", tls.mode " + string(tlsMode(l))
	}
	what := fmt.Sprintf("attaches to listener %q (%s, port %d) of %s, which serves %s without TLS",
		l.Name, protocol, l.Port, a.gateway, hostnamesText(a.hostnames))
	if l.Protocol == gatewayv1.HTTPProtocolType && route.kind == kindHTTPRoute {
		return fmt.Sprintf("%s (not a RequestRedirect to https: %s); attach the route only to an HTTPS listener (parentRefs sectionName or port), or make every rule a RequestRedirect to scheme https",
			what, strings.Join(plainRules(route), ", "))
	}
	return what + "; attach the route only to an HTTPS or TLS listener (parentRefs sectionName or port)"
}

// hostnamesText names hostnames for a message; none means any hostname.
func hostnamesText(hostnames []string) string {
	switch len(hostnames) {
	case 0:
		return "any hostname"
	case 1:
		return fmt.Sprintf("hostname %q", hostnames[0])
	}
	return "hostnames " + strings.Join(quoteNames(hostnames), ", ")
}

func quoteNames(names []string) []string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return quoted
}
