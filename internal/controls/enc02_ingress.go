package controls

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// ingresses judges the Ingresses (networking.k8s.io/v1) of the asset's namespace: every
// host that routes to a Service selecting the asset's pods is covered by the Ingress's
// spec.tls; a rule with no host (or the default backend) needs a TLS entry with no hosts.
func (c *transitCheck) ingresses(e *Evidence, services map[string]bool) {
	for _, ing := range e.Ingresses {
		covered, uncovered := ingressHosts(&ing, services)
		if len(covered)+len(uncovered) == 0 {
			continue
		}
		c.reached = true
		ref := "Ingress/" + ing.Name
		if len(uncovered) == 0 {
			c.out.passed = append(c.out.passed, fmt.Sprintf("%s serves the asset over TLS for %s", ref, strings.Join(covered, ", ")))
			continue
		}
		c.out.findings = append(c.out.findings, isms.Finding{Resource: ref,
			Message: fmt.Sprintf("routes to the asset without TLS for %s; cover each with a spec.tls entry", strings.Join(uncovered, ", "))})
	}
}

// selectingServices returns the names of the Services whose selector matches the pod
// template of at least one of the asset's workloads.
func selectingServices(e *Evidence) map[string]bool {
	names := map[string]bool{}
	for _, svc := range e.Services {
		if selectsAnyWorkload(svc, e.Workloads) {
			names[svc.Name] = true
		}
	}
	return names
}

func selectsAnyWorkload(svc corev1.Service, workloads []Workload) bool {
	if len(svc.Spec.Selector) == 0 {
		return false // a Service without a selector routes to endpoints managed by hand
	}
	selector := labels.SelectorFromSet(svc.Spec.Selector)
	for _, w := range workloads {
		if selector.Matches(labels.Set(w.Template.Labels)) {
			return true
		}
	}
	return false
}

// ingressHosts returns, sorted, the hosts (quoted; "a rule without a host" or "the
// default backend" for those) through which ing routes to one of services with TLS and
// those without; both are empty when ing routes to none of them.
func ingressHosts(ing *networkingv1.Ingress, services map[string]bool) (covered, uncovered []string) {
	judge := func(host, label string) {
		if tlsCovers(ing.Spec.TLS, host) {
			covered = append(covered, label)
		} else {
			uncovered = append(uncovered, label)
		}
	}
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil && services[b.Service.Name] {
		judge("", "the default backend")
	}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil || !slices.ContainsFunc(rule.HTTP.Paths, func(p networkingv1.HTTPIngressPath) bool {
			return p.Backend.Service != nil && services[p.Backend.Service.Name]
		}) {
			continue
		}
		if rule.Host == "" {
			judge("", "a rule without a host")
		} else {
			judge(rule.Host, fmt.Sprintf("host %q", rule.Host))
		}
	}
	slices.Sort(covered)
	slices.Sort(uncovered)
	return slices.Compact(covered), slices.Compact(uncovered)
}

// tlsCovers reports whether a TLS entry covers host; "" (no host) needs an entry without hosts.
func tlsCovers(tls []networkingv1.IngressTLS, host string) bool {
	for _, entry := range tls {
		if host == "" {
			if len(entry.Hosts) == 0 {
				return true
			}
			continue
		}
		for _, h := range entry.Hosts {
			if hostMatches(h, host) {
				return true
			}
		}
	}
	return false
}

// hostMatches reports whether a TLS host (possibly a wildcard such as *.trust.nhs.uk,
// which covers exactly one label) covers a rule host.
func hostMatches(tlsHost, host string) bool {
	if strings.EqualFold(tlsHost, host) {
		return true
	}
	suffix, wildcard := strings.CutPrefix(tlsHost, "*")
	if !wildcard || strings.HasPrefix(host, "*") {
		return false
	}
	label, rest, found := strings.Cut(host, ".")
	return found && label != "" && strings.EqualFold("."+rest, suffix)
}
