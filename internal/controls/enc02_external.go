package controls

import (
	"slices"
	"strings"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// checkExternalTLS is ENC-02: traffic that reaches the asset's pods from outside the
// cluster is encrypted, through each way in the API shows: Ingresses, Gateway API routes,
// and LoadBalancer and NodePort Services (controls.md, ENC-02).
func checkExternalTLS(e *Evidence) outcome {
	var c transitCheck
	services := selectingServices(e)
	c.ingresses(e, services)
	c.gatewayRoutes(e, services)
	c.exposedServices(e)
	return c.result(e)
}

// transitCheck gathers what ENC-02 finds through each way into the asset.
type transitCheck struct {
	out outcome
	// reached is true when something from outside the cluster reaches the asset.
	reached bool
	// undecided are the subjects (a route, with why) the evidence cannot judge.
	undecided []undecidedRoute
}

// undecidedRoute is a route the evidence cannot judge, and why.
type undecidedRoute struct {
	resource, why string
}

// result is the outcome: a failure wins over what cannot be judged (which then shows as
// findings beside it, since the control fails whatever it would say); what cannot be
// judged and nothing failing is NotEvaluated, never a pass; with nothing at all reaching
// the asset, the evidence says so.
func (c *transitCheck) result(e *Evidence) outcome {
	slices.SortFunc(c.undecided, func(a, b undecidedRoute) int {
		return strings.Compare(a.resource+" "+a.why, b.resource+" "+b.why)
	})
	c.undecided = slices.Compact(c.undecided)
	switch {
	case len(c.undecided) > 0 && len(c.out.findings) > 0:
		for _, u := range c.undecided {
			c.out.findings = append(c.out.findings, isms.Finding{Resource: u.resource, Message: "cannot be judged: " + u.why})
		}
	case len(c.undecided) > 0:
		reasons := make([]string, 0, len(c.undecided))
		for _, u := range c.undecided {
			reasons = append(reasons, u.resource+" "+u.why)
		}
		return outcome{notEvaluated: "not evaluated: " + strings.Join(reasons, "; ")}
	case !c.reached:
		c.out.passed = append(c.out.passed, nothingReaches(e))
	}
	return c.out
}

// nothingReaches is the evidence of an asset that nothing outside the cluster reaches.
func nothingReaches(e *Evidence) string {
	if !e.Gateway.Installed {
		return "nothing reaches the asset from outside the cluster: no Ingress, LoadBalancer or NodePort Service leads to its pods (the Gateway API is not installed)"
	}
	return "nothing reaches the asset from outside the cluster: no Ingress, Gateway API route, LoadBalancer or NodePort Service leads to its pods"
}
