package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestCheckMeshMTLS(t *testing.T) {
	injected := map[string]string{"istio-injection": "enabled"}
	strictNS := PeerAuthentication{Namespace: testNamespace, Name: "default", Created: daysAgo(100), Mode: "STRICT"}
	permissiveNS := PeerAuthentication{Namespace: testNamespace, Name: "default", Created: daysAgo(100), Mode: "PERMISSIVE"}
	strictMesh := PeerAuthentication{Namespace: "istio-system", Name: "default", Created: daysAgo(200), Mode: "STRICT"}
	forAPI := func(name, mode string, ports map[uint32]string) PeerAuthentication {
		return PeerAuthentication{Namespace: testNamespace, Name: name, Created: daysAgo(50),
			Selector: map[string]string{"component": "epr-api"}, Mode: mode, PortModes: ports}
	}
	api := func(mutate ...func(*corev1.PodTemplateSpec)) []Workload {
		return []Workload{deployment("epr-api", mutate...)}
	}
	apiFailing := func(words ...string) wantFinding { return wantFinding{Resource: "Deployment/epr-api", Words: words} }

	cases := []struct {
		name      string
		reason    string
		namespace *corev1.Namespace
		workloads []Workload
		mesh      Mesh
		want      expect
	}{
		{
			name:      "Istio namespace injection and namespace STRICT",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want:      pass("Deployment/epr-api", "STRICT"),
		},
		{
			name:      "Istio revision label on the namespace and namespace STRICT",
			namespace: namespace(map[string]string{"istio.io/rev": "1-24"}, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "Istio pod label sidecar.istio.io/inject and namespace STRICT",
			namespace: namespace(nil, nil),
			workloads: api(podLabels(map[string]string{"sidecar.istio.io/inject": "true"})),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "Istio ambient namespace and namespace STRICT",
			namespace: namespace(map[string]string{"istio.io/dataplane-mode": "ambient"}, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "mesh-wide STRICT in istio-system",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictMesh}},
			want:      pass("Deployment/epr-api", "STRICT"),
		},
		{
			name:      "mesh-wide STRICT in a configured root namespace",
			namespace: namespace(injected, nil),
			mesh: Mesh{IstioInstalled: true, IstioRootNamespace: "istio-config", PeerAuthentications: []PeerAuthentication{
				{Namespace: "istio-config", Name: "default", Created: daysAgo(200), Mode: "STRICT"}}},
			want: pass("Deployment/epr-api"),
		},
		{
			name:      "STRICT in istio-system is not mesh-wide when the root namespace is another",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true, IstioRootNamespace: "istio-config", PeerAuthentications: []PeerAuthentication{strictMesh}},
			want:      fail(apiFailing("PERMISSIVE")),
		},
		{
			name:      "Istio injected but no PeerAuthentication: Istio's default is PERMISSIVE",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true},
			want:      fail(apiFailing("PERMISSIVE")),
		},
		{
			name:      "namespace PERMISSIVE",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictMesh, permissiveNS}},
			want:      fail(apiFailing("PERMISSIVE")),
		},
		{
			name:      "workload PERMISSIVE overrides namespace STRICT",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS, forAPI("epr-api", "PERMISSIVE", nil)}},
			want:      fail(apiFailing("PERMISSIVE")),
		},
		{
			name:      "workload DISABLE overrides mesh-wide STRICT",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictMesh, forAPI("epr-api", "DISABLE", nil)}},
			want:      fail(apiFailing("DISABLE")),
		},
		{
			name:      "workload STRICT overrides namespace PERMISSIVE",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{permissiveNS, forAPI("epr-api", "STRICT", nil)}},
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "a workload policy selecting other pods does not apply",
			namespace: namespace(injected, nil),
			mesh: Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS,
				{Namespace: testNamespace, Name: "billing", Created: daysAgo(10), Selector: map[string]string{"app": "billing"}, Mode: "DISABLE"}}},
			want: pass("Deployment/epr-api"),
		},
		{
			name:      "port-level PERMISSIVE fails naming the port",
			namespace: namespace(injected, nil),
			mesh: Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS,
				forAPI("epr-api-metrics", "STRICT", map[uint32]string{8080: "PERMISSIVE"})}},
			want: fail(apiFailing("8080", "PERMISSIVE")),
		},
		{
			name:      "port-level DISABLE under an inherited namespace STRICT fails naming the port",
			namespace: namespace(injected, nil),
			mesh: Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS,
				forAPI("epr-api-metrics", "UNSET", map[uint32]string{9090: "DISABLE"})}},
			want: fail(apiFailing("9090", "DISABLE")),
		},
		{
			name:      "port-level STRICT keeps the workload strict",
			namespace: namespace(injected, nil),
			mesh: Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS,
				forAPI("epr-api-metrics", "STRICT", map[uint32]string{8080: "STRICT"})}},
			want: pass("Deployment/epr-api"),
		},
		{
			name:      "pods labelled for Istio but the PeerAuthentication CRD is not installed",
			reason:    "a CRD that is not installed is no evidence: fail with the reason",
			namespace: namespace(injected, nil),
			mesh:      Mesh{IstioInstalled: false},
			want:      fail(apiFailing("PeerAuthentication", "not installed")),
		},
		{
			name:      "Istio injection disabled on the pod",
			namespace: namespace(injected, nil),
			workloads: api(podLabels(map[string]string{"sidecar.istio.io/inject": "false"})),
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want:      fail(apiFailing()),
		},
		{
			name:      "Linkerd injected on the namespace with no default inbound policy",
			reason:    "Linkerd's default inbound policy is all-unauthenticated, which accepts plaintext",
			namespace: namespace(nil, map[string]string{"linkerd.io/inject": "enabled"}),
			want:      fail(apiFailing("Linkerd", "all-unauthenticated")),
		},
		{
			name:      "Linkerd injected on the pod with no default inbound policy",
			workloads: api(podAnnotations(map[string]string{"linkerd.io/inject": "enabled"})),
			want:      fail(apiFailing("Linkerd", "all-unauthenticated")),
		},
		{
			name:      "Linkerd with all-unauthenticated set explicitly",
			namespace: namespace(nil, map[string]string{"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-unauthenticated"}),
			want:      fail(apiFailing("all-unauthenticated")),
		},
		{
			name:      "Linkerd with all-authenticated on the namespace",
			namespace: namespace(nil, map[string]string{"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-authenticated"}),
			want:      pass("Deployment/epr-api", "all-authenticated"),
		},
		{
			name:      "Linkerd with cluster-authenticated on the pod",
			workloads: api(podAnnotations(map[string]string{"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "cluster-authenticated"})),
			want:      pass("Deployment/epr-api", "cluster-authenticated"),
		},
		{
			name:      "Linkerd with deny",
			namespace: namespace(nil, map[string]string{"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny"}),
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "Linkerd authenticated policy without injection",
			reason:    "a policy annotation does not put the pods in the mesh",
			namespace: namespace(nil, map[string]string{"config.linkerd.io/default-inbound-policy": "all-authenticated"}),
			want:      fail(apiFailing()),
		},
		{
			name:      "Linkerd injection disabled on the pod in an injected namespace",
			namespace: namespace(nil, map[string]string{"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-authenticated"}),
			workloads: api(podAnnotations(map[string]string{"linkerd.io/inject": "disabled"})),
			want:      fail(apiFailing()),
		},
		{
			name:      "namespace attested with isms.nhs.uk/encrypted-in-transit",
			namespace: namespace(nil, map[string]string{"isms.nhs.uk/encrypted-in-transit": "true"}),
			want:      expect{passed: []string{"attested"}, notPassed: []string{"observed"}},
		},
		{
			name:      "attestation other than \"true\"",
			namespace: namespace(nil, map[string]string{"isms.nhs.uk/encrypted-in-transit": "wireguard"}),
			want:      fail(apiFailing()),
		},
		{
			name:      "no mesh",
			namespace: namespace(nil, nil),
			want:      fail(apiFailing()),
		},
		{
			name:      "namespace not known and no mesh",
			namespace: nil,
			want:      fail(apiFailing()),
		},
		{
			name:      "each workload is judged: only the one outside the mesh fails",
			namespace: namespace(injected, nil),
			workloads: []Workload{deployment("epr-api"), deployment("epr-batch", podLabels(map[string]string{"sidecar.istio.io/inject": "false"}))},
			mesh:      Mesh{IstioInstalled: true, PeerAuthentications: []PeerAuthentication{strictNS}},
			want: expect{
				findings: []wantFinding{{Resource: "Deployment/epr-batch"}},
				passed:   []string{"Deployment/epr-api"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			workloads := tc.workloads
			if workloads == nil {
				workloads = api()
			}
			e := newEvidence(func(e *Evidence) {
				e.Namespace = tc.namespace
				e.Workloads = workloads
				e.Mesh = tc.mesh
			})
			assertOutcome(t, checkMeshMTLS(e), tc.want)
		})
	}
}
