package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// CertificateKeeper keeps the webhook's certificates (Keep) in one Secret of the
// operator's namespace, writes their CA into the webhook configuration's caBundle, and
// hands the serving certificate to the webhook server (GetCertificate). Every replica runs
// it, leader or not, since every replica serves the webhook: each serves what the Secret
// holds, and writes are optimistic, so the first replica to renew wins and the others
// serve its result. It reads only its Secret and the configuration, by name, through a
// cache of its own: the operator's ClusterRole has no verb on Secrets.
type CertificateKeeper struct {
	// Namespace holds the Secret; Secret and Configuration name the Secret and the
	// MutatingWebhookConfiguration.
	Namespace, Secret, Configuration string
	// DNSNames are the names the webhook is called by: its Service's.
	DNSNames []string
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	client  client.Client
	reader  client.Reader
	serving atomic.Pointer[tls.Certificate]
}

// ServiceNames are the DNS names of a Service, for the webhook's certificate.
func ServiceNames(service, namespace string) []string {
	return []string{service + "." + namespace + ".svc", service + "." + namespace + ".svc.cluster.local"}
}

// SetupWithManager runs the keeper in every replica.
func (k *CertificateKeeper) SetupWithManager(mgr ctrl.Manager) error {
	byName := func(name string) fields.Selector { return fields.OneTermEqualSelector("metadata.name", name) }
	own, err := cache.New(mgr.GetConfig(), cache.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{k.Namespace: {}}, Field: byName(k.Secret)},
			&admissionregistrationv1.MutatingWebhookConfiguration{}: {Field: byName(k.Configuration)},
		}})
	if err != nil {
		return err
	}
	if err := mgr.Add(ownCache{own}); err != nil {
		return err
	}
	k.client, k.reader = mgr.GetClient(), own
	request := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: k.Namespace, Name: k.Secret}}
	toKeeper := func(context.Context, client.Object) []reconcile.Request { return []reconcile.Request{request} }
	return ctrl.NewControllerManagedBy(mgr).
		Named("webhook-certificate").
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false)}).
		WatchesRawSource(source.Kind[client.Object](own, &corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(toKeeper))).
		WatchesRawSource(source.Kind[client.Object](own, &admissionregistrationv1.MutatingWebhookConfiguration{}, handler.EnqueueRequestsFromMapFunc(toKeeper))).
		// At start, whether or not the Secret exists yet.
		WatchesRawSource(source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
			q.Add(request)
			return nil
		})).
		Complete(k)
}

// ownCache runs the keeper's cache with the manager's caches, which start first in every
// replica: a bare cache.Cache would start only once the replica is elected leader, and a
// replica that is not would never serve a certificate.
type ownCache struct{ cache.Cache }

func (c ownCache) GetCache() cache.Cache { return c.Cache }

// Reconcile renews the certificates when they are due, then serves them and writes their
// CA into the webhook configuration.
func (k *CertificateKeeper) Reconcile(ctx context.Context, _ reconcile.Request) (ctrl.Result, error) {
	secret := &corev1.Secret{}
	switch err := k.reader.Get(ctx, types.NamespacedName{Namespace: k.Namespace, Name: k.Secret}, secret); {
	case apierrors.IsNotFound(err):
		secret = nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading the webhook's certificate Secret %s/%s: %w", k.Namespace, k.Secret, err)
	}
	config := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := k.reader.Get(ctx, types.NamespacedName{Name: k.Configuration}, config); err != nil {
		return ctrl.Result{}, fmt.Errorf("reading the webhook configuration %s: %w", k.Configuration, err)
	}
	var data map[string][]byte
	if secret != nil {
		data = secret.Data
	}
	var trusted []byte
	if len(config.Webhooks) > 0 {
		trusted = config.Webhooks[0].ClientConfig.CABundle
	}
	data, certs, changed, err := Keep(data, k.DNSNames, trusted, k.now())
	if err != nil {
		return ctrl.Result{}, err
	}
	if changed {
		// The Secret's event brings the next reconcile, which serves what was written.
		return ctrl.Result{}, k.write(ctx, secret, data)
	}
	k.serving.Store(certs.Serving())
	if err := k.trust(ctx, config, certs.Bundle()); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: max(certs.RenewAt().Sub(k.now()), time.Minute)}, nil
}

// write stores renewed certificates: a new Secret, or an update of the one read, which
// fails with a conflict when another replica renewed first.
func (k *CertificateKeeper) write(ctx context.Context, secret *corev1.Secret, data map[string][]byte) error {
	if secret == nil {
		secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: k.Namespace, Name: k.Secret,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "isms-operator"}}, Type: corev1.SecretTypeTLS, Data: data}
		err := k.client.Create(ctx, secret)
		if apierrors.IsAlreadyExists(err) {
			return nil // another replica made it first; its event follows
		}
		return err
	}
	secret = secret.DeepCopy()
	secret.Data = data
	if err := k.client.Update(ctx, secret); apierrors.IsConflict(err) {
		return nil // another replica renewed first; its event follows
	} else if err != nil {
		return fmt.Errorf("renewing the webhook's certificates in Secret %s/%s: %w", k.Namespace, k.Secret, err)
	}
	log.FromContext(ctx).Info("Renewed the webhook's certificates", "secret", k.Secret)
	return nil
}

// trust writes the CA bundle into every webhook of the configuration that lacks it.
func (k *CertificateKeeper) trust(ctx context.Context, config *admissionregistrationv1.MutatingWebhookConfiguration, bundle []byte) error {
	updated := config.DeepCopy()
	for i := range updated.Webhooks {
		updated.Webhooks[i].ClientConfig.CABundle = bundle
	}
	if equalBundles(config, updated) {
		return nil
	}
	if err := k.client.Update(ctx, updated); err != nil {
		return fmt.Errorf("writing the webhook's CA into %s: %w", k.Configuration, err)
	}
	log.FromContext(ctx).Info("Wrote the webhook's CA into its configuration", "configuration", k.Configuration)
	return nil
}

func equalBundles(a, b *admissionregistrationv1.MutatingWebhookConfiguration) bool {
	for i := range a.Webhooks {
		if !bytes.Equal(a.Webhooks[i].ClientConfig.CABundle, b.Webhooks[i].ClientConfig.CABundle) {
			return false
		}
	}
	return true
}

// GetCertificate is the webhook server's tls.Config.GetCertificate.
func (k *CertificateKeeper) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := k.serving.Load(); c != nil {
		return c, nil
	}
	return nil, errors.New("the webhook's certificate is not ready yet")
}

// Ready is a readiness check: ready once a certificate is served.
func (k *CertificateKeeper) Ready(*http.Request) error {
	_, err := k.GetCertificate(nil)
	return err
}

func (k *CertificateKeeper) now() time.Time {
	if k.Now == nil {
		return time.Now()
	}
	return k.Now()
}
