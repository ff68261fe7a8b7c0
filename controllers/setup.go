package controllers

import (
	"cmp"
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// Config holds the install-time settings of the reconcilers.
type Config struct {
	// ExemptSubjects are not flagged by ACC-03 (controls.DefaultExemptSubjects, plus the
	// operator's own ServiceAccount).
	ExemptSubjects []isms.Subject
	// IstioRootNamespace holds Istio's mesh-wide policy.
	IstioRootNamespace string
	// DiscoveryInterval is how often the operator looks for optional CRDs that are absent.
	DiscoveryInterval time.Duration
	// Matrix scores and rates Risks (riskmatrix.NPSA unless the trust sets its own bands).
	Matrix riskmatrix.Matrix
}

// CacheOptions make the manager's cache lean: managedFields stripped from every object,
// Pods kept without status (only templates are evaluated), and reads of a kind that no
// watch declared fail rather than silently start a cache of it.
func CacheOptions() cache.Options {
	return cache.Options{
		DefaultTransform:            cache.TransformStripManagedFields(),
		ReaderFailOnMissingInformer: true,
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}: {Transform: stripPod},
		},
	}
}

// ClientOptions keep Secrets and ConfigMaps out of any cache: the operator never reads them.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}}}}
}

// stripPod drops a cached Pod's managedFields and status.
var stripPod toolscache.TransformFunc = func(obj any) (any, error) {
	if pod, ok := obj.(*corev1.Pod); ok {
		pod.ManagedFields = nil
		pod.Status = corev1.PodStatus{}
	}
	return obj, nil
}

// peerAuthentication is Istio's security.istio.io/v1 PeerAuthentication.
var peerAuthentication = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"}

// Setup registers every reconciler, and the watches of optional kinds, with mgr.
func Setup(ctx context.Context, mgr ctrl.Manager, cfg Config) error {
	istio := &optionalWatch{gvk: peerAuthentication, mapper: mgr.GetRESTMapper(), interval: cfg.DiscoveryInterval}
	recorder := mgr.GetEventRecorder("isms-operator")
	risks := &RiskReconciler{Client: mgr.GetClient(), Matrix: cfg.Matrix, Recorder: recorder}
	if err := risks.SetupWithManager(mgr); err != nil {
		return err
	}
	assets := &InformationAssetReconciler{
		Client:   mgr.GetClient(),
		Matrix:   cfg.Matrix,
		Recorder: recorder,
		Gatherer: &evidence.Gatherer{
			Reader:             mgr.GetCache(),
			Exempt:             cfg.ExemptSubjects,
			IstioRootNamespace: cfg.IstioRootNamespace,
			IstioInstalled:     istio.Installed,
		},
	}
	c, err := assets.SetupWithManager(ctx, mgr)
	if err != nil {
		return err
	}
	istio.watch = func() error {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(peerAuthentication)
		return c.Watch(source.Kind[client.Object](mgr.GetCache(), u, handler.EnqueueRequestsFromMapFunc(
			func(ctx context.Context, obj client.Object) []reconcile.Request {
				if obj.GetNamespace() == cmp.Or(cfg.IstioRootNamespace, controls.DefaultIstioRootNamespace) {
					return assets.assetsIn(ctx, metav1.NamespaceAll)
				}
				return assets.assetsIn(ctx, obj.GetNamespace())
			})))
	}
	return mgr.Add(istio)
}
