package controllers_test

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// TestTrafficFromOutsideIsJudgedWhateverWayItComes: an asset reached through a Gateway API
// route on a plain-HTTP listener, or a LoadBalancer Service, fails ENC-02 even though its
// Ingress serves TLS; the finding follows the route, the Gateway and the Service as they change.
func TestTrafficFromOutsideIsJudgedWhateverWayItComes(t *testing.T) {
	e := newEstate(t)
	hostname := gatewayv1.Hostname("epr.example.nhs.uk")
	gateway := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "public"},
		Spec: gatewayv1.GatewaySpec{GatewayClassName: "trust-edge", Listeners: []gatewayv1.Listener{
			{Name: "http", Port: 80, Protocol: gatewayv1.HTTPProtocolType, Hostname: &hostname},
			{Name: "https", Port: 443, Protocol: gatewayv1.HTTPSProtocolType, Hostname: &hostname,
				TLS: &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "epr-tls"}}}},
		}}}
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "epr"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "public", SectionName: ptr.To(gatewayv1.SectionName("http"))}}},
			Hostnames:       []gatewayv1.Hostname{hostname},
			Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
				BackendObjectReference: gatewayv1.BackendObjectReference{Name: "epr-db", Port: ptr.To(gatewayv1.PortNumber(5432))}}}}}},
		}}
	create(t, gateway, route)

	waitForTransit := func(status metav1.ConditionStatus, mentions ...string) {
		t.Helper()
		eventually(t, drift, func() error {
			asset := e.current(t)
			c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionEncryptedInTransit)
			f, failing := finding(asset, isms.ControlIngressTLS)
			if c == nil || c.Status != status || failing != (status == metav1.ConditionFalse) {
				return fmt.Errorf("EncryptedInTransit %+v, ENC-02 finding %+v; want %s", c, f, status)
			}
			for _, m := range mentions {
				if !strings.Contains(f.Resource+" "+f.Message, m) {
					return fmt.Errorf("the ENC-02 finding %+v does not mention %q", f, m)
				}
			}
			return nil
		})
	}
	// Attached to the plain-HTTP listener: fails, naming the Gateway, listener and hostname.
	waitForTransit(metav1.ConditionFalse, "public", "http", string(hostname))

	// Moved to the HTTPS listener: passes.
	update(t, route, func(r *gatewayv1.HTTPRoute) {
		r.Spec.ParentRefs[0].SectionName = ptr.To(gatewayv1.SectionName("https"))
	})
	waitForTransit(metav1.ConditionTrue)

	// The Gateway's HTTPS listener turned into plain HTTP: the change to the Gateway alone shows.
	update(t, gateway, func(g *gatewayv1.Gateway) {
		g.Spec.Listeners[1].Protocol, g.Spec.Listeners[1].TLS = gatewayv1.HTTPProtocolType, nil
	})
	waitForTransit(metav1.ConditionFalse, "public", "https")
	update(t, gateway, func(g *gatewayv1.Gateway) {
		g.Spec.Listeners[1].Protocol = gatewayv1.HTTPSProtocolType
		g.Spec.Listeners[1].TLS = &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "epr-tls"}}}
	})
	waitForTransit(metav1.ConditionTrue)

	// A LoadBalancer Service on port 80 in front of the pods.
	lb := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "epr-public"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: e.deployment.Spec.Selector.MatchLabels,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	create(t, lb)
	waitForTransit(metav1.ConditionFalse, "epr-public", "LoadBalancer")
	update(t, lb, func(s *corev1.Service) { s.Annotations = map[string]string{"isms.nhs.uk/tls-terminated": "true"} })
	waitForTransit(metav1.ConditionTrue)
}

// TestAStandaloneReplicaSetIsJudged: a privileged ReplicaSet and its Pod, with no
// Deployment, are judged through the ReplicaSet.
func TestAStandaloneReplicaSetIsJudged(t *testing.T) {
	e := newEstate(t)
	labels := e.deployment.Spec.Template.Labels
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "epr-debug"},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{ServiceAccountName: "epr-db", Containers: []corev1.Container{{Name: "debug", Image: "busybox",
					SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}}}
	create(t, rs)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "epr-debug-x7k2p", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}}},
		Spec: rs.Spec.Template.Spec}
	create(t, pod)
	eventually(t, drift, func() error {
		asset := e.current(t)
		f, failing := finding(asset, isms.ControlPodSecurity)
		if !failing || f.Resource != "ReplicaSet/epr-debug" {
			return fmt.Errorf("ACC-01 finding %+v; want one on ReplicaSet/epr-debug", f)
		}
		for _, other := range asset.Status.Findings {
			if other.Resource == "Pod/"+pod.Name {
				return fmt.Errorf("the Pod is judged as well as its ReplicaSet: %+v", other)
			}
		}
		return nil
	})
}
