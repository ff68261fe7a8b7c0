package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestCheckExternalTLSExposedServices(t *testing.T) {
	attested := func(svc corev1.Service, value string) corev1.Service {
		svc.Annotations = map[string]string{AnnotationTLSTerminated: value}
		return svc
	}
	serviceFailing := func(name string, words ...string) wantFinding {
		return wantFinding{Resource: "Service/" + name, Words: words}
	}
	cases := []struct {
		name     string
		reason   string
		services []corev1.Service
		want     expect
	}{
		{
			name:     "LoadBalancer Service on port 80 fails",
			services: []corev1.Service{exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", ""))},
			want:     fail(serviceFailing("epr-lb", "LoadBalancer", `80/TCP (name "http")`, AnnotationTLSTerminated)),
		},
		{
			name:     "NodePort Service with appProtocol https passes",
			services: []corev1.Service{exposedService("epr-np", corev1.ServiceTypeNodePort, servicePort(443, "web", "https"))},
			want:     pass(`Service/epr-np (NodePort) shows TLS on every port: 443/TCP (name "web", appProtocol "https") (observed)`),
		},
		{
			name:     "attested LoadBalancer Service passes, as attested",
			services: []corev1.Service{attested(exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", "")), "true")},
			want:     expect{passed: []string{"Service/epr-lb (LoadBalancer) terminates TLS at the load balancer (attested)"}, notPassed: []string{"observed"}},
		},
		{
			name:     "an attestation other than \"true\" is none",
			services: []corev1.Service{attested(exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", "")), "yes")},
			want:     fail(serviceFailing("epr-lb", "80/TCP")),
		},
		{
			name:     "ClusterIP Service is ignored",
			services: []corev1.Service{exposedService("epr-internal", corev1.ServiceTypeClusterIP, servicePort(80, "http", ""))},
			want:     expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Service/epr-internal"}},
		},
		{
			name:     "Service of unset type (ClusterIP) is ignored",
			services: []corev1.Service{exposedService("epr-internal", "", servicePort(80, "http", ""))},
			want:     expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Service/epr-internal"}},
		},
		{
			name: "LoadBalancer Service not selecting the asset's pods is ignored",
			services: []corev1.Service{func() corev1.Service {
				svc := exposedService("billing-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", ""))
				svc.Spec.Selector = map[string]string{"app": "billing"}
				return svc
			}()},
			want: expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Service/billing-lb"}},
		},
		{
			name:   "LoadBalancer Service without a selector is ignored",
			reason: "its endpoints are managed by hand, not the asset's pods",
			services: []corev1.Service{func() corev1.Service {
				svc := exposedService("manual-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", ""))
				svc.Spec.Selector = nil
				return svc
			}()},
			want: expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Service/manual-lb"}},
		},
		{
			name: "one port without TLS fails the Service, naming only that port",
			services: []corev1.Service{exposedService("epr-lb", corev1.ServiceTypeLoadBalancer,
				servicePort(443, "https", ""), servicePort(8080, "metrics", ""))},
			want: fail(serviceFailing("epr-lb", `port 8080/TCP (name "metrics");`)),
		},
		{
			name:     "ports named tls and https-something show TLS",
			services: []corev1.Service{exposedService("epr-np", corev1.ServiceTypeNodePort, servicePort(443, "https-web", ""), servicePort(5432, "tls", ""))},
			want:     pass(`Service/epr-np (NodePort) shows TLS on every port: 443/TCP (name "https-web"), 5432/TCP (name "tls") (observed)`),
		},
		{
			name:     "appProtocol TLS shows TLS, case aside",
			services: []corev1.Service{exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(5432, "db", "TLS"))},
			want:     pass("Service/epr-lb (LoadBalancer) shows TLS on every port"),
		},
		{
			name:     "appProtocol kubernetes.io/h2c is not TLS",
			services: []corev1.Service{exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(8080, "grpc", "kubernetes.io/h2c"))},
			want:     fail(serviceFailing("epr-lb", `appProtocol "kubernetes.io/h2c"`)),
		},
		{
			name:     "a port name that merely contains https is not enough",
			services: []corev1.Service{exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(8080, "nohttps", ""))},
			want:     fail(serviceFailing("epr-lb", "nohttps")),
		},
		{
			name: "each exposed Service is its own finding",
			services: []corev1.Service{
				exposedService("epr-lb", corev1.ServiceTypeLoadBalancer, servicePort(80, "http", "")),
				exposedService("epr-np", corev1.ServiceTypeNodePort, servicePort(8080, "", "")),
			},
			want: fail(serviceFailing("epr-lb", "LoadBalancer", "80/TCP"), serviceFailing("epr-np", "NodePort", "port 8080/TCP;")),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-web")}
				e.Services = tc.services
			})
			assertOutcome(t, checkExternalTLS(e), tc.want)
		})
	}
}
