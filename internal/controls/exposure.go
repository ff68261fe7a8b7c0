package controls

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Exposed reports whether a failing resource among findings is reachable from outside the
// cluster (risk.md: it raises a detected risk's likelihood by one): an Ingress, or a
// workload that a LoadBalancer or NodePort Service, or a Service an Ingress routes to,
// selects. A finding about something else (a claim, a binding, the asset) counts as
// exposed when any of the asset's workloads is.
func Exposed(e *Evidence, findings []isms.Finding) bool {
	exposed := exposedWorkloads(e)
	for _, f := range findings {
		kind, _, _ := strings.Cut(f.Resource, "/")
		switch {
		case kind == "Ingress":
			return true
		case exposed[f.Resource]:
			return true
		case !isWorkloadKind(kind) && len(exposed) > 0:
			return true
		}
	}
	return false
}

func isWorkloadKind(kind string) bool {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod":
		return true
	}
	return false
}

// exposedWorkloads returns the refs (Kind/name) of the asset's workloads reachable from
// outside the cluster.
func exposedWorkloads(e *Evidence) map[string]bool {
	routed := map[string]bool{}
	for _, ing := range e.Ingresses {
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			routed[b.Service.Name] = true
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, path := range rule.HTTP.Paths {
				if path.Backend.Service != nil {
					routed[path.Backend.Service.Name] = true
				}
			}
		}
	}
	exposed := map[string]bool{}
	for _, svc := range e.Services {
		external := svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeNodePort
		if len(svc.Spec.Selector) == 0 || (!external && !routed[svc.Name]) {
			continue
		}
		selector := labels.SelectorFromSet(svc.Spec.Selector)
		for _, w := range e.Workloads {
			if selector.Matches(labels.Set(w.Template.Labels)) {
				exposed[w.Ref()] = true
			}
		}
	}
	return exposed
}
