package controls

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// AnnotationEncryptedInTransit on a Namespace attests that traffic between its pods is
// encrypted by means the API cannot show (e.g. Cilium or WireGuard node-to-node encryption).
const AnnotationEncryptedInTransit = "isms.nhs.uk/encrypted-in-transit"

// DefaultIstioRootNamespace holds mesh-wide Istio policy unless the mesh is configured otherwise.
const DefaultIstioRootNamespace = "istio-system"

// linkerdAuthenticated are the Linkerd default inbound policies that refuse plaintext.
var linkerdAuthenticated = []string{"all-authenticated", "cluster-authenticated", "deny"}

// checkMeshMTLS is ENC-03: each workload's pods are in a mesh that refuses plaintext:
// Istio with a STRICT PeerAuthentication and no port relaxing it, or Linkerd with an
// authenticated default inbound policy; or the namespace is attested.
func checkMeshMTLS(e *Evidence) outcome {
	var out outcome
	if e.Namespace != nil && e.Namespace.Annotations[AnnotationEncryptedInTransit] == "true" {
		out.passed = append(out.passed, fmt.Sprintf("Namespace %q is attested as encrypting traffic in transit (attested)", e.Namespace.Name))
		return out
	}
	for _, w := range e.Workloads {
		istioOK, istioWhy := istioStrict(e, w)
		linkerdOK, linkerdWhy := linkerdAuthenticatedPolicy(e, w)
		switch {
		case istioOK:
			out.passed = append(out.passed, w.Ref()+": "+istioWhy)
		case linkerdOK:
			out.passed = append(out.passed, w.Ref()+": "+linkerdWhy)
		default:
			out.findings = append(out.findings, isms.Finding{Resource: w.Ref(), Message: meshFailure(istioWhy, linkerdWhy)})
		}
	}
	return out
}

// meshFailure explains a failing workload: the mesh it is in, or that it is in none.
func meshFailure(istioWhy, linkerdWhy string) string {
	var reasons []string
	for _, why := range []string{istioWhy, linkerdWhy} {
		if why != "" {
			reasons = append(reasons, why)
		}
	}
	if len(reasons) == 0 {
		return "pods are in no service mesh that enforces mutual TLS (Istio STRICT or Linkerd with an authenticated default inbound policy), and the namespace is not attested with " + AnnotationEncryptedInTransit
	}
	return strings.Join(reasons, "; ")
}

func namespaceLabels(e *Evidence) map[string]string {
	if e.Namespace == nil {
		return nil
	}
	return e.Namespace.Labels
}

func namespaceAnnotations(e *Evidence) map[string]string {
	if e.Namespace == nil {
		return nil
	}
	return e.Namespace.Annotations
}

// inIstio reports whether Istio's sidecar injection or ambient mode covers the workload.
func inIstio(e *Evidence, w Workload) bool {
	pod, ns := w.Template.Labels, namespaceLabels(e)
	if pod["istio.io/dataplane-mode"] == "ambient" || (ns["istio.io/dataplane-mode"] == "ambient" && pod["istio.io/dataplane-mode"] != "none") {
		return true
	}
	if pod["sidecar.istio.io/inject"] == "false" {
		return false
	}
	_, podRev := pod["istio.io/rev"]
	_, nsRev := ns["istio.io/rev"]
	return pod["sidecar.istio.io/inject"] == "true" || podRev || nsRev || ns["istio-injection"] == "enabled"
}

// istioStrict says whether Istio enforces mutual TLS on the workload's pods, and why
// (empty when the workload is not in Istio).
func istioStrict(e *Evidence, w Workload) (bool, string) {
	if !inIstio(e, w) {
		return false, ""
	}
	if !e.Mesh.IstioInstalled {
		return false, "pods are labelled for Istio, but the PeerAuthentication CRD (security.istio.io/v1) is not installed, so mutual TLS cannot be established"
	}
	workload, namespaceWide, meshWide := applicablePolicies(e, w)
	mode, source := "PERMISSIVE", "Istio's default"
	for _, pa := range []*PeerAuthentication{meshWide, namespaceWide, workload} {
		if pa != nil && pa.Mode != "" && pa.Mode != "UNSET" {
			mode, source = pa.Mode, fmt.Sprintf("PeerAuthentication %s/%s", pa.Namespace, pa.Name)
		}
	}
	if mode != "STRICT" {
		return false, fmt.Sprintf("Istio mTLS mode is %s (from %s), so the pods accept plaintext; apply a STRICT PeerAuthentication", mode, source)
	}
	if workload != nil {
		var relaxed []string
		for _, port := range slices.Sorted(maps.Keys(workload.PortModes)) {
			if m := workload.PortModes[port]; m == "PERMISSIVE" || m == "DISABLE" {
				relaxed = append(relaxed, fmt.Sprintf("%d (%s)", port, m))
			}
		}
		if len(relaxed) > 0 {
			return false, fmt.Sprintf("PeerAuthentication %s/%s relaxes mTLS on port %s, which accept plaintext", workload.Namespace, workload.Name, strings.Join(relaxed, ", "))
		}
	}
	return true, fmt.Sprintf("Istio enforces mutual TLS (STRICT from %s)", source)
}

// applicablePolicies returns the PeerAuthentications that apply to a workload: the oldest
// whose selector matches it, its namespace's, and the mesh-wide one in the root namespace.
func applicablePolicies(e *Evidence, w Workload) (workload, namespaceWide, meshWide *PeerAuthentication) {
	root := e.Mesh.IstioRootNamespace
	if root == "" {
		root = DefaultIstioRootNamespace
	}
	oldest := func(current, candidate *PeerAuthentication) *PeerAuthentication {
		if current == nil || candidate.Created.Before(current.Created) ||
			(candidate.Created.Equal(current.Created) && candidate.Name < current.Name) {
			return candidate
		}
		return current
	}
	for i := range e.Mesh.PeerAuthentications {
		pa := &e.Mesh.PeerAuthentications[i]
		switch {
		case pa.Namespace == e.Asset.Namespace && len(pa.Selector) > 0:
			if labels.SelectorFromSet(pa.Selector).Matches(labels.Set(w.Template.Labels)) {
				workload = oldest(workload, pa)
			}
		case pa.Namespace == e.Asset.Namespace:
			namespaceWide = oldest(namespaceWide, pa)
		case pa.Namespace == root && len(pa.Selector) == 0:
			meshWide = oldest(meshWide, pa)
		}
	}
	return workload, namespaceWide, meshWide
}

// linkerdAuthenticatedPolicy says whether Linkerd refuses plaintext to the workload's
// pods, and why (empty when the workload is not in Linkerd). Injection alone is not
// enough: Linkerd's default inbound policy accepts unauthenticated traffic.
func linkerdAuthenticatedPolicy(e *Evidence, w Workload) (bool, string) {
	pod, ns := w.Template.Annotations, namespaceAnnotations(e)
	inject := ns["linkerd.io/inject"]
	if v, set := pod["linkerd.io/inject"]; set {
		inject = v
	}
	if inject != "enabled" {
		return false, ""
	}
	policy := ns["config.linkerd.io/default-inbound-policy"]
	if v, set := pod["config.linkerd.io/default-inbound-policy"]; set {
		policy = v
	}
	if slices.Contains(linkerdAuthenticated, policy) {
		return true, fmt.Sprintf("Linkerd refuses plaintext (default inbound policy %s)", policy)
	}
	if policy == "" {
		policy = "the cluster default, all-unauthenticated unless Linkerd was installed otherwise"
	}
	return false, fmt.Sprintf("Linkerd is injected but its default inbound policy (%s) accepts plaintext; set config.linkerd.io/default-inbound-policy to all-authenticated, cluster-authenticated or deny", policy)
}
