package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
)

// The asset reconciler reads, and only reads, everything the controls look at. It never
// reads Secrets: ACC-03 works from pod specs and RBAC objects.
//
// +kubebuilder:rbac:groups="",resources=namespaces;pods;persistentvolumeclaims;persistentvolumes;services;serviceaccounts,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets,verbs=get;list;watch
// +kubebuilder:rbac:groups=batch,resources=jobs;cronjobs,verbs=get;list;watch
// +kubebuilder:rbac:groups=storage.k8s.io,resources=storageclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses;networkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings;clusterroles;clusterrolebindings,verbs=get;list;watch
// +kubebuilder:rbac:groups=security.istio.io,resources=peerauthentications,verbs=get;list;watch

// InformationAssetReconciler evaluates each InformationAsset's controls against the
// workloads that hold it and writes the result to its status.
type InformationAssetReconciler struct {
	client.Client
	// Gatherer reads an asset's evidence from the cache.
	Gatherer *evidence.Gatherer
	// Recorder emits Events when a control starts or stops failing.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Reconcile gathers the asset's evidence, evaluates the catalogue, and writes status once,
// only when it changed.
func (r *InformationAssetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	asset := &isms.InformationAsset{}
	if err := r.Get(ctx, req.NamespacedName, asset); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !asset.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	now := r.now()

	ev, err := r.Gatherer.Gather(ctx, asset, now)
	if invalid := (evidence.InvalidSelectorError{}); errors.As(err, &invalid) {
		status := *asset.Status.DeepCopy()
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionFalse,
			Reason: isms.ReasonEvaluationFailed, Message: invalid.Error() + "; fix the selector", ObservedGeneration: asset.Generation})
		status.ObservedGeneration = asset.Generation
		return ctrl.Result{}, errors.Join(r.patchStatus(ctx, asset, status, now), reconcile.TerminalError(err))
	}
	if err != nil {
		return ctrl.Result{}, err
	}

	eval := controls.Evaluate(ev)
	previous := asset.Status.Findings
	if err := r.patchStatus(ctx, asset, assetStatus(asset, ev.Workloads, eval), now); err != nil {
		return ctrl.Result{}, err
	}
	r.recordTransitions(asset, previous, eval.Results)
	return ctrl.Result{RequeueAfter: untilRecheck(eval.RecheckAt, now)}, nil
}

func (r *InformationAssetReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// patchStatus writes status when it differs from the asset's, stamping lastEvaluated.
func (r *InformationAssetReconciler) patchStatus(ctx context.Context, asset *isms.InformationAsset, status isms.InformationAssetStatus, now time.Time) error {
	if equality.Semantic.DeepEqual(asset.Status, status) {
		return nil
	}
	status.LastEvaluated = &metav1.Time{Time: now}
	patch := client.MergeFrom(asset.DeepCopy())
	asset.Status = status
	if err := r.Status().Patch(ctx, asset, patch); err != nil {
		return fmt.Errorf("patching the status of InformationAsset %s/%s: %w", asset.Namespace, asset.Name, err)
	}
	log.FromContext(ctx).V(1).Info("Updated the asset's status", "compliance", status.Compliance)
	return nil
}

// recordTransitions emits a Warning Event for each control that started failing and a
// Normal one for each that stopped, comparing the findings before and after.
func (r *InformationAssetReconciler) recordTransitions(asset *isms.InformationAsset, previous []isms.Finding, results []controls.Result) {
	for _, result := range results {
		was := failedAt(previous, result.Control, result.Level)
		is := result.Status == controls.StatusFail
		switch {
		case is && !was:
			first := firstAt(result)
			r.Recorder.Eventf(asset, nil, corev1.EventTypeWarning, "ControlFailing", "Evaluate",
				"%s (%s) started failing: %s: %s", result.Control, result.Level, first.Resource, first.Message)
		case was && !is:
			r.Recorder.Eventf(asset, nil, corev1.EventTypeNormal, "ControlPassing", "Evaluate",
				"%s (%s) no longer fails", result.Control, result.Level)
		}
	}
}

// firstAt returns the first finding at the control's own level.
func firstAt(result controls.Result) isms.Finding {
	for _, f := range result.Findings {
		if f.Level == result.Level {
			return f
		}
	}
	return isms.Finding{}
}

// failedAt reports whether findings show the control failing at level.
func failedAt(findings []isms.Finding, control isms.ControlID, level isms.ControlLevel) bool {
	for _, f := range findings {
		if f.Control == control && f.Level == level {
			return true
		}
	}
	return false
}

// untilRecheck is the requeue delay for a time-based result; zero when none.
func untilRecheck(at, now time.Time) time.Duration {
	if at.IsZero() {
		return 0
	}
	return max(at.Sub(now), 0) + time.Second
}
