package controls

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// AnnotationTLSTerminated on a LoadBalancer or NodePort Service attests that TLS is
// terminated in front of it (e.g. by a cloud load balancer holding the certificate),
// which the API cannot show.
const AnnotationTLSTerminated = "isms.nhs.uk/tls-terminated"

// exposedServices judges the LoadBalancer and NodePort Services that select the asset's
// pods: each must show TLS on every port (appProtocol https or tls, or a port named https
// or tls, or https-/tls- something), or be attested with AnnotationTLSTerminated.
func (c *transitCheck) exposedServices(e *Evidence) {
	for _, svc := range e.Services {
		if !isExternalService(svc) || !selectsAnyWorkload(svc, e.Workloads) {
			continue
		}
		c.reached = true
		ref := "Service/" + svc.Name
		if svc.Annotations[AnnotationTLSTerminated] == "true" {
			c.out.passed = append(c.out.passed, fmt.Sprintf("%s (%s) terminates TLS at the load balancer (attested)", ref, svc.Spec.Type))
			continue
		}
		var shown, plain []string
		for _, p := range svc.Spec.Ports {
			if portShowsTLS(p) {
				shown = append(shown, servicePortText(p))
			} else {
				plain = append(plain, servicePortText(p))
			}
		}
		if len(plain) == 0 && len(shown) > 0 {
			c.out.passed = append(c.out.passed, fmt.Sprintf("%s (%s) shows TLS on every port: %s (observed)", ref, svc.Spec.Type, strings.Join(shown, ", ")))
			continue
		}
		ports := "declares no port"
		switch len(plain) {
		case 0:
		case 1:
			ports = "shows no TLS on port " + plain[0]
		default:
			ports = "shows no TLS on ports " + strings.Join(plain, ", ")
		}
		c.out.findings = append(c.out.findings, isms.Finding{Resource: ref, Message: fmt.Sprintf(
			"is a %s Service reachable from outside the cluster and %s; serve TLS and say so with appProtocol https or tls (or a port name https or tls), or, where a load balancer terminates TLS, attest it with the annotation %s: \"true\"",
			svc.Spec.Type, ports, AnnotationTLSTerminated)})
	}
}

// isExternalService reports whether a Service is reachable from outside the cluster by itself.
func isExternalService(svc corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeNodePort
}

// portShowsTLS reports whether a Service port says it serves TLS: appProtocol https or tls,
// or a name https or tls, or starting https- or tls-.
func portShowsTLS(p corev1.ServicePort) bool {
	if p.AppProtocol != nil && (strings.EqualFold(*p.AppProtocol, "https") || strings.EqualFold(*p.AppProtocol, "tls")) {
		return true
	}
	name := strings.ToLower(p.Name)
	return name == "https" || name == "tls" || strings.HasPrefix(name, "https-") || strings.HasPrefix(name, "tls-")
}

// servicePortText names a Service port for a message, e.g. 443/TCP (name "web", appProtocol "https").
func servicePortText(p corev1.ServicePort) string {
	protocol := p.Protocol
	if protocol == "" {
		protocol = corev1.ProtocolTCP
	}
	text := fmt.Sprintf("%d/%s", p.Port, protocol)
	var about []string
	if p.Name != "" {
		about = append(about, fmt.Sprintf("name %q", p.Name))
	}
	if p.AppProtocol != nil {
		about = append(about, fmt.Sprintf("appProtocol %q", *p.AppProtocol))
	}
	if len(about) > 0 {
		text += " (" + strings.Join(about, ", ") + ")"
	}
	return text
}
