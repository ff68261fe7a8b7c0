package controls

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestCheckExternalTLSGatewayAPI(t *testing.T) {
	const host = "records.trust.nhs.uk"
	hosts := []string{host}
	web := serviceRef("", "epr-web")
	// public is the Gateway infra/public with a plain HTTP and an HTTPS listener, both
	// admitting routes from every namespace, for any hostname.
	public := func(listeners ...gatewayv1.Listener) *gatewayv1.Gateway {
		return gatewayIn(gatewayNamespace, "public", listeners...)
	}
	both := public(httpListener(""), httpsListener(""))
	route := func(rules ...gatewayv1.HTTPRouteRule) gatewayv1.HTTPRoute {
		return httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("")}, hosts, rules...)
	}
	withRoutes := func(g GatewayAPI, routes ...gatewayv1.HTTPRoute) GatewayAPI {
		g.HTTPRoutes = routes
		return g
	}
	const ref = "HTTPRoute/epr/epr-web"
	routeFailing := func(words ...string) wantFinding { return wantFinding{Resource: ref, Words: words} }
	noTraffic := ref + " sends to a Service selecting the asset's pods, but no listener of an existing parent Gateway accepts it"
	crossNamespace := httpRoute("shared", "epr-web", []gatewayv1.ParentReference{infraGateway("")}, hosts, forward(serviceRef(testNamespace, "epr-web")))
	selector := func(kv map[string]string) *metav1.LabelSelector { return &metav1.LabelSelector{MatchLabels: kv} }

	cases := []struct {
		name    string
		reason  string
		offline bool
		gateway GatewayAPI
		want    expect
	}{
		{
			name:    "HTTPRoute on a plain HTTP listener fails, naming the Gateway, listener and hostnames",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), route(forward(web))),
			want:    fail(routeFailing("Gateway/infra/public", `listener "http"`, `"records.trust.nhs.uk"`, "rules[0]", "RequestRedirect")),
		},
		{
			name:    "HTTPRoute on an HTTPS listener passes",
			gateway: withRoutes(gatewayAPI(public(httpsListener(""))), route(forward(web))),
			want:    pass(ref + ` attaches to HTTPS listener "https" of Gateway/infra/public for hostname "records.trust.nhs.uk"`),
		},
		{
			name:    "a route without hostnames on a listener without one is served for any hostname",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("")}, nil, forward(web))),
			want:    fail(routeFailing("any hostname")),
		},
		{
			name:    "plain HTTP listener through which every rule redirects to https passes",
			reason:  "the v1 CRD refuses backendRefs beside a RequestRedirect, but manifests may hold them; the redirect answers every request the rule matches",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), route(redirect("https", web), redirect("https", serviceRef("", "epr-api")))),
			want:    pass(ref + ` attaches to plain-HTTP listener "http" of Gateway/infra/public for hostname "records.trust.nhs.uk" only to redirect every request to https`),
		},
		{
			name:    "a redirect to scheme http is not a redirect to https",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), route(redirect("http", web))),
			want:    fail(routeFailing(`listener "http"`, "rules[0]")),
		},
		{
			name:   "mixed rules on a plain HTTP listener fail, naming the rule that serves a backend",
			reason: "rules[0] redirects, rules[1] serves the asset in plaintext",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))),
				route(redirect("https"), forward(web))),
			want: fail(routeFailing(`listener "http"`, "rules[1]")),
		},
		{
			name:   "the usual pair: a redirect-only route on the HTTP listener, the serving route on the HTTPS one",
			reason: "the redirect route names no backend, so it is not the asset's; sectionName keeps the serving route off the HTTP listener",
			gateway: withRoutes(gatewayAPI(both),
				httpRoute(testNamespace, "redirect", []gatewayv1.ParentReference{infraGateway("http")}, hosts, redirect("https")),
				httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("https")}, hosts, forward(web))),
			want: expect{passed: []string{ref + ` attaches to HTTPS listener "https"`}, notPassed: []string{`listener "http"`, "HTTPRoute/epr/redirect"}},
		},
		{
			name:    "sectionName selects the HTTPS listener of a Gateway that also has an HTTP one",
			gateway: withRoutes(gatewayAPI(both), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("https")}, hosts, forward(web))),
			want:    expect{passed: []string{ref + ` attaches to HTTPS listener "https"`}, notPassed: []string{`listener "http"`}},
		},
		{
			name:    "without sectionName the route attaches to every listener and fails on the HTTP one",
			gateway: withRoutes(gatewayAPI(both), route(forward(web))),
			want:    fail(routeFailing(`listener "http"`, "port 80")),
		},
		{
			name: "port selects the HTTPS listener",
			gateway: withRoutes(gatewayAPI(both), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{func() gatewayv1.ParentReference {
				p := infraGateway("")
				p.Port = ptr(gatewayv1.PortNumber(443))
				return p
			}()}, hosts, forward(web))),
			want: expect{passed: []string{ref + ` attaches to HTTPS listener "https"`}, notPassed: []string{`listener "http"`}},
		},
		{
			name: "port selects the HTTP listener",
			gateway: withRoutes(gatewayAPI(both), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{func() gatewayv1.ParentReference {
				p := infraGateway("")
				p.Port = ptr(gatewayv1.PortNumber(80))
				return p
			}()}, hosts, forward(web))),
			want: fail(routeFailing(`listener "http"`)),
		},
		{
			name:    "sectionName of a listener that does not exist: nothing accepts the route",
			gateway: withRoutes(gatewayAPI(both), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("admin")}, hosts, forward(web))),
			want:    pass(noTraffic),
		},
		{
			name:    "a plain HTTP listener for another hostname does not accept the route",
			gateway: withRoutes(gatewayAPI(public(httpListener("portal.trust.nhs.uk"), httpsListener(host))), route(forward(web))),
			want:    expect{passed: []string{ref + ` attaches to HTTPS listener "https"`}, notPassed: []string{`listener "http"`}},
		},
		{
			name:    "a route without hostnames takes the listener's",
			gateway: withRoutes(gatewayAPI(public(httpListener(host))), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("")}, nil, forward(web))),
			want:    fail(routeFailing(`hostname "records.trust.nhs.uk"`)),
		},
		{
			name:    "a wildcard listener hostname matches more than one label",
			reason:  "the Gateway API's wildcard is a suffix match, unlike an Ingress TLS host",
			gateway: withRoutes(gatewayAPI(public(httpListener("*.trust.nhs.uk"))), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("")}, []string{"epr.records.trust.nhs.uk"}, forward(web))),
			want:    fail(routeFailing(`"epr.records.trust.nhs.uk"`)),
		},
		{
			name:    "a wildcard listener hostname does not match the bare domain",
			gateway: withRoutes(gatewayAPI(public(httpListener("*.trust.nhs.uk"), httpsListener(""))), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("")}, []string{"trust.nhs.uk"}, forward(web))),
			want:    expect{passed: []string{ref + ` attaches to HTTPS listener "https" of Gateway/infra/public for hostname "trust.nhs.uk"`}, notPassed: []string{`listener "http"`}},
		},
		{
			name:    "a wildcard route hostname meets an exact listener hostname at the listener's",
			gateway: withRoutes(gatewayAPI(public(httpListener(host))), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("")}, []string{"*.trust.nhs.uk"}, forward(web))),
			want:    fail(routeFailing(`hostname "records.trust.nhs.uk"`)),
		},
		{
			name:    "allowedRoutes Same (the default): a route of another namespace does not attach",
			gateway: withRoutes(gatewayAPI(public(httpListener("", routesFrom("", nil)))), route(forward(web))),
			want:    pass(noTraffic),
		},
		{
			name:    "allowedRoutes Same: a route of the Gateway's namespace attaches",
			gateway: withRoutes(gatewayAPI(gatewayIn(testNamespace, "local", httpListener("", routesFrom(gatewayv1.NamespacesFromSame, nil)))), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{parentRef("", "local", "")}, hosts, forward(web))),
			want:    fail(routeFailing("Gateway/epr/local", `listener "http"`)),
		},
		{
			name:    "allowedRoutes All: a route of any namespace attaches",
			gateway: withRoutes(gatewayAPI(public(httpListener("", routesFrom(gatewayv1.NamespacesFromAll, nil)))), route(forward(web))),
			want:    fail(routeFailing("Gateway/infra/public")),
		},
		{
			name:    "allowedRoutes Selector matching the route's namespace labels",
			gateway: withRoutes(gatewayAPI(public(httpListener("", routesFrom(gatewayv1.NamespacesFromSelector, selector(map[string]string{"kubernetes.io/metadata.name": testNamespace}))))), route(forward(web))),
			want:    fail(routeFailing("Gateway/infra/public")),
		},
		{
			name:    "allowedRoutes Selector not matching the route's namespace",
			gateway: withRoutes(gatewayAPI(public(httpListener("", routesFrom(gatewayv1.NamespacesFromSelector, selector(map[string]string{"team": "shared"}))))), route(forward(web))),
			want:    pass(noTraffic),
		},
		{
			name: "allowedRoutes Selector with the route's namespace not known cannot be judged",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener("", routesFrom(gatewayv1.NamespacesFromSelector, selector(map[string]string{"team": "shared"}))))), route(forward(web)))
				delete(g.Namespaces, testNamespace)
				return g
			}(),
			want: undecided(ref, `namespace "epr"`, "not known", `listener "http" of Gateway/infra/public`),
		},
		{
			name:    "allowedRoutes.kinds without HTTPRoute refuses it",
			gateway: withRoutes(gatewayAPI(public(httpListener("", routeKinds(kindGRPCRoute)))), route(forward(web))),
			want:    pass(noTraffic),
		},
		{
			name:    "allowedRoutes.kinds naming HTTPRoute on a TCP listener accepts it, without TLS",
			gateway: withRoutes(gatewayAPI(public(listener("raw", gatewayv1.TCPProtocolType, 8080, "", routeKinds(kindHTTPRoute)))), route(forward(web))),
			want:    fail(routeFailing(`listener "raw" (TCP, port 8080)`, "HTTPS or TLS listener")),
		},
		{
			name:    "a TLS listener does not accept an HTTPRoute by default",
			gateway: withRoutes(gatewayAPI(public(tlsListener("", gatewayv1.TLSModePassthrough))), route(forward(web))),
			want:    pass(noTraffic),
		},
		{
			name:    "a listener of an implementation-specific protocol cannot be judged",
			gateway: withRoutes(gatewayAPI(public(listener("quic", "example.com/QUIC", 443, ""))), route(forward(web))),
			want:    undecided(ref, `"example.com/QUIC"`),
		},
		{
			name: "cross-namespace route with a ReferenceGrant counts",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener(""))), crossNamespace)
				g.ReferenceGrants = []gatewayv1.ReferenceGrant{referenceGrant(kindHTTPRoute, "shared", "")}
				return g
			}(),
			want: fail(wantFinding{Resource: "HTTPRoute/shared/epr-web", Words: []string{"Gateway/infra/public"}}),
		},
		{
			name: "cross-namespace route with a ReferenceGrant naming the Service counts",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener(""))), crossNamespace)
				g.ReferenceGrants = []gatewayv1.ReferenceGrant{referenceGrant(kindHTTPRoute, "shared", "epr-web")}
				return g
			}(),
			want: fail(wantFinding{Resource: "HTTPRoute/shared/epr-web", Words: []string{"Gateway/infra/public"}}),
		},
		{
			name:    "cross-namespace route without a ReferenceGrant does not count",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), crossNamespace),
			want:    expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"HTTPRoute/shared/epr-web"}},
		},
		{
			name:   "ReferenceGrants for another kind, namespace or Service do not count",
			reason: "each grant misses one of from kind, from namespace and to name",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener(""))), crossNamespace)
				g.ReferenceGrants = []gatewayv1.ReferenceGrant{
					referenceGrant(kindGRPCRoute, "shared", ""),
					referenceGrant(kindHTTPRoute, "billing", ""),
					referenceGrant(kindHTTPRoute, "shared", "epr-api"),
				}
				return g
			}(),
			want: expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"HTTPRoute/shared/epr-web"}},
		},
		{
			name: "ReferenceGrants not served: a cross-namespace route cannot be judged",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener(""))), crossNamespace)
				g.ReferenceGrantsServed = false
				return g
			}(),
			want: undecided("HTTPRoute/shared/epr-web", "ReferenceGrants", `"epr-web"`),
		},
		{
			name:   "ReferenceGrants not served: a cross-namespace route on an HTTPS listener cannot be judged either",
			reason: "never a pass on a reference the evidence cannot judge",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpsListener(""))), crossNamespace)
				g.ReferenceGrantsServed = false
				return g
			}(),
			want: undecided("HTTPRoute/shared/epr-web", "ReferenceGrants"),
		},
		{
			name: "ReferenceGrants not served: a route of the asset's namespace is judged as usual",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener(""))), route(forward(web)))
				g.ReferenceGrantsServed = false
				return g
			}(),
			want: fail(routeFailing(`listener "http"`)),
		},
		{
			name:    "a parent Gateway that does not exist is ignored",
			gateway: withRoutes(gatewayAPI(), route(forward(web))),
			want:    expect{passed: []string{noTraffic, "nothing reaches the asset"}},
		},
		{
			name:    "offline, a parent Gateway not among the manifests cannot be judged",
			offline: true,
			gateway: withRoutes(gatewayAPI(), route(forward(web))),
			want:    undecided(ref, "Gateway/infra/public", "not among the manifests"),
		},
		{
			name: "a mesh parent (a Service) is not a way in from outside the cluster",
			gateway: withRoutes(gatewayAPI(both), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{{
				Group: ptr(gatewayv1.Group("")), Kind: ptr(gatewayv1.Kind("Service")), Name: "epr-web"}}, hosts, forward(web))),
			want: pass(noTraffic),
		},
		{
			name: "a ListenerSet parent cannot be judged",
			gateway: withRoutes(gatewayAPI(both), httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{{
				Kind: ptr(gatewayv1.Kind("ListenerSet")), Name: "extra"}}, hosts, forward(web))),
			want: undecided(ref, "ListenerSet.gateway.networking.k8s.io epr/extra"),
		},
		{
			name: "a route asking for default Gateways cannot be judged",
			gateway: func() GatewayAPI {
				r := route(forward(web))
				r.Spec.UseDefaultGateways = gatewayv1.GatewayDefaultScopeAll
				return withRoutes(gatewayAPI(public(httpsListener(""))), r)
			}(),
			want: undecided(ref, "useDefaultGateways: All"),
		},
		{
			name:   "a plain listener fails even where another listener cannot be judged",
			reason: "the known failure decides the control; what cannot be judged is listed beside it",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener(""), listener("quic", "example.com/QUIC", 443, ""))), route(forward(web)))
				return g
			}(),
			want: fail(routeFailing(`listener "http"`), routeFailing("cannot be judged", "example.com/QUIC")),
		},
		{
			name: "GRPCRoute on an HTTPS listener passes",
			gateway: func() GatewayAPI {
				g := gatewayAPI(public(httpsListener("")))
				g.GRPCRoutes = []gatewayv1.GRPCRoute{grpcRoute(testNamespace, "epr-api", []gatewayv1.ParentReference{infraGateway("")}, hosts, web)}
				return g
			}(),
			want: pass(`GRPCRoute/epr/epr-api attaches to HTTPS listener "https" of Gateway/infra/public`),
		},
		{
			name: "GRPCRoute on a plain HTTP listener fails",
			gateway: func() GatewayAPI {
				g := gatewayAPI(public(httpListener("")))
				g.GRPCRoutes = []gatewayv1.GRPCRoute{grpcRoute(testNamespace, "epr-api", []gatewayv1.ParentReference{infraGateway("")}, hosts, web)}
				return g
			}(),
			want: fail(wantFinding{Resource: "GRPCRoute/epr/epr-api", Words: []string{`listener "http"`, "HTTPS or TLS listener"}}),
		},
		{
			name: "TLSRoute on a TLS Passthrough listener passes",
			gateway: func() GatewayAPI {
				g := gatewayAPI(public(tlsListener("", gatewayv1.TLSModePassthrough)))
				g.TLSRoutes = []gatewayv1.TLSRoute{tlsRoute(testNamespace, "epr-db", []gatewayv1.ParentReference{infraGateway("")}, hosts, web)}
				return g
			}(),
			want: pass(`TLSRoute/epr/epr-db attaches to TLS listener "tls" (Passthrough) of Gateway/infra/public for hostname "records.trust.nhs.uk"`),
		},
		{
			name: "TLSRoute on a TLS Terminate listener passes",
			gateway: func() GatewayAPI {
				g := gatewayAPI(public(tlsListener("", gatewayv1.TLSModeTerminate)))
				g.TLSRoutes = []gatewayv1.TLSRoute{tlsRoute(testNamespace, "epr-db", []gatewayv1.ParentReference{infraGateway("")}, hosts, web)}
				return g
			}(),
			want: pass(`TLSRoute/epr/epr-db attaches to TLS listener "tls" (Terminate)`),
		},
		{
			name: "TLSRoute on a TLS listener of an unknown mode fails",
			gateway: func() GatewayAPI {
				g := gatewayAPI(public(tlsListener("", "Mirror")))
				g.TLSRoutes = []gatewayv1.TLSRoute{tlsRoute(testNamespace, "epr-db", []gatewayv1.ParentReference{infraGateway("")}, hosts, web)}
				return g
			}(),
			want: fail(wantFinding{Resource: "TLSRoute/epr/epr-db", Words: []string{"tls.mode Mirror"}}),
		},
		{
			name:    "a route to a Service not selecting the asset's pods is ignored",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), route(forward(serviceRef("", "billing")))),
			want:    expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{ref}},
		},
		{
			name:    "a route to a Service of that name in another namespace is ignored",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), route(forward(serviceRef("billing", "epr-web")))),
			want:    expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{ref}},
		},
		{
			name: "a backendRef of another kind is ignored",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))), route(forward(func() gatewayv1.BackendObjectReference {
				b := web
				b.Group, b.Kind = ptr(gatewayv1.Group("multicluster.x-k8s.io")), ptr(gatewayv1.Kind("ServiceImport"))
				return b
			}()))),
			want: expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{ref}},
		},
		{
			name:   "one backendRef reaching the asset is enough to judge the route",
			reason: "the route's other rule sends to billing",
			gateway: withRoutes(gatewayAPI(public(httpListener(""))),
				route(forward(serviceRef("", "billing")), forward(serviceRef("", "epr-api")))),
			want: fail(routeFailing(`listener "http"`, "rules[0], rules[1]")),
		},
		{
			name: "the Gateway API not installed: routes are not read",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public(httpListener(""))), route(forward(web)))
				g.Installed = false
				return g
			}(),
			want: expect{passed: []string{"(the Gateway API is not installed)"}, notPassed: []string{ref}},
		},
		{
			name:   "each route and listener is its own finding",
			reason: "the route of the asset's namespace fails on both plain listeners of two Gateways; the other passes",
			gateway: func() GatewayAPI {
				g := gatewayAPI(public(httpListener(""), httpsListener("")), gatewayIn(gatewayNamespace, "internal", listener("web", gatewayv1.HTTPProtocolType, 8080, "")))
				g.HTTPRoutes = []gatewayv1.HTTPRoute{
					httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway(""), parentRef(gatewayNamespace, "internal", "")}, hosts, forward(web)),
					httpRoute(testNamespace, "epr-api", []gatewayv1.ParentReference{infraGateway("https")}, []string{"api.trust.nhs.uk"}, forward(serviceRef("", "epr-api"))),
				}
				return g
			}(),
			want: expect{
				findings: []wantFinding{routeFailing("Gateway/infra/public", `listener "http"`), routeFailing("Gateway/infra/internal", `listener "web"`)},
				passed:   []string{`HTTPRoute/epr/epr-api attaches to HTTPS listener "https" of Gateway/infra/public for hostname "api.trust.nhs.uk"`},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api"), deployment("epr-web")}
				e.Services = []corev1.Service{
					service("epr-web", map[string]string{"app": "epr"}),
					service("epr-api", map[string]string{"app": "epr", "component": "epr-api"}),
					service("billing", map[string]string{"app": "billing"}),
				}
				e.Gateway = tc.gateway
				e.Offline = tc.offline
			})
			assertOutcome(t, checkExternalTLS(e), tc.want)
		})
	}
}

func TestAcceptedHostnames(t *testing.T) {
	type result struct {
		Hostnames []string
		OK        bool
	}
	cases := []struct {
		name     string
		listener string
		route    []string
		want     result
	}{
		{"neither names a hostname: any", "", nil, result{nil, true}},
		{"the route's hostnames on a listener for any", "", []string{"b.example.com", "a.example.com"}, result{[]string{"a.example.com", "b.example.com"}, true}},
		{"the listener's hostname for a route naming none", "a.example.com", nil, result{[]string{"a.example.com"}, true}},
		{"equal hostnames, case aside", "A.example.com", []string{"a.EXAMPLE.com"}, result{[]string{"a.example.com"}, true}},
		{"different hostnames do not meet", "a.example.com", []string{"b.example.com"}, result{nil, false}},
		{"a wildcard listener takes one label", "*.example.com", []string{"a.example.com"}, result{[]string{"a.example.com"}, true}},
		{"a wildcard listener takes several labels", "*.example.com", []string{"a.b.example.com"}, result{[]string{"a.b.example.com"}, true}},
		{"a wildcard listener does not take the bare domain", "*.example.com", []string{"example.com"}, result{nil, false}},
		{"a wildcard listener does not take another domain", "*.example.com", []string{"a.example.net"}, result{nil, false}},
		{"a wildcard route meets an exact listener at the listener's", "a.example.com", []string{"*.example.com"}, result{[]string{"a.example.com"}, true}},
		{"a narrower wildcard inside a wider one", "*.example.com", []string{"*.a.example.com"}, result{[]string{"*.a.example.com"}, true}},
		{"route hostnames the listener does not match are left out", "*.example.com", []string{"a.example.net", "a.example.com"}, result{[]string{"a.example.com"}, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var route []gatewayv1.Hostname
			for _, h := range tc.route {
				route = append(route, gatewayv1.Hostname(h))
			}
			hostnames, ok := acceptedHostnames(tc.listener, route)
			if diff := cmp.Diff(tc.want, result{hostnames, ok}); diff != "" {
				t.Errorf("acceptedHostnames(%q, %q) (-want +got):\n%s", tc.listener, tc.route, diff)
			}
		})
	}
}
