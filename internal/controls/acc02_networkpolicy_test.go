package controls

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

func TestCheckNetworkIsolation(t *testing.T) {
	ingressOnly := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	eprPods := matchLabels(map[string]string{"app": "epr"})
	frontend := networkingv1.NetworkPolicyPeer{PodSelector: ptr(matchLabels(map[string]string{"app": "epr-frontend"}))}
	allNamespaces := networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}}
	ipBlock := func(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
		return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
	}
	npFailing := func(name string, words ...string) wantFinding {
		return wantFinding{Resource: "NetworkPolicy/" + name, Words: words}
	}
	npAdvisory := func(name string) wantFinding {
		return wantFinding{Resource: "NetworkPolicy/" + name, Level: isms.LevelRecommended, Words: []string{"Deployment/epr-api"}}
	}
	unselected := wantFinding{Resource: "Deployment/epr-api"}

	cases := []struct {
		name      string
		reason    string
		workloads []Workload
		policies  []networkingv1.NetworkPolicy
		want      expect
	}{
		{
			name: "no NetworkPolicy",
			want: fail(unselected),
		},
		{
			name:     "a policy selecting other pods",
			policies: []networkingv1.NetworkPolicy{netpol("billing", matchLabels(map[string]string{"app": "billing"}), ingressOnly)},
			want:     fail(unselected),
		},
		{
			name:     "a policy of policyTypes [Egress] does not restrict ingress",
			policies: []networkingv1.NetworkPolicy{netpol("epr-egress", eprPods, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress})},
			want:     fail(unselected),
		},
		{
			name:     "a properly restricted policy",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api-ingress", eprPods, ingressOnly, from(frontend))},
			want:     pass("Deployment/epr-api", "NetworkPolicy/epr-api-ingress"),
		},
		{
			name:     "a restricted policy with policyTypes [Ingress, Egress]",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api", eprPods, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}, from(frontend))},
			want:     pass("NetworkPolicy/epr-api"),
		},
		{
			name:     "deny all ingress",
			policies: []networkingv1.NetworkPolicy{netpol("default-deny", metav1.LabelSelector{}, ingressOnly)},
			want:     pass("NetworkPolicy/default-deny"),
		},
		{
			name: "selected by matchExpressions",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "component", Operator: metav1.LabelSelectorOpIn, Values: []string{"epr-api", "epr-web"}}}}, ingressOnly, from(frontend))},
			want: pass("NetworkPolicy/epr-api"),
		},
		{
			name:     "from the pods of one labelled namespace",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api", eprPods, ingressOnly, from(networkingv1.NetworkPolicyPeer{NamespaceSelector: ptr(matchLabels(map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}))}))},
			want:     pass("NetworkPolicy/epr-api"),
		},
		{
			name:     "from a private ipBlock",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api", eprPods, ingressOnly, from(ipBlock("10.20.0.0/16")))},
			want:     pass("NetworkPolicy/epr-api"),
		},
		{
			name:     "a rule with no from is open to all",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api-open", eprPods, ingressOnly, networkingv1.NetworkPolicyIngressRule{})},
			want:     fail(npFailing("epr-api-open", "Deployment/epr-api")),
		},
		{
			name: "one open rule among restricted ones",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api", eprPods, ingressOnly,
				from(frontend), networkingv1.NetworkPolicyIngressRule{})},
			want: fail(npFailing("epr-api")),
		},
		{
			name:     "ipBlock 0.0.0.0/0 is open to all",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api-world", eprPods, ingressOnly, from(ipBlock("0.0.0.0/0")))},
			want:     fail(npFailing("epr-api-world")),
		},
		{
			name:     "ipBlock ::/0 is open to all",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api-world6", eprPods, ingressOnly, from(ipBlock("::/0")))},
			want:     fail(npFailing("epr-api-world6")),
		},
		{
			name:     "an empty namespaceSelector without podSelector is an advisory finding",
			reason:   "open to all namespaces: a finding, Recommended-level",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api-cluster", eprPods, ingressOnly, from(allNamespaces))},
			want:     fail(npAdvisory("epr-api-cluster")),
		},
		{
			name: "an empty namespaceSelector with an empty podSelector is an advisory finding",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api-cluster", eprPods, ingressOnly, from(networkingv1.NetworkPolicyPeer{
				NamespaceSelector: &metav1.LabelSelector{}, PodSelector: &metav1.LabelSelector{}}))},
			want: fail(npAdvisory("epr-api-cluster")),
		},
		{
			name: "an empty namespaceSelector with a labelled podSelector is restricted",
			policies: []networkingv1.NetworkPolicy{netpol("epr-api", eprPods, ingressOnly, from(networkingv1.NetworkPolicyPeer{
				NamespaceSelector: &metav1.LabelSelector{}, PodSelector: ptr(matchLabels(map[string]string{"app": "prometheus"}))}))},
			want: pass("NetworkPolicy/epr-api"),
		},
		{
			name:     "an empty podSelector alone admits only the policy's namespace",
			policies: []networkingv1.NetworkPolicy{netpol("same-namespace", eprPods, ingressOnly, from(networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{}}))},
			want:     pass("NetworkPolicy/same-namespace"),
		},
		{
			name:   "an open policy beside a restricted one still opens the pods",
			reason: "NetworkPolicies are additive: any selecting policy's open rule admits everyone",
			policies: []networkingv1.NetworkPolicy{
				netpol("epr-api-ingress", eprPods, ingressOnly, from(frontend)),
				netpol("allow-all", metav1.LabelSelector{}, ingressOnly, networkingv1.NetworkPolicyIngressRule{}),
			},
			want: fail(npFailing("allow-all")),
		},
		{
			name: "an open policy for other pods does not matter",
			policies: []networkingv1.NetworkPolicy{
				netpol("epr-api-ingress", eprPods, ingressOnly, from(frontend)),
				netpol("billing-open", matchLabels(map[string]string{"app": "billing"}), ingressOnly, networkingv1.NetworkPolicyIngressRule{}),
			},
			want: pass("NetworkPolicy/epr-api-ingress"),
		},
		{
			name:      "each workload is judged: only the one no policy selects fails",
			workloads: []Workload{deployment("epr-api"), deployment("epr-worker")},
			policies:  []networkingv1.NetworkPolicy{netpol("epr-api", matchLabels(map[string]string{"component": "epr-api"}), ingressOnly, from(frontend))},
			want: expect{
				findings: []wantFinding{{Resource: "Deployment/epr-worker"}},
				passed:   []string{"Deployment/epr-api"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			workloads := tc.workloads
			if workloads == nil {
				workloads = []Workload{deployment("epr-api")}
			}
			e := newEvidence(func(e *Evidence) {
				e.Workloads = workloads
				e.NetworkPolicies = tc.policies
			})
			assertOutcome(t, checkNetworkIsolation(e), tc.want)
		})
	}
}
