package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// RiskReconciler keeps every Risk's score, rating, state, history and conditions current:
// acceptance and its expiry, closure, overdue reviews and actions. Detected risks' drift is
// reported by the InformationAsset reconciler; both compute status with register.Status.
type RiskReconciler struct {
	client.Client
	// Matrix scores and rates Risks.
	Matrix riskmatrix.Matrix
	// Recorder emits Events on state changes.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now Clock
	// AcceptanceRecorded says admission records who accepts a risk (Config.AcceptanceRecorded).
	AcceptanceRecorded bool
}

// Reconcile writes the risk's status when it changed, and requeues at the next time
// something falls due (a review, an action, an acceptance's expiry).
func (r *RiskReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	risk := &isms.Risk{}
	if err := r.Get(ctx, req.NamespacedName, risk); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if risk.Spec.Source == isms.SourceDetected && meta.FindStatusCondition(risk.Status.Conditions, isms.ConditionControlFailing) == nil {
		return ctrl.Result{}, nil // just created: the asset reconciler writes its first status
	}
	now := r.Now.now()
	status := riskStatus(risk, nil, now, r.Matrix, r.AcceptanceRecorded)
	if !equality.Semantic.DeepEqual(risk.Status, status) {
		previous := risk.Status.State
		risk.Status = status
		// Update carries the resourceVersion read, so a concurrent change by the asset
		// reconciler is never overwritten: the conflict retries with the fresh Risk.
		if err := r.Status().Update(ctx, risk); err != nil {
			return ctrl.Result{}, fmt.Errorf("writing the status of risk %s/%s: %w", risk.Namespace, risk.Name, err)
		}
		asset := &isms.InformationAsset{}
		if ref := risk.Spec.AssetRef; ref == nil || r.Get(ctx, types.NamespacedName{Namespace: risk.Namespace, Name: ref.Name}, asset) != nil {
			asset = nil
		}
		recordRiskTransition(r.Recorder, previous, risk, asset)
	}
	result := ctrl.Result{}
	if next := register.RecheckAt(risk, now); !next.IsZero() {
		result.RequeueAfter = next.Sub(now) + time.Second
	}
	return result, nil
}

// SetupWithManager watches Risks: spec and annotation changes (a person's decisions and
// the webhook's record of who accepted), and state changes the asset reconciler makes.
func (r *RiskReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).Named("risk").
		For(&isms.Risk{}, builder.WithPredicates(predicate.Or[client.Object](
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, stateChanged))).
		Complete(r)
}

// stateChanged lets through updates that change a Risk's state, or who accepted it: only
// the operator may write that, so a change by anyone else is put back.
var stateChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	before, after := e.ObjectOld.(*isms.Risk), e.ObjectNew.(*isms.Risk)
	return before.Status.State != after.Status.State || !equality.Semantic.DeepEqual(before.Status.AcceptedBy, after.Status.AcceptedBy)
}}

// riskStatus is register.Status, with acceptedBy left empty when admission does not record
// it: the annotations it comes from are then only a client's word.
func riskStatus(risk *isms.Risk, d *register.Detection, now time.Time, m riskmatrix.Matrix, acceptanceRecorded bool) isms.RiskStatus {
	status := register.Status(risk, d, now, m)
	if !acceptanceRecorded {
		status.AcceptedBy = nil
	}
	return status
}

// recordRiskTransition emits an Event on the Risk and, when it is known, on its asset when
// the Risk's state changed, quoting the history entry the change made.
func recordRiskTransition(recorder events.EventRecorder, previous isms.RiskState, risk *isms.Risk, asset *isms.InformationAsset) {
	st := risk.Status
	if st.State == previous || len(st.History) == 0 {
		return
	}
	entry := st.History[len(st.History)-1]
	eventType := corev1.EventTypeNormal
	if st.State == isms.StateOpen {
		eventType = corev1.EventTypeWarning
	}
	note := fmt.Sprintf("Risk %s is %s (score %d, %s): %s", risk.Name, st.State, st.Score, st.Rating, entry.Message)
	recorder.Eventf(risk, nil, eventType, entry.Reason, "Transition", "%s", note)
	if asset != nil {
		recorder.Eventf(asset, risk, eventType, entry.Reason, "Transition", "%s", note)
	}
}
