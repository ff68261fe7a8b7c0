// Package reports writes the register's findings as OpenReports (openreports.io), the
// reports Policy Reporter, Kyverno and Trivy users already read: one Report per namespace
// that holds assets, kept equal to the assets' status and their Risks. Its RBAC is a
// ClusterRole of its own (config/rbac/openreports), which the chart installs only when
// reports are on.
package reports

import (
	"context"
	"fmt"
	"time"

	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/openreports"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// Creating cannot be limited to a name; every other verb is limited to the operator's Report.
//+kubebuilder:rbac:groups=openreports.io,resources=reports,verbs=create
//+kubebuilder:rbac:groups=openreports.io,resources=reports,resourceNames=isms-operator,verbs=get;update;delete

// Burst is how long a namespace's change waits for the rest of its burst: a drift that
// changes an asset's status and raises a Risk is one write of the Report, not two.
const Burst = 500 * time.Millisecond

// Reconciler keeps the Report of one namespace (the request's) equal to what its assets
// and Risks say, and removes it when the namespace holds no asset any more. It writes
// only when the Report would change.
type Reconciler struct {
	// Client reads assets and Risks from the manager's cache, and writes Reports.
	Client client.Client
	// APIReader reads the Report: the operator caches no Report, since the OpenReports
	// CRDs may come and go, and it reads one only when its namespace changed.
	APIReader client.Reader
	Matrix    riskmatrix.Matrix
	// Installed reports whether the OpenReports CRDs are served.
	Installed func() bool
}

// SetupWithManager watches assets and Risks, each change queued for its namespace after
// Burst; reevaluate queues the namespace of each object sent to it (every asset's, once
// the CRDs appear).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, reevaluate <-chan event.GenericEvent) error {
	toNamespace := handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			queue(q, e.Object)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			queue(q, e.ObjectNew)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			queue(q, e.Object)
		},
		GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			queue(q, e.Object)
		},
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("openreports").
		WatchesRawSource(source.Kind[client.Object](mgr.GetCache(), &isms.InformationAsset{}, toNamespace)).
		WatchesRawSource(source.Kind[client.Object](mgr.GetCache(), &isms.Risk{}, toNamespace)).
		WatchesRawSource(source.Channel(reevaluate, toNamespace)).
		Complete(r)
}

func queue(q workqueue.TypedRateLimitingInterface[reconcile.Request], obj client.Object) {
	q.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: openreports.ReportName}}, Burst)
}

// Reconcile writes the namespace's Report when it differs from what the register says.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (ctrl.Result, error) {
	if !r.Installed() {
		return ctrl.Result{}, nil // the CRDs' arrival queues every namespace again
	}
	want, err := r.build(ctx, req.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	current := &orv1alpha1.Report{}
	switch err := r.APIReader.Get(ctx, req.NamespacedName, current); {
	case apierrors.IsNotFound(err):
		if want == nil {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, r.write(ctx, "create", r.Client.Create(ctx, want))
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading Report %s: %w", req.NamespacedName, err)
	case current.Labels[managedBy] != openreports.Source:
		log.FromContext(ctx).Info("A Report the operator did not write has its name; leaving it alone", "report", req.NamespacedName)
		return ctrl.Result{}, nil
	case want == nil:
		return ctrl.Result{}, r.write(ctx, "delete", client.IgnoreNotFound(r.Client.Delete(ctx, current)))
	case same(current, want):
		return ctrl.Result{}, nil
	}
	want.ResourceVersion, want.UID, want.CreationTimestamp = current.ResourceVersion, current.UID, current.CreationTimestamp
	return ctrl.Result{}, r.write(ctx, "update", r.Client.Update(ctx, want))
}

const managedBy = "app.kubernetes.io/managed-by"

// build is the namespace's Report; nil when the namespace holds no asset.
func (r *Reconciler) build(ctx context.Context, ns string) (*orv1alpha1.Report, error) {
	var assets isms.InformationAssetList
	if err := r.Client.List(ctx, &assets, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var risks isms.RiskList
	if err := r.Client.List(ctx, &risks, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	risksOf := map[string][]isms.Risk{}
	for _, risk := range risks.Items {
		if risk.Spec.AssetRef != nil {
			risksOf[risk.Spec.AssetRef.Name] = append(risksOf[risk.Spec.AssetRef.Name], risk)
		}
	}
	var reported []openreports.Asset
	for i := range assets.Items {
		if asset := &assets.Items[i]; asset.DeletionTimestamp.IsZero() {
			reported = append(reported, openreports.Asset{Asset: asset, Outcomes: openreports.FromStatus(asset), Risks: risksOf[asset.Name]})
		}
	}
	if len(reported) == 0 {
		return nil, nil
	}
	return openreports.Build(ns, reported, r.Matrix), nil
}

// same reports whether the Report already says what want says.
func same(current, want *orv1alpha1.Report) bool {
	return current.Source == want.Source && current.Annotations[openreports.AnnotationOmitted] == want.Annotations[openreports.AnnotationOmitted] &&
		equality.Semantic.DeepEqual(current.Summary, want.Summary) && equality.Semantic.DeepEqual(current.Results, want.Results) &&
		equality.Semantic.DeepEqual(current.Configuration, want.Configuration)
}

// write logs a write of the Report and returns its error, if any, for a retry with backoff.
// A namespace being deleted takes its assets with it: its Report is not written.
func (r *Reconciler) write(ctx context.Context, verb string, err error) error {
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s the OpenReports Report: %w", verb, err)
	}
	log.FromContext(ctx).V(1).Info("Wrote the OpenReports Report", "verb", verb)
	return nil
}
