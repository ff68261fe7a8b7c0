package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestCheckIngressTLS(t *testing.T) {
	// epr-web selects the asset's pods; billing selects other pods; manual has no selector.
	services := []corev1.Service{
		service("epr-web", map[string]string{"app": "epr"}),
		service("epr-api", map[string]string{"app": "epr", "component": "epr-api"}),
		service("billing", map[string]string{"app": "billing"}),
		service("manual", nil),
	}
	withDefaultBackend := func(ing networkingv1.Ingress, svc string) networkingv1.Ingress {
		b := backend(svc)
		ing.Spec.DefaultBackend = &b
		return ing
	}
	ingressFailing := func(name string, words ...string) wantFinding {
		return wantFinding{Resource: "Ingress/" + name, Words: words}
	}

	cases := []struct {
		name      string
		reason    string
		ingresses []networkingv1.Ingress
		want      expect
	}{
		{
			name:      "host covered by spec.tls",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("records.trust.nhs.uk")}, rule("records.trust.nhs.uk", "epr-web"))},
			want:      expect{passed: []string{`Ingress/epr serves the asset over TLS for host "records.trust.nhs.uk"`}, notPassed: []string{"nothing reaches"}},
		},
		{
			name:      "host not in spec.tls",
			ingresses: []networkingv1.Ingress{ingress("epr", nil, rule("records.trust.nhs.uk", "epr-web"))},
			want:      fail(ingressFailing("epr", "records.trust.nhs.uk")),
		},
		{
			name: "one of two hosts not covered",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("records.trust.nhs.uk")},
				rule("records.trust.nhs.uk", "epr-web"), rule("records-admin.trust.nhs.uk", "epr-api"))},
			want: fail(ingressFailing("epr", "records-admin.trust.nhs.uk")),
		},
		{
			name: "TLS entry for another host does not cover",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("portal.trust.nhs.uk")},
				rule("records.trust.nhs.uk", "epr-web"))},
			want: fail(ingressFailing("epr", "records.trust.nhs.uk")),
		},
		{
			name:      "rule without host and a TLS entry with no hosts",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls()}, rule("", "epr-web"))},
			want:      pass("Ingress/epr serves the asset over TLS for a rule without a host"),
		},
		{
			name:      "rule without host and only TLS entries with hosts",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("records.trust.nhs.uk")}, rule("", "epr-web"))},
			want:      fail(ingressFailing("epr")),
		},
		{
			name:      "rule without host and no TLS",
			ingresses: []networkingv1.Ingress{ingress("epr", nil, rule("", "epr-web"))},
			want:      fail(ingressFailing("epr")),
		},
		{
			name:      "a TLS entry with no hosts does not cover a named host",
			reason:    "every rule's host must appear in some spec.tls[].hosts",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls()}, rule("records.trust.nhs.uk", "epr-web"))},
			want:      fail(ingressFailing("epr", "records.trust.nhs.uk")),
		},
		{
			name:      "wildcard TLS host covers one label",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("*.trust.nhs.uk")}, rule("records.trust.nhs.uk", "epr-web"))},
			want:      pass("Ingress/epr"),
		},
		{
			name:      "wildcard TLS host does not cover two labels",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("*.trust.nhs.uk")}, rule("epr.records.trust.nhs.uk", "epr-web"))},
			want:      fail(ingressFailing("epr", "epr.records.trust.nhs.uk")),
		},
		{
			name:      "wildcard TLS host does not cover the bare domain",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("*.trust.nhs.uk")}, rule("trust.nhs.uk", "epr-web"))},
			want:      fail(ingressFailing("epr", "trust.nhs.uk")),
		},
		{
			name:      "wildcard TLS host of another domain does not cover",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("*.other.nhs.uk")}, rule("records.trust.nhs.uk", "epr-web"))},
			want:      fail(ingressFailing("epr", "records.trust.nhs.uk")),
		},
		{
			name:      "Ingress routing to a Service that does not select the asset's pods is ignored",
			ingresses: []networkingv1.Ingress{ingress("billing", nil, rule("billing.trust.nhs.uk", "billing"))},
			want:      expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Ingress/billing"}},
		},
		{
			name:      "Ingress routing to a Service without a selector is ignored",
			ingresses: []networkingv1.Ingress{ingress("manual", nil, rule("manual.trust.nhs.uk", "manual"))},
			want:      expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Ingress/manual"}},
		},
		{
			name:      "Ingress routing to a Service that does not exist is ignored",
			ingresses: []networkingv1.Ingress{ingress("gone", nil, rule("gone.trust.nhs.uk", "gone"))},
			want:      expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Ingress/gone"}},
		},
		{
			name:   "only the rules that reach the asset are judged",
			reason: "billing.trust.nhs.uk routes elsewhere, so its missing TLS is not the asset's",
			ingresses: []networkingv1.Ingress{ingress("shared", []networkingv1.IngressTLS{tls("records.trust.nhs.uk")},
				rule("billing.trust.nhs.uk", "billing"), rule("records.trust.nhs.uk", "epr-web"))},
			want: expect{passed: []string{`Ingress/shared serves the asset over TLS for host "records.trust.nhs.uk"`}, notPassed: []string{"billing.trust.nhs.uk"}},
		},
		{
			name: "one path of a rule reaching the asset is enough to judge the rule",
			ingresses: []networkingv1.Ingress{ingress("shared", nil,
				rule("portal.trust.nhs.uk", "billing", "epr-api"))},
			want: fail(ingressFailing("shared", "portal.trust.nhs.uk")),
		},
		{
			name:      "default backend to the asset without TLS",
			ingresses: []networkingv1.Ingress{withDefaultBackend(ingress("epr-default", nil), "epr-web")},
			want:      fail(ingressFailing("epr-default")),
		},
		{
			name:      "default backend to the asset with a TLS entry with no hosts",
			ingresses: []networkingv1.Ingress{withDefaultBackend(ingress("epr-default", []networkingv1.IngressTLS{tls()}), "epr-web")},
			want:      pass("Ingress/epr-default serves the asset over TLS for the default backend"),
		},
		{
			name: "every covered host is named, sorted",
			ingresses: []networkingv1.Ingress{ingress("epr", []networkingv1.IngressTLS{tls("records.trust.nhs.uk"), tls()},
				rule("records.trust.nhs.uk", "epr-web"), rule("", "epr-api"))},
			want: pass(`Ingress/epr serves the asset over TLS for a rule without a host, host "records.trust.nhs.uk"`),
		},
		{
			name:      "default backend to another Service is ignored",
			ingresses: []networkingv1.Ingress{withDefaultBackend(ingress("billing-default", nil), "billing")},
			want:      expect{passed: []string{"nothing reaches the asset"}, notPassed: []string{"Ingress/billing-default"}},
		},
		{
			name: "each Ingress is its own finding",
			ingresses: []networkingv1.Ingress{
				ingress("epr-public", nil, rule("records.trust.nhs.uk", "epr-web")),
				ingress("epr-admin", nil, rule("records-admin.trust.nhs.uk", "epr-api")),
				ingress("epr-ok", []networkingv1.IngressTLS{tls("ok.trust.nhs.uk")}, rule("ok.trust.nhs.uk", "epr-web")),
			},
			want: expect{
				findings: []wantFinding{
					ingressFailing("epr-public", "records.trust.nhs.uk"),
					ingressFailing("epr-admin", "records-admin.trust.nhs.uk"),
				},
				passed: []string{`Ingress/epr-ok serves the asset over TLS for host "ok.trust.nhs.uk"`},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api"), deployment("epr-web")}
				e.Services = services
				e.Ingresses = tc.ingresses
			})
			assertOutcome(t, checkExternalTLS(e), tc.want)
		})
	}
}
