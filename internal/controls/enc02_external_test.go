package controls

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// TestEvaluateExternalTLS runs ENC-02 through Evaluate: what reaches the asset through
// Ingresses, Gateway API routes and exposed Services together decides its status.
func TestEvaluateExternalTLS(t *testing.T) {
	const host = "records.trust.nhs.uk"
	plainIngress := ingress("epr", nil, rule(host, "epr-web"))
	tlsIngress := ingress("epr", []networkingv1.IngressTLS{tls(host)}, rule(host, "epr-web"))
	// ungranted is a route of another namespace whose reference cannot be judged: the
	// cluster does not serve ReferenceGrants.
	ungranted := func(g *GatewayAPI) {
		g.ReferenceGrantsServed = false
		g.HTTPRoutes = []gatewayv1.HTTPRoute{httpRoute("shared", "epr-web", []gatewayv1.ParentReference{infraGateway("")}, []string{host},
			forward(serviceRef(testNamespace, "epr-web")))}
	}
	type summary struct {
		Status    Status
		Resources []string
		Passed    []string
		Reason    string
	}
	cases := []struct {
		name      string
		reason    string
		ingresses []networkingv1.Ingress
		services  []corev1.Service
		gateway   func(*GatewayAPI)
		want      summary
	}{
		{
			name: "nothing reaches the asset, the Gateway API installed",
			want: summary{Status: StatusPass, Passed: []string{
				"nothing reaches the asset from outside the cluster: no Ingress, Gateway API route, LoadBalancer or NodePort Service leads to its pods"}},
		},
		{
			name:    "nothing reaches the asset, the Gateway API not installed",
			gateway: func(g *GatewayAPI) { *g = GatewayAPI{} },
			want: summary{Status: StatusPass, Passed: []string{
				"nothing reaches the asset from outside the cluster: no Ingress, LoadBalancer or NodePort Service leads to its pods (the Gateway API is not installed)"}},
		},
		{
			name:      "an Ingress with TLS: the evidence names it, not the absence of a way in",
			ingresses: []networkingv1.Ingress{tlsIngress},
			want:      summary{Status: StatusPass, Passed: []string{`Ingress/epr serves the asset over TLS for host "records.trust.nhs.uk"`}},
		},
		{
			name: "a route no listener accepts: the asset is still reached by nothing",
			gateway: func(g *GatewayAPI) {
				g.HTTPRoutes = []gatewayv1.HTTPRoute{httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{parentRef(gatewayNamespace, "gone", "")}, []string{host}, forward(serviceRef("", "epr-web")))}
			},
			want: summary{Status: StatusPass, Passed: []string{
				"HTTPRoute/epr/epr-web sends to a Service selecting the asset's pods, but no listener of an existing parent Gateway accepts it, so it carries no traffic",
				"nothing reaches the asset from outside the cluster: no Ingress, Gateway API route, LoadBalancer or NodePort Service leads to its pods",
			}},
		},
		{
			name:    "a route that cannot be judged and nothing failing: NotEvaluated, never Pass",
			gateway: ungranted,
			want: summary{Status: StatusNotEvaluated, Reason: `not evaluated: HTTPRoute/shared/epr-web references Service "epr-web" of namespace "epr" from namespace "shared", ` +
				"and ReferenceGrants (gateway.networking.k8s.io/v1) are not served, so whether the reference is allowed cannot be judged"},
		},
		{
			name:      "a passing Ingress and a route that cannot be judged: NotEvaluated",
			reason:    "the Ingress passes, but the route may carry the asset's traffic in plaintext",
			ingresses: []networkingv1.Ingress{tlsIngress},
			gateway:   ungranted,
			want: summary{Status: StatusNotEvaluated, Reason: `not evaluated: HTTPRoute/shared/epr-web references Service "epr-web" of namespace "epr" from namespace "shared", ` +
				"and ReferenceGrants (gateway.networking.k8s.io/v1) are not served, so whether the reference is allowed cannot be judged"},
		},
		{
			name:      "a route that cannot be judged does not hide a failing Ingress",
			reason:    "the Ingress fails whatever the route does; the route is listed beside it",
			ingresses: []networkingv1.Ingress{plainIngress},
			gateway:   ungranted,
			want:      summary{Status: StatusFail, Resources: []string{"HTTPRoute/shared/epr-web", "Ingress/epr"}},
		},
		{
			name:      "Ingress, route and exposed Service each fail on their own",
			ingresses: []networkingv1.Ingress{plainIngress},
			services:  []corev1.Service{exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", ""))},
			gateway: func(g *GatewayAPI) {
				g.HTTPRoutes = []gatewayv1.HTTPRoute{httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("")}, []string{host}, forward(serviceRef("", "epr-web")))}
			},
			want: summary{Status: StatusFail, Resources: []string{"HTTPRoute/epr/epr-web", "Ingress/epr", "Service/epr-lb"}},
		},
		{
			name:      "Ingress, route and attested Service all pass",
			ingresses: []networkingv1.Ingress{tlsIngress},
			services: []corev1.Service{func() corev1.Service {
				svc := exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", ""))
				svc.Annotations = map[string]string{AnnotationTLSTerminated: "true"}
				return svc
			}()},
			gateway: func(g *GatewayAPI) {
				g.HTTPRoutes = []gatewayv1.HTTPRoute{httpRoute(testNamespace, "epr-web", []gatewayv1.ParentReference{infraGateway("https")}, []string{host}, forward(serviceRef("", "epr-web")))}
			},
			want: summary{Status: StatusPass, Passed: []string{
				`HTTPRoute/epr/epr-web attaches to HTTPS listener "https" of Gateway/infra/public for hostname "records.trust.nhs.uk"`,
				`Ingress/epr serves the asset over TLS for host "records.trust.nhs.uk"`,
				"Service/epr-lb (LoadBalancer) terminates TLS at the load balancer (attested)",
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-web")}
				e.Services = append([]corev1.Service{service("epr-web", map[string]string{"app": "epr"})}, tc.services...)
				e.Ingresses = tc.ingresses
				e.Gateway = gatewayAPI(gatewayIn(gatewayNamespace, "public", httpListener(""), httpsListener("")))
				if tc.gateway != nil {
					tc.gateway(&e.Gateway)
				}
			})
			var got summary
			for _, r := range Evaluate(e).Results {
				if r.Control != isms.ControlIngressTLS {
					continue
				}
				got = summary{Status: r.Status, Passed: r.Passed, Reason: r.Reason}
				for _, f := range r.Findings {
					got.Resources = append(got.Resources, f.Resource)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ENC-02 (-want +got):\n%s", diff)
			}
		})
	}
}
