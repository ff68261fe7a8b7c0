package controllers

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/register"
)

// RiskReconciler is the one writer of every Risk's status: the drift the asset reconciler
// observed (read from the asset's status), score, rating, state, history and conditions,
// acceptance and its expiry, closure, overdue reviews and actions. It resolves a Detected
// risk whose asset is gone, level-based, whether or not anything saw the deletion.
type RiskReconciler struct {
	client.Client
	// APIReader reads an asset past the cache for the first status of a new Risk, whose
	// asset the cache may not yet show failing.
	APIReader client.Reader
	// Rules are the matrix and risk appetite the register applies.
	Rules register.Rules
	// Recorder emits Events on state changes.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now Clock
	// IncidentsWatched reports whether SecurityIncidents are served and cached; until they
	// are, no incident asks for a review.
	IncidentsWatched func() bool

	status *statusWriter
}

// Reconcile writes the risk's status when it changed, and requeues at the next time
// something falls due (a review, an action, an acceptance's expiry).
func (r *RiskReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	risk := &isms.Risk{}
	if err := r.Get(ctx, req.NamespacedName, risk); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.status.Behind(risk) {
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	now := r.Now.now()
	asset, detection, err := r.observe(ctx, risk)
	if err != nil {
		return ctrl.Result{}, err
	}
	updated := risk.DeepCopy()
	updated.Status = register.Status(risk, detection, now, r.Rules)
	closed, err := r.closedIncidents(ctx, risk)
	if err != nil {
		return ctrl.Result{}, err
	}
	register.RequestReview(risk, &updated.Status, closed, now)
	written, err := r.status.Write(ctx, risk, updated)
	if err != nil {
		return writeFailed(ctx, r.Recorder, risk, "risk", err)
	}
	if written {
		recordRiskTransition(r.Recorder, risk.Status.State, updated, asset)
	}
	return recheckAfter(untilRecheck(register.RecheckAt(updated, now), now)), nil
}

// observe reads what the asset's status says of the control a register record tracks;
// nil for a Declared risk, a Detected risk that is not a record, or a control whose
// outcome is not known either way. The asset is returned, when it exists, for Events.
//
// A record with no state yet was raised after the asset's status showed the control
// failing. If the cache does not show that, the asset is read past the cache, so that a
// status the cache has not caught up with is never taken for a correction.
func (r *RiskReconciler) observe(ctx context.Context, risk *isms.Risk) (*isms.InformationAsset, *register.Detection, error) {
	if !register.IsRecord(risk) {
		return nil, nil, nil
	}
	key := types.NamespacedName{Namespace: risk.Namespace, Name: risk.Spec.AssetRef.Name}
	asset, d, err := r.detect(ctx, r.Client, key, risk.Spec.Control)
	if err == nil && len(risk.Status.History) == 0 && (d == nil || d.Outcome != isms.OutcomeFail || d.Level != isms.LevelRequired) {
		asset, d, err = r.detect(ctx, r.APIReader, key, risk.Spec.Control)
	}
	return asset, d, err
}

func (r *RiskReconciler) detect(ctx context.Context, reader client.Reader, key types.NamespacedName, control isms.ControlID) (*isms.InformationAsset, *register.Detection, error) {
	asset := &isms.InformationAsset{}
	if err := reader.Get(ctx, key, asset); apierrors.IsNotFound(err) {
		return nil, &register.Detection{AssetRemoved: true}, nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("reading InformationAsset %s: %w", key, err)
	}
	return asset, detection(asset, control), nil
}

// detection is what an asset's status says of one control: nil when it has no outcome
// for it, or one that decides nothing (a Required control not evaluated yet).
func detection(asset *isms.InformationAsset, control isms.ControlID) *register.Detection {
	for _, outcome := range asset.Status.Controls {
		if outcome.Control != control {
			continue
		}
		if outcome.Status == isms.OutcomeNotEvaluated && outcome.Level == isms.LevelRequired {
			return nil
		}
		d := &register.Detection{Level: outcome.Level, Outcome: outcome.Status}
		for _, f := range asset.Status.Findings {
			if f.Control == control && f.Level == isms.LevelRequired {
				d.Evidence = append(d.Evidence, f)
			}
		}
		return d
	}
	return nil
}

// closedIncidents reads from the cache the closed incidents against the risk's asset.
func (r *RiskReconciler) closedIncidents(ctx context.Context, risk *isms.Risk) ([]register.ClosedIncident, error) {
	if risk.Spec.AssetRef == nil || r.IncidentsWatched == nil || !r.IncidentsWatched() {
		return nil, nil
	}
	incidents, err := incidentsOfAsset(ctx, r.Client, risk.Namespace, risk.Spec.AssetRef.Name)
	if err != nil {
		return nil, err
	}
	var closed []register.ClosedIncident
	for _, incident := range incidents {
		if c := incident.Spec.Closure; c != nil {
			closed = append(closed, register.ClosedIncident{Name: incident.Name, ClosedAt: c.ClosedAt.Time})
		}
	}
	return closed, nil
}

// risksOfIncident maps an incident to the Risks of its assets.
func risksOfIncident(reader client.Reader) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		risks, err := risksOfAssets(ctx, reader, obj.GetNamespace(), incidentAssets(obj)...)
		if err != nil {
			log.FromContext(ctx).Error(err, "Could not map an incident to its assets' Risks")
			return nil
		}
		return requestsFor(risks)
	}
}

// closureChanged lets through the incident changes a Risk reads: a closed incident's
// creation, a change of its closure or its assets.
var closureChanged = predicate.Funcs{CreateFunc: func(e event.CreateEvent) bool {
	return e.Object.(*isms.SecurityIncident).Spec.Closure != nil
}, UpdateFunc: func(e event.UpdateEvent) bool {
	before, after := e.ObjectOld.(*isms.SecurityIncident), e.ObjectNew.(*isms.SecurityIncident)
	return !equality.Semantic.DeepEqual(before.Spec.Closure, after.Spec.Closure) || !equality.Semantic.DeepEqual(before.Spec.AssetRefs, after.Spec.AssetRefs)
}}

// SetupWithManager watches Risks (a person's decisions, the webhook's record of who
// accepted, and a status anyone else changed) and InformationAssets, whose status changes
// are the drift the register records.
func (r *RiskReconciler) SetupWithManager(mgr ctrl.Manager) (controller.Controller, error) {
	r.status = newStatusWriter(mgr.GetClient())
	return ctrl.NewControllerManagedBy(mgr).Named("risk").
		WithOptions(controllerOptions()).
		For(&isms.Risk{}, builder.WithPredicates(predicate.Or[client.Object](
			r.status.statusChanges(func(o client.Object) any { return o.(*isms.Risk).Status }),
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&isms.InformationAsset{}, enqueueMapped(r.recordsOf), builder.WithPredicates(outcomesChanged)).
		Build(r)
}

// recordsOf maps an asset to the register's records of its controls.
func (r *RiskReconciler) recordsOf(ctx context.Context, obj client.Object) []reconcile.Request {
	risks, err := risksOfAssets(ctx, r.Client, obj.GetNamespace(), obj.GetName())
	if err != nil {
		log.FromContext(ctx).Error(err, "Could not map an asset to its Risks")
		return nil
	}
	return requestsFor(slices.DeleteFunc(risks, func(r isms.Risk) bool { return !register.IsRecord(&r) }))
}

// outcomesChanged lets through the asset updates the register reads: a change of its
// controls' outcomes or findings.
var outcomesChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	before, after := e.ObjectOld.(*isms.InformationAsset), e.ObjectNew.(*isms.InformationAsset)
	return !equalOutcomes(before.Status, after.Status)
}}

func equalOutcomes(a, b isms.InformationAssetStatus) bool {
	return equality.Semantic.DeepEqual(a.Controls, b.Controls) && equality.Semantic.DeepEqual(a.Findings, b.Findings)
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
	note := bounds.Cut(fmt.Sprintf("Risk %s is %s (score %d, %s): %s", risk.Name, st.State, st.Score, st.Rating, entry.Message), bounds.EventNote)
	recorder.Eventf(risk, nil, eventType, entry.Reason, "Transition", "%s", note)
	if asset != nil {
		recorder.Eventf(asset, risk, eventType, entry.Reason, "Transition", "%s", note)
	}
}
