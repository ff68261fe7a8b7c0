package controls

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// TestIstioMembership: one row per case of Istio's documented injection policy
// ("Controlling the injection policy", istio.io/latest/docs/setup/additional-setup/
// sidecar-injection/: the label tables, "if either label is disabled the pod is not
// injected, if either is enabled it is, if neither is set it is not", istio-injection
// taking precedence over istio.io/rev), the injector webhooks' selectors that implement it
// (Istio's chart, mutatingwebhook.yaml), the injector's own rules (label over legacy
// annotation, host network), and ambient mode (istio.io/dataplane-mode).
func TestIstioMembership(t *testing.T) {
	labels := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	hostNetwork := podSpec(func(s *corev1.PodSpec) { s.HostNetwork = true })

	cases := []struct {
		name      string
		namespace map[string]string
		pod       map[string]string
		mutate    []func(*corev1.PodTemplateSpec)
		// in is whether the pods are in Istio's mesh; words must appear in how (in) or in
		// whyNot (not in; none means no Istio label says anything).
		in    bool
		words []string
	}{
		// The label table: namespace istio-injection, pod sidecar.istio.io/inject.
		{name: "namespace istio-injection=enabled", namespace: labels("istio-injection", "enabled"),
			in: true, words: []string{"sidecar injected", "namespace label istio-injection=enabled"}},
		{name: "namespace istio-injection=disabled", namespace: labels("istio-injection", "disabled"),
			words: []string{"istio-injection=disabled"}},
		{name: "pod sidecar.istio.io/inject=true in an unlabelled namespace", pod: labels("sidecar.istio.io/inject", "true"),
			in: true, words: []string{"pod label sidecar.istio.io/inject=true"}},
		{name: "pod sidecar.istio.io/inject=false in an unlabelled namespace", pod: labels("sidecar.istio.io/inject", "false"),
			words: []string{"sidecar.istio.io/inject=false"}},

		// The revision table: istio.io/rev enables, istio-injection=disabled and
		// sidecar.istio.io/inject=false disable.
		{name: "namespace istio.io/rev=canary", namespace: labels("istio.io/rev", "canary"),
			in: true, words: []string{"namespace label istio.io/rev=canary"}},
		{name: "pod istio.io/rev=canary in an unlabelled namespace", pod: labels("istio.io/rev", "canary"),
			in: true, words: []string{"pod label istio.io/rev=canary"}},
		{name: "namespace istio.io/rev=canary, pod sidecar.istio.io/inject=false", namespace: labels("istio.io/rev", "canary"), pod: labels("sidecar.istio.io/inject", "false"),
			words: []string{"sidecar.istio.io/inject=false", "istio.io/rev=canary"}},
		{name: "namespace istio-injection=disabled, pod istio.io/rev=canary", namespace: labels("istio-injection", "disabled"), pod: labels("istio.io/rev", "canary"),
			words: []string{"istio-injection=disabled"}},
		{name: "namespace istio.io/rev=canary, pod istio.io/rev=stable", namespace: labels("istio.io/rev", "canary"), pod: labels("istio.io/rev", "stable"),
			in: true, words: []string{"istio.io/rev"}},

		// Both namespace labels: istio-injection takes precedence.
		{name: "namespace istio-injection=enabled and istio.io/rev=canary", namespace: labels("istio-injection", "enabled", "istio.io/rev", "canary"),
			in: true, words: []string{"istio-injection=enabled"}},
		{name: "namespace istio-injection=disabled and istio.io/rev=canary", namespace: labels("istio-injection", "disabled", "istio.io/rev", "canary"),
			words: []string{"istio-injection=disabled"}},

		// "If either label is disabled, the pod is not injected."
		{name: "namespace enabled, pod sidecar.istio.io/inject=false", namespace: labels("istio-injection", "enabled"), pod: labels("sidecar.istio.io/inject", "false"),
			words: []string{"pod label sidecar.istio.io/inject=false", "istio-injection=enabled"}},
		{name: "namespace disabled, pod sidecar.istio.io/inject=true", namespace: labels("istio-injection", "disabled"), pod: labels("sidecar.istio.io/inject", "true"),
			words: []string{"istio-injection=disabled"}},

		// "If either label is enabled, the pod is injected."
		{name: "namespace enabled, pod sidecar.istio.io/inject=true", namespace: labels("istio-injection", "enabled"), pod: labels("sidecar.istio.io/inject", "true"),
			in: true, words: []string{"istio-injection=enabled"}},
		{name: "namespace istio.io/rev, pod sidecar.istio.io/inject=true", namespace: labels("istio.io/rev", "canary"), pod: labels("sidecar.istio.io/inject", "true"),
			in: true, words: []string{"istio.io/rev=canary"}},

		// "If neither label is set, the pod is not injected" (enableNamespacesByDefault is off).
		{name: "no Istio label at all", in: false},
		{name: "namespace istio-injection with a value that is neither enabled nor disabled", namespace: labels("istio-injection", "true"),
			words: []string{"istio-injection=true", "neither enabled nor disabled"}},

		// The legacy annotation sidecar.istio.io/inject: the label takes precedence.
		{name: "namespace enabled, pod annotation sidecar.istio.io/inject=false", namespace: labels("istio-injection", "enabled"),
			mutate: []func(*corev1.PodTemplateSpec){podAnnotations(map[string]string{"sidecar.istio.io/inject": "false"})},
			words:  []string{"pod annotation sidecar.istio.io/inject=false"}},
		{name: "unlabelled namespace, pod annotation sidecar.istio.io/inject=true alone",
			mutate: []func(*corev1.PodTemplateSpec){podAnnotations(map[string]string{"sidecar.istio.io/inject": "true"})},
			words:  []string{"annotation", "alone does not inject"}},
		{name: "namespace enabled, pod label true over annotation false", namespace: labels("istio-injection", "enabled"), pod: labels("sidecar.istio.io/inject", "true"),
			mutate: []func(*corev1.PodTemplateSpec){podAnnotations(map[string]string{"sidecar.istio.io/inject": "false"})},
			in:     true, words: []string{"istio-injection=enabled"}},
		{name: "unlabelled namespace, pod label true over annotation false", pod: labels("sidecar.istio.io/inject", "true"),
			mutate: []func(*corev1.PodTemplateSpec){podAnnotations(map[string]string{"sidecar.istio.io/inject": "false"})},
			in:     true, words: []string{"pod label sidecar.istio.io/inject=true"}},
		{name: "namespace enabled, pod label false over annotation true", namespace: labels("istio-injection", "enabled"), pod: labels("sidecar.istio.io/inject", "false"),
			mutate: []func(*corev1.PodTemplateSpec){podAnnotations(map[string]string{"sidecar.istio.io/inject": "true"})},
			words:  []string{"pod label sidecar.istio.io/inject=false"}},
		{name: "namespace enabled, pod label with a value the injector does not read as true", namespace: labels("istio-injection", "enabled"), pod: labels("sidecar.istio.io/inject", "no"),
			words: []string{"pod label sidecar.istio.io/inject=no"}},

		// The injector's own rules.
		{name: "namespace enabled, pods on the host network", namespace: labels("istio-injection", "enabled"),
			mutate: []func(*corev1.PodTemplateSpec){hostNetwork}, words: []string{"host network"}},

		// Ambient mode.
		{name: "namespace istio.io/dataplane-mode=ambient", namespace: labels("istio.io/dataplane-mode", "ambient"),
			in: true, words: []string{"ambient mode", "namespace label istio.io/dataplane-mode=ambient"}},
		{name: "ambient namespace, pod istio.io/dataplane-mode=none", namespace: labels("istio.io/dataplane-mode", "ambient"), pod: labels("istio.io/dataplane-mode", "none"),
			words: []string{"istio.io/dataplane-mode=none"}},
		{name: "pod istio.io/dataplane-mode=ambient in an unlabelled namespace", pod: labels("istio.io/dataplane-mode", "ambient"),
			in: true, words: []string{"ambient mode", "pod label istio.io/dataplane-mode=ambient"}},
		{name: "ambient namespace, pods on the host network", namespace: labels("istio.io/dataplane-mode", "ambient"),
			mutate: []func(*corev1.PodTemplateSpec){hostNetwork}, words: []string{"host network", "ambient"}},
		{name: "ambient namespace and a sidecar: the sidecar", namespace: labels("istio.io/dataplane-mode", "ambient", "istio-injection", "enabled"),
			in: true, words: []string{"sidecar injected"}},
		{name: "ambient namespace, pod opted out of ambient and of injection", namespace: labels("istio.io/dataplane-mode", "ambient", "istio-injection", "enabled"),
			pod: labels("istio.io/dataplane-mode", "none", "sidecar.istio.io/inject", "false"), words: []string{"istio.io/dataplane-mode=none", "sidecar.istio.io/inject=false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := deployment("epr-api", append([]func(*corev1.PodTemplateSpec){podLabels(tc.pod)}, tc.mutate...)...)
			e := newEvidence(func(e *Evidence) {
				e.Namespace = namespace(tc.namespace, nil)
				e.Workloads = []Workload{w}
			})
			in, how, whyNot := istioMembership(e, w)
			if in != tc.in {
				t.Fatalf("in = %v, want %v (how %q, why not %q)", in, tc.in, how, whyNot)
			}
			said := how
			if !in {
				said = whyNot
			}
			if len(tc.words) == 0 && said != "" {
				t.Errorf("said %q, want nothing: no Istio label applies", said)
			}
			for _, word := range tc.words {
				if !strings.Contains(said, word) {
					t.Errorf("said %q, want it to mention %q", said, word)
				}
			}
		})
	}
}

// TestMeshMTLSMessages pins ENC-03's sentences: a pass names the mesh, how the pods are in
// it, the mode and the policy; a workload Istio leaves out says why.
func TestMeshMTLSMessages(t *testing.T) {
	strictNS := PeerAuthentication{Namespace: testNamespace, Name: "default", Created: daysAgo(100), Mode: "STRICT"}
	strictMesh := PeerAuthentication{Namespace: "istio-system", Name: "mesh-strict", Created: daysAgo(200), Mode: "STRICT"}
	cases := []struct {
		name      string
		namespace map[string]string
		workload  Workload
		mesh      Mesh
		want      outcome
	}{
		{
			name:      "sidecar by namespace label, STRICT in the namespace",
			namespace: map[string]string{"istio-injection": "enabled"},
			workload:  deployment("epr-api"),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want: outcome{passed: []string{"Deployment/epr-api: Istio enforces mutual TLS (mode STRICT from PeerAuthentication epr/default) on the pods, " +
				"which are in its mesh with a sidecar injected (namespace label istio-injection=enabled)"}},
		},
		{
			name:      "ambient namespace, STRICT mesh-wide",
			namespace: map[string]string{"istio.io/dataplane-mode": "ambient"},
			workload:  deployment("epr-api"),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictMesh}},
			want: outcome{passed: []string{"Deployment/epr-api: Istio enforces mutual TLS (mode STRICT from PeerAuthentication istio-system/mesh-strict) on the pods, " +
				"which are in its mesh in ambient mode (namespace label istio.io/dataplane-mode=ambient)"}},
		},
		{
			name:      "opted out of an enabled namespace",
			namespace: map[string]string{"istio-injection": "enabled"},
			workload:  deployment("epr-batch", podLabels(map[string]string{"sidecar.istio.io/inject": "false"})),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want: outcome{findings: []isms.Finding{{Resource: "Deployment/epr-batch", Message: "the pods are not in Istio's mesh: the pod label sidecar.istio.io/inject=false " +
				"opts the pods out of Istio sidecar injection, which the namespace label istio-injection=enabled would give them"}}},
		},
		{
			name:     "no mesh at all",
			workload: deployment("epr-api"),
			want: outcome{findings: []isms.Finding{{Resource: "Deployment/epr-api", Message: "pods are in no service mesh that enforces mutual TLS " +
				"(Istio STRICT or Linkerd with an authenticated default inbound policy), and the namespace is not attested with isms.nhs.uk/encrypted-in-transit"}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) {
				e.Namespace = namespace(tc.namespace, nil)
				e.Workloads = []Workload{tc.workload}
				e.Mesh = tc.mesh
			})
			if diff := cmp.Diff(tc.want, checkMeshMTLS(e), cmp.AllowUnexported(outcome{})); diff != "" {
				t.Errorf("checkMeshMTLS (-want +got):\n%s", diff)
			}
		})
	}
}
