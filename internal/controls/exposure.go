package controls

import (
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Exposed reports whether a failing resource among findings is reachable from outside the
// cluster (risk.md: it raises a detected risk's likelihood by one): an Ingress or a
// Gateway API route, or a workload that a LoadBalancer or NodePort Service, or a Service
// an Ingress or a Gateway API route attached to a Gateway routes to, selects. A finding
// about something else (a claim, a binding, the asset) counts as exposed when any of the
// asset's workloads is.
func Exposed(e *Evidence, findings []isms.Finding) bool {
	exposed := exposedWorkloads(e)
	for _, f := range findings {
		kind, _, _ := strings.Cut(f.Resource, "/")
		switch {
		case kind == "Ingress", kind == kindHTTPRoute, kind == kindGRPCRoute, kind == kindTLSRoute:
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
	for name := range gatewayRoutedServices(e) {
		routed[name] = true
	}
	exposed := map[string]bool{}
	for _, svc := range e.Services {
		if len(svc.Spec.Selector) == 0 || (!isExternalService(svc) && !routed[svc.Name]) {
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

// gatewayRoutedServices returns the names of the Services selecting the asset's pods that
// a Gateway API route attached to a listener of an existing Gateway may send traffic to.
// Where the evidence cannot judge a route (a reference no ReferenceGrant is known to
// allow, a listener whose namespace selector cannot be read), it counts: exposure only
// raises the likelihood of a risk already found.
func gatewayRoutedServices(e *Evidence) map[string]bool {
	routed := map[string]bool{}
	for _, r := range reachingRoutes(e, selectingServices(e)) {
		if len(r.attachments) == 0 && len(r.undecided) == 0 {
			continue
		}
		for _, name := range r.services {
			routed[name] = true
		}
	}
	return routed
}
