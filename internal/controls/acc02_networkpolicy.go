package controls

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// checkNetworkIsolation is ACC-02: every workload's pods are selected by a NetworkPolicy
// that restricts ingress, and no selecting policy has a rule open to all sources. A rule
// open to all namespaces is an advisory finding.
func checkNetworkIsolation(e *Evidence) outcome {
	var out outcome
	// Parse each policy's selector once, not once per workload: parsing validates labels
	// with regular expressions.
	var governing []networkingv1.NetworkPolicy
	var selectors []labels.Selector
	for _, np := range e.NetworkPolicies {
		if selector, ok := ingressSelector(&np); ok {
			governing, selectors = append(governing, np), append(selectors, selector)
		}
	}
	for _, w := range e.Workloads {
		var selecting []string
		for i, np := range governing {
			if !selectors[i].Matches(labels.Set(w.Template.Labels)) {
				continue
			}
			ref := "NetworkPolicy/" + np.Name
			selecting = append(selecting, ref)
			for i, rule := range np.Spec.Ingress {
				switch openness(rule) {
				case openToAll:
					out.findings = append(out.findings, isms.Finding{Resource: ref,
						Message: fmt.Sprintf("ingress rule %d admits traffic from any source to %s; name the pods or namespaces that need access in from", i, w.Ref())})
				case openToAllNamespaces:
					out.findings = append(out.findings, isms.Finding{Resource: ref, Level: isms.LevelRecommended,
						Message: fmt.Sprintf("ingress rule %d admits traffic from every pod in every namespace to %s; add a podSelector or a namespaceSelector with labels", i, w.Ref())})
				}
			}
		}
		if len(selecting) == 0 {
			out.findings = append(out.findings, isms.Finding{Resource: w.Ref(),
				Message: "no NetworkPolicy with policyTypes Ingress selects the pods, so they accept traffic from anywhere; add one that admits only the clients that need them"})
			continue
		}
		out.passed = append(out.passed, fmt.Sprintf("%s: ingress restricted by %s", w.Ref(), strings.Join(selecting, ", ")))
	}
	return out
}

// ingressSelector returns the selector of the pods whose ingress np governs, and false
// when np does not govern ingress or its selector is invalid.
func ingressSelector(np *networkingv1.NetworkPolicy) (labels.Selector, bool) {
	// Without policyTypes, a policy governs ingress always (and egress if it has egress rules).
	if len(np.Spec.PolicyTypes) > 0 && !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
		return nil, false
	}
	selector, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	return selector, err == nil
}

type ruleOpenness int

const (
	restricted ruleOpenness = iota
	openToAllNamespaces
	openToAll
)

// openness classifies an ingress rule by the widest source it admits.
func openness(rule networkingv1.NetworkPolicyIngressRule) ruleOpenness {
	if len(rule.From) == 0 {
		return openToAll
	}
	widest := restricted
	for _, peer := range rule.From {
		switch {
		case peer.IPBlock != nil && (peer.IPBlock.CIDR == "0.0.0.0/0" || peer.IPBlock.CIDR == "::/0") && len(peer.IPBlock.Except) == 0:
			return openToAll
		case peer.NamespaceSelector != nil && isEmpty(peer.NamespaceSelector) && (peer.PodSelector == nil || isEmpty(peer.PodSelector)):
			widest = openToAllNamespaces
		}
	}
	return widest
}

func isEmpty(s *metav1.LabelSelector) bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}
