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

// Istio's labels and annotations that decide whether a pod is in the mesh.
const (
	istioInjectionLabel = "istio-injection"         // namespace: enabled or disabled
	istioRevisionLabel  = "istio.io/rev"            // namespace or pod: a revision or tag
	istioInjectLabel    = "sidecar.istio.io/inject" // pod label (and legacy annotation): "true" or "false"
	istioDataplaneLabel = "istio.io/dataplane-mode" // namespace or pod: ambient, or none on a pod
)

// istioMembership says whether Istio puts a workload's pods in the mesh and by which label
// (how), or why not when an Istio label says something about them (empty when none does).
func istioMembership(e *Evidence, w Workload) (in bool, how, whyNot string) {
	injected, how, whyNot := istioSidecar(e, w)
	if injected {
		return true, how, ""
	}
	pod, ns := w.Template.Labels, namespaceLabels(e)
	ambient := pod[istioDataplaneLabel] == "ambient" || (ns[istioDataplaneLabel] == "ambient" && pod[istioDataplaneLabel] != "none")
	switch {
	case ambient && w.Template.Spec.HostNetwork:
		// istio-cni never redirects the traffic of pods on the host network.
		return false, "", "the pods use the host network, which Istio's ambient mode does not capture" + also(whyNot)
	case pod[istioDataplaneLabel] == "ambient":
		return true, "in ambient mode (pod label istio.io/dataplane-mode=ambient)", ""
	case ns[istioDataplaneLabel] == "ambient" && pod[istioDataplaneLabel] == "none":
		return false, "", "the pod label istio.io/dataplane-mode=none opts the pods out of the namespace's ambient mode" + also(whyNot)
	case ns[istioDataplaneLabel] == "ambient":
		return true, "in ambient mode (namespace label istio.io/dataplane-mode=ambient)", ""
	}
	return false, "", whyNot
}

// also appends a further reason, if any.
func also(why string) string {
	if why == "" {
		return ""
	}
	return ", and " + why
}

// istioSidecar decides whether Istio's sidecar injector injects the workload's pods, as
// Istio documents it ("Controlling the injection policy",
// https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/): if either label
// (namespace istio-injection, pod sidecar.istio.io/inject) is disabled the pod is not
// injected; if either label (or istio.io/rev) is enabled it is; if neither is set it is not
// (enableNamespacesByDefault is off by default); and when istio-injection and istio.io/rev
// are both on the namespace, istio-injection takes precedence. The exact cases are those of
// the injector's webhooks in Istio's chart (istio-discovery templates mutatingwebhook.yaml
// and revision-tags-mwc.yaml), which select pods by labels only:
//
//   - namespace.: namespace istio-injection=enabled, pod label sidecar.istio.io/inject not "false";
//   - object.: namespace without istio-injection or istio.io/rev, pod label
//     sidecar.istio.io/inject=true and no pod istio.io/rev;
//   - rev.namespace.: namespace istio.io/rev=<revision or tag> and no istio-injection, pod
//     label sidecar.istio.io/inject not "false";
//   - rev.object.: namespace without istio-injection (and, unless the revision prefers pod
//     labels, without istio.io/rev), pod istio.io/rev=<revision or tag>, pod label
//     sidecar.istio.io/inject not "false".
//
// Then the injector (pkg/kube/inject, injectRequired) reads sidecar.istio.io/inject from the
// pod label, else the legacy annotation (the label takes precedence): y, yes, true or on
// inject, unset follows the default policy (enabled), anything else does not; and it never
// injects pods on the host network or in kube-system or kube-public. So the annotation alone
// can only opt a pod out, never in. Any istio.io/rev value is taken to name an installed
// revision or tag: the evidence does not show which exist. Mesh-wide neverInjectSelector and
// alwaysInjectSelector are not visible and are assumed unset.
func istioSidecar(e *Evidence, w Workload) (injected bool, how, whyNot string) {
	pod, ns := w.Template.Labels, namespaceLabels(e)
	nsInjection, nsInjectionSet := ns[istioInjectionLabel]
	nsRevision, nsRevisionSet := ns[istioRevisionLabel]
	podInject, podInjectSet := pod[istioInjectLabel]
	podRevision, podRevisionSet := pod[istioRevisionLabel]
	annotation, annotationSet := w.Template.Annotations[istioInjectLabel]

	var webhook string // the label that has Istio's injector webhook called
	switch {
	case nsInjectionSet && nsInjection == "enabled":
		webhook = "namespace label istio-injection=enabled"
	case nsInjectionSet && nsInjection == "disabled":
		return false, "", "the namespace label istio-injection=disabled turns Istio sidecar injection off for every pod of the namespace, whatever the pod's labels say"
	case nsInjectionSet:
		return false, "", fmt.Sprintf("the namespace label istio-injection=%s is neither enabled nor disabled, and no Istio injector webhook selects the namespace's pods", nsInjection)
	case nsRevisionSet && nsRevision != "":
		webhook = "namespace label istio.io/rev=" + nsRevision
	case podRevisionSet && podRevision != "" && !nsRevisionSet:
		webhook = "pod label istio.io/rev=" + podRevision
	case nsRevisionSet:
		// An empty istio.io/rev on the namespace selects no revision, and the object
		// webhooks require the namespace to have none.
		return false, "", "the namespace label istio.io/rev is empty, so no Istio revision injects the pods"
	case podInjectSet && podInject == "true" && !podRevisionSet:
		webhook = "pod label sidecar.istio.io/inject=true"
	case annotationSet && !podInjectSet && isIstioTrue(annotation):
		return false, "", "the pod annotation sidecar.istio.io/inject=" + annotation + " alone does not inject a sidecar: Istio's injector webhook selects pods by the label sidecar.istio.io/inject=true, or a namespace label istio-injection=enabled or istio.io/rev"
	case podInjectSet:
		return false, "", "the pod label sidecar.istio.io/inject=" + podInject + " does not enable Istio sidecar injection"
	default:
		return false, "", "" // no Istio label at all
	}
	if podInjectSet && podInject == "false" {
		return false, "", "the pod label sidecar.istio.io/inject=false opts the pods out of Istio sidecar injection, which the " + webhook + " would give them"
	}

	// The webhook is called: the injector decides.
	value, from := annotation, "pod annotation"
	if podInjectSet {
		value, from = podInject, "pod label"
	}
	switch {
	case w.Template.Spec.HostNetwork:
		return false, "", "the pods use the host network, into which Istio never injects a sidecar"
	case e.Asset.Namespace == "kube-system" || e.Asset.Namespace == "kube-public":
		return false, "", "Istio never injects a sidecar into pods of " + e.Asset.Namespace
	case value == "" || isIstioTrue(value):
		return true, "with a sidecar injected (" + webhook + ")", ""
	}
	return false, "", fmt.Sprintf("the %s sidecar.istio.io/inject=%s opts the pods out of Istio sidecar injection, which the %s would give them", from, value, webhook)
}

// isIstioTrue: the values Istio's injector reads as true (YAML's booleans).
func isIstioTrue(v string) bool {
	switch strings.ToLower(v) {
	case "y", "yes", "true", "on":
		return true
	}
	return false
}

// istioStrict says whether Istio enforces mutual TLS on the workload's pods, and why
// (empty when no Istio label says anything about the workload).
func istioStrict(e *Evidence, w Workload) (bool, string) {
	in, how, whyNot := istioMembership(e, w)
	if !in {
		if whyNot == "" {
			return false, ""
		}
		return false, "the pods are not in Istio's mesh: " + whyNot
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
	return true, fmt.Sprintf("Istio enforces mutual TLS (mode STRICT from %s) on the pods, which are in its mesh %s", source, how)
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
