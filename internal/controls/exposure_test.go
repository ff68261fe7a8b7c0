package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

func TestExposed(t *testing.T) {
	db := Workload{Kind: "StatefulSet", Name: "db", Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db"}}}}
	api := Workload{Kind: "Deployment", Name: "api", Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}}}}
	service := func(name, app string, serviceType corev1.ServiceType) corev1.Service {
		return corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": app}, Type: serviceType}}
	}
	ingressTo := func(svc string) networkingv1.Ingress {
		return networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: networkingv1.IngressSpec{
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc}}}}
	}
	on := func(resource string) []isms.Finding { return []isms.Finding{{Resource: resource}} }
	cases := []struct {
		name      string
		services  []corev1.Service
		ingresses []networkingv1.Ingress
		findings  []isms.Finding
		want      bool
	}{
		{"ClusterIP only", []corev1.Service{service("db", "db", corev1.ServiceTypeClusterIP)}, nil, on("StatefulSet/db"), false},
		{"LoadBalancer selects the failing workload", []corev1.Service{service("db", "db", corev1.ServiceTypeLoadBalancer)}, nil, on("StatefulSet/db"), true},
		{"NodePort selects the failing workload", []corev1.Service{service("db", "db", corev1.ServiceTypeNodePort)}, nil, on("StatefulSet/db"), true},
		{"an Ingress routes to a Service of the failing workload", []corev1.Service{service("api", "api", corev1.ServiceTypeClusterIP)}, []networkingv1.Ingress{ingressTo("api")}, on("Deployment/api"), true},
		{"another workload is exposed, not the failing one", []corev1.Service{service("api", "api", corev1.ServiceTypeLoadBalancer)}, nil, on("StatefulSet/db"), false},
		{"a claim of an asset with an exposed workload", []corev1.Service{service("api", "api", corev1.ServiceTypeLoadBalancer)}, nil, on("PersistentVolumeClaim/data"), true},
		{"a claim of an asset with nothing exposed", nil, nil, on("PersistentVolumeClaim/data"), false},
		{"an Ingress is exposed by definition", nil, nil, on("Ingress/web"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &Evidence{Workloads: []Workload{api, db}, Services: tc.services, Ingresses: tc.ingresses}
			if got := Exposed(e, tc.findings); got != tc.want {
				t.Errorf("Exposed = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExposedThroughGatewayRoutes(t *testing.T) {
	db := Workload{Kind: "StatefulSet", Name: "db", Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db"}}}}
	api := Workload{Kind: "Deployment", Name: "api", Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}}}}
	services := []corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: testNamespace}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "api"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: testNamespace}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "db"}}},
	}
	public := gatewayIn(gatewayNamespace, "public", httpsListener(""))
	routeTo := func(namespace, svc string) gatewayv1.HTTPRoute {
		return httpRoute(namespace, "web", []gatewayv1.ParentReference{infraGateway("")}, nil, forward(serviceRef(testNamespace, svc)))
	}
	withRoutes := func(g GatewayAPI, routes ...gatewayv1.HTTPRoute) GatewayAPI {
		g.HTTPRoutes = routes
		return g
	}
	on := func(resource string) []isms.Finding { return []isms.Finding{{Resource: resource}} }
	cases := []struct {
		name     string
		reason   string
		gateway  GatewayAPI
		findings []isms.Finding
		want     bool
	}{
		{
			name:     "a route attached to a Gateway reaches a Service of the failing workload",
			gateway:  withRoutes(gatewayAPI(public), routeTo(testNamespace, "api")),
			findings: on("Deployment/api"), want: true,
		},
		{
			name:     "a route reaches another workload, not the failing one",
			gateway:  withRoutes(gatewayAPI(public), routeTo(testNamespace, "api")),
			findings: on("StatefulSet/db"), want: false,
		},
		{
			name:     "a claim of an asset a route reaches",
			gateway:  withRoutes(gatewayAPI(public), routeTo(testNamespace, "db")),
			findings: on("PersistentVolumeClaim/data"), want: true,
		},
		{
			name:     "a route whose parent Gateway does not exist carries no traffic",
			gateway:  withRoutes(gatewayAPI(), routeTo(testNamespace, "api")),
			findings: on("Deployment/api"), want: false,
		},
		{
			name:     "a route of another namespace without a ReferenceGrant does not reach",
			gateway:  withRoutes(gatewayAPI(public), routeTo("shared", "api")),
			findings: on("Deployment/api"), want: false,
		},
		{
			name:   "a route of another namespace whose reference cannot be judged counts",
			reason: "exposure only raises the likelihood of a risk already found",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public), routeTo("shared", "api"))
				g.ReferenceGrantsServed = false
				return g
			}(),
			findings: on("Deployment/api"), want: true,
		},
		{
			name: "the Gateway API not installed",
			gateway: func() GatewayAPI {
				g := withRoutes(gatewayAPI(public), routeTo(testNamespace, "api"))
				g.Installed = false
				return g
			}(),
			findings: on("Deployment/api"), want: false,
		},
		{name: "an HTTPRoute is exposed by definition", findings: on("HTTPRoute/epr/web"), want: true},
		{name: "a GRPCRoute is exposed by definition", findings: on("GRPCRoute/epr/web"), want: true},
		{name: "a TLSRoute is exposed by definition", findings: on("TLSRoute/epr/web"), want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{api, db}
				e.Services = services
				e.Gateway = tc.gateway
			})
			if got := Exposed(e, tc.findings); got != tc.want {
				t.Errorf("Exposed = %v, want %v", got, tc.want)
			}
		})
	}
}
