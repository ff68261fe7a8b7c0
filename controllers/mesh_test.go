package controllers_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

func peerAuthentication(ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion("security.istio.io/v1")
	u.SetKind("PeerAuthentication")
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// transitMessage waits until EncryptedInTransit has status and its message holds text.
func transitMessage(t *testing.T, e *estate, status metav1.ConditionStatus, text string) {
	t.Helper()
	eventually(t, drift, func() error {
		asset := e.current(t)
		c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionEncryptedInTransit)
		if c == nil || c.Status != status || c.ObservedGeneration != asset.Generation || !strings.Contains(c.Message, text) {
			return fmt.Errorf("EncryptedInTransit = %+v, want %s mentioning %q", c, status, text)
		}
		return nil
	})
}

// TestIstioIsDiscoveredWhenInstalled: without Istio's CRDs, a workload labelled for Istio
// fails ENC-03 saying the CRD is missing; once the upstream CRDs are installed, the
// operator finds them without a restart and judges PeerAuthentications as they change.
func TestIstioIsDiscoveredWhenInstalled(t *testing.T) {
	e := newEstate(t)
	update(t, e.asset, func(a *isms.InformationAsset) {
		a.Spec.Controls.Encryption = &isms.EncryptionControls{MeshTLS: isms.LevelRequired}
	})
	update(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}}, func(n *corev1.Namespace) {
		n.Labels["istio-injection"] = "enabled"
	})
	transitMessage(t, e, metav1.ConditionFalse, "PeerAuthentication CRD (security.istio.io/v1) is not installed")

	if err := env.Install(testenv.UpstreamIstio); err != nil {
		t.Fatal(err)
	}
	create(t, peerAuthentication(e.ns, "default", map[string]any{"mtls": map[string]any{"mode": "STRICT"}}))
	transitMessage(t, e, metav1.ConditionTrue, "Istio enforces mutual TLS")

	create(t, peerAuthentication(e.ns, "epr-db", map[string]any{
		"selector":      map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "epr-db"}},
		"portLevelMtls": map[string]any{"5432": map[string]any{"mode": "PERMISSIVE"}},
	}))
	transitMessage(t, e, metav1.ConditionFalse, "relaxes mTLS on port 5432 (PERMISSIVE)")
}
