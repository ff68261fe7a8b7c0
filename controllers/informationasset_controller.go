package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// Clock is the reconcilers' time source, so tests can move time; nil means time.Now.
type Clock func() time.Time

func (c Clock) now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

// errRiskExists: a Risk the register decided to create exists already.
var errRiskExists = errors.New("the risk exists already")

// cacheBehindRetry is how soon to look again after the cache was found behind: a Risk
// already created, or an asset already changed.
const cacheBehindRetry = 200 * time.Millisecond

// registerFinalizer holds an asset until its open risks are resolved with reason
// AssetRemoved, so a deletion cannot leave them open (risk.md).
const registerFinalizer = "isms.nhs.uk/risk-register"

// The asset reconciler reads, and only reads, everything the controls look at. It never
// reads Secrets: ACC-03 works from pod specs and RBAC objects. It writes the status of
// assets and Risks, creates Risks, and patches its finalizer onto assets.
//
// +kubebuilder:rbac:groups="",resources=namespaces;pods;persistentvolumeclaims;persistentvolumes;services;serviceaccounts,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets,verbs=get;list;watch
// +kubebuilder:rbac:groups=batch,resources=jobs;cronjobs,verbs=get;list;watch
// +kubebuilder:rbac:groups=storage.k8s.io,resources=storageclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses;networkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings;clusterroles;clusterrolebindings,verbs=get;list;watch
// +kubebuilder:rbac:groups=security.istio.io,resources=peerauthentications,verbs=get;list;watch
// +kubebuilder:rbac:groups=isms.nhs.uk,resources=informationassets,verbs=patch
// +kubebuilder:rbac:groups=isms.nhs.uk,resources=risks,verbs=create

// InformationAssetReconciler evaluates each InformationAsset's controls against the
// workloads that hold it, keeps its Risks in the register, and writes its status.
type InformationAssetReconciler struct {
	client.Client
	// Gatherer reads an asset's evidence from the cache.
	Gatherer *evidence.Gatherer
	// Matrix scores and rates Risks.
	Matrix riskmatrix.Matrix
	// Recorder emits Events when a control starts or stops failing and when a Risk changes state.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now Clock
	// AcceptanceRecorded says admission records who accepts a risk (Config.AcceptanceRecorded).
	AcceptanceRecorded bool
}

// Reconcile gathers the asset's evidence, evaluates the catalogue, brings its Risks up to
// date, and writes the asset's status once, only when it changed.
func (r *InformationAssetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	asset := &isms.InformationAsset{}
	if err := r.Get(ctx, req.NamespacedName, asset); err != nil {
		if client.IgnoreNotFound(err) == nil {
			forgetAssetMetrics(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	now := r.Now.now()
	if !asset.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, asset, now)
	}
	if err := r.addFinalizer(ctx, asset); err != nil {
		return ctrl.Result{}, err
	}

	started := time.Now()
	ev, err := r.Gatherer.Gather(ctx, asset, now)
	if invalid := (evidence.InvalidSelectorError{}); errors.As(err, &invalid) {
		return ctrl.Result{}, errors.Join(r.patchStatus(ctx, asset, invalidSelectorStatus(asset, invalid), now), reconcile.TerminalError(err))
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	eval := controls.Evaluate(ev)

	risks, err := r.syncRisks(ctx, asset, observation(asset, ev, eval, now))
	if errors.Is(err, errRiskExists) {
		// Another replica, or an earlier attempt, created it: the normal path of
		// deterministic names. Look again once the cache holds it.
		log.FromContext(ctx).V(1).Info("Found the risk already created; retrying from the cache", "error", err.Error())
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	previous := asset.Status.Findings
	status := assetStatus(asset, ev.Workloads, eval, risks)
	recordAssetMetrics(asset, eval, compliance(status), time.Since(started))
	if err := r.patchStatus(ctx, asset, status, now); apierrors.IsConflict(err) {
		// The cache had not yet seen this asset's last write (often the reconcile its own
		// Risk triggered): evaluate again from the fresh object, with no duplicate
		// write or event.
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	r.recordTransitions(asset, previous, eval.Results)
	return ctrl.Result{RequeueAfter: untilRecheck(eval.RecheckAt, now)}, nil
}

func (r *InformationAssetReconciler) addFinalizer(ctx context.Context, asset *isms.InformationAsset) error {
	// The lock keeps a merge patch of the finalizer list from dropping another's finalizer.
	patch := client.MergeFromWithOptions(asset.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if !controllerutil.AddFinalizer(asset, registerFinalizer) {
		return nil
	}
	return r.Patch(ctx, asset, patch)
}

// finalize resolves the deleted asset's open Detected risks (reason AssetRemoved), keeping
// them as history, and then lets the asset go.
func (r *InformationAssetReconciler) finalize(ctx context.Context, asset *isms.InformationAsset, now time.Time) error {
	if !controllerutil.ContainsFinalizer(asset, registerFinalizer) {
		return nil
	}
	if _, err := r.syncRisks(ctx, asset, register.Observation{Asset: asset, Removed: true, Now: now}); err != nil {
		return err
	}
	patch := client.MergeFromWithOptions(asset.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(asset, registerFinalizer)
	return r.Patch(ctx, asset, patch)
}

// observation is what the register needs of an evaluation: the findings of each failing
// Required control, and whether each failure is reachable from outside the cluster.
func observation(asset *isms.InformationAsset, ev *controls.Evidence, eval controls.Evaluation, now time.Time) register.Observation {
	obs := register.Observation{Asset: asset, Now: now, Failing: map[isms.ControlID][]isms.Finding{},
		Exposed: map[isms.ControlID]bool{}, Undecided: map[isms.ControlID]bool{}}
	for _, result := range eval.Results {
		if result.Status == controls.StatusNotEvaluated && result.Level != isms.LevelNotRequired {
			obs.Undecided[result.Control] = true
		}
		if result.Level != isms.LevelRequired || result.Status != controls.StatusFail {
			continue
		}
		var findings []isms.Finding
		for _, f := range result.Findings {
			if f.Level == isms.LevelRequired {
				findings = append(findings, f)
			}
		}
		obs.Failing[result.Control] = findings
		obs.Exposed[result.Control] = controls.Exposed(ev, findings)
	}
	return obs
}

// syncRisks applies the register's decisions for the observation and returns the asset's
// risks as they now stand.
func (r *InformationAssetReconciler) syncRisks(ctx context.Context, asset *isms.InformationAsset, obs register.Observation) ([]isms.Risk, error) {
	var list isms.RiskList
	if err := r.List(ctx, &list, client.InNamespace(asset.Namespace), client.MatchingFields{indexRiskAsset: asset.Name}); err != nil {
		return nil, fmt.Errorf("listing the risks of InformationAsset %s/%s: %w", asset.Namespace, asset.Name, err)
	}
	risks := list.Items
	for _, decision := range register.Decide(obs, risks, r.Matrix) {
		if !r.AcceptanceRecorded {
			decision.Risk.Status.AcceptedBy = nil
		}
		risk, err := r.apply(ctx, asset, decision)
		if err != nil {
			return nil, err
		}
		if i := indexOf(risks, risk.Name); i >= 0 {
			risks[i] = *risk
		} else {
			risks = append(risks, *risk)
		}
	}
	return risks, nil
}

func indexOf(risks []isms.Risk, name string) int {
	for i := range risks {
		if risks[i].Name == name {
			return i
		}
	}
	return -1
}

// apply writes one decision: a new Risk (then its status, which creation ignores), or an
// existing Risk's status. The update carries the resourceVersion the decision was made
// from, so a concurrent writer's change is never overwritten: the conflict retries with
// the fresh Risk.
func (r *InformationAssetReconciler) apply(ctx context.Context, asset *isms.InformationAsset, decision register.Decision) (*isms.Risk, error) {
	risk := decision.Risk
	if decision.Action == register.Create {
		status := risk.Status
		if err := r.Create(ctx, risk); apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("%w: %s/%s", errRiskExists, risk.Namespace, risk.Name)
		} else if err != nil {
			return nil, fmt.Errorf("creating risk %s/%s: %w", risk.Namespace, risk.Name, err)
		}
		risk.Status = status
	}
	if err := r.Status().Update(ctx, risk); err != nil {
		return nil, fmt.Errorf("writing the status of risk %s/%s: %w", risk.Namespace, risk.Name, err)
	}
	recordRiskTransition(r.Recorder, decision.Previous, risk, asset)
	log.FromContext(ctx).Info("Updated the risk register", "risk", risk.Name, "action", decision.Action, "state", risk.Status.State)
	return risk, nil
}

// patchStatus writes status when it differs from the asset's, stamping lastEvaluated.
func (r *InformationAssetReconciler) patchStatus(ctx context.Context, asset *isms.InformationAsset, status isms.InformationAssetStatus, now time.Time) error {
	if equality.Semantic.DeepEqual(asset.Status, status) {
		return nil
	}
	status.LastEvaluated = &metav1.Time{Time: now}
	patch := client.MergeFromWithOptions(asset.DeepCopy(), client.MergeFromWithOptimisticLock{})
	asset.Status = status
	if err := r.Status().Patch(ctx, asset, patch); err != nil {
		return fmt.Errorf("patching the status of InformationAsset %s/%s: %w", asset.Namespace, asset.Name, err)
	}
	log.FromContext(ctx).V(1).Info("Updated the asset's status", "compliance", status.Compliance)
	return nil
}

// compliance reads the Compliant condition: nil while it is Unknown.
func compliance(status isms.InformationAssetStatus) *bool {
	c := meta.FindStatusCondition(status.Conditions, isms.ConditionCompliant)
	if c == nil || c.Status == metav1.ConditionUnknown {
		return nil
	}
	compliant := c.Status == metav1.ConditionTrue
	return &compliant
}

// invalidSelectorStatus marks the asset not Ready: its selector cannot select anything.
func invalidSelectorStatus(asset *isms.InformationAsset, err error) isms.InformationAssetStatus {
	status := *asset.Status.DeepCopy()
	status.ObservedGeneration = asset.Generation
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionFalse,
		Reason: isms.ReasonEvaluationFailed, Message: err.Error() + "; fix the selector", ObservedGeneration: asset.Generation})
	return status
}

// recordTransitions emits a Warning Event for each control that started failing and a
// Normal one for each that stopped, comparing the findings before and after.
func (r *InformationAssetReconciler) recordTransitions(asset *isms.InformationAsset, previous []isms.Finding, results []controls.Result) {
	for _, result := range results {
		if result.Status == controls.StatusNotEvaluated {
			continue // no evidence either way: neither started nor stopped failing
		}
		was := failedAt(previous, result.Control, result.Level)
		is := result.Status == controls.StatusFail
		switch {
		case is && !was:
			first := firstAt(result)
			r.Recorder.Eventf(asset, nil, corev1.EventTypeWarning, "ControlFailing", evaluateAction(result.Control),
				"%s (%s) started failing: %s: %s", result.Control, result.Level, first.Resource, first.Message)
		case was && !is:
			r.Recorder.Eventf(asset, nil, corev1.EventTypeNormal, "ControlPassing", evaluateAction(result.Control),
				"%s (%s) no longer fails", result.Control, result.Level)
		}
	}
}

// evaluateAction names the evaluation of one control, e.g. EvaluateENC01. Events that
// differ only in their note are merged into one series by client-go, so each control's
// events carry their own action.
func evaluateAction(control isms.ControlID) string {
	return "Evaluate" + strings.ReplaceAll(string(control), "-", "")
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
