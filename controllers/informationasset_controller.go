package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/register"
)

// Clock is the reconcilers' time source, so tests can move time; nil means time.Now.
type Clock func() time.Time

func (c Clock) now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

// cacheBehindRetry is how soon to look again when the cache has not yet caught up with
// the operator's own write (a status, or a Risk it created).
const cacheBehindRetry = 100 * time.Millisecond

// legacyFinalizer was put on assets by earlier versions, to resolve their Risks before
// deletion. The risk controller now resolves them level-based once the asset is gone, so
// the operator removes it: a deletion must never wait for the operator.
const legacyFinalizer = "isms.nhs.uk/risk-register"

// The asset reconciler reads, and only reads, everything the controls look at. It never
// reads Secrets: ACC-03 works from pod specs and RBAC objects. It writes the status of
// assets, creates Risks (whose status the risk controller writes), and removes the
// finalizer of earlier versions from assets.
//
// +kubebuilder:rbac:groups="",resources=namespaces;pods;persistentvolumeclaims;persistentvolumes;services;serviceaccounts,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets;replicasets,verbs=get;list;watch
// +kubebuilder:rbac:groups=batch,resources=jobs;cronjobs,verbs=get;list;watch
// +kubebuilder:rbac:groups=storage.k8s.io,resources=storageclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses;networkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings;clusterroles;clusterrolebindings,verbs=get;list;watch
// +kubebuilder:rbac:groups=security.istio.io,resources=peerauthentications,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gateways;httproutes;grpcroutes;tlsroutes;referencegrants,verbs=get;list;watch
// +kubebuilder:rbac:groups=isms.nhs.uk,resources=informationassets,verbs=patch
// +kubebuilder:rbac:groups=isms.nhs.uk,resources=risks,verbs=create

// InformationAssetReconciler evaluates each InformationAsset's controls against the
// workloads that hold it, raises a Risk for each Required control that fails, and writes
// the asset's status.
type InformationAssetReconciler struct {
	client.Client
	// Gatherer reads an asset's evidence from the cache.
	Gatherer *evidence.Gatherer
	// Recorder emits Events when a control starts or stops failing, and when the register
	// cannot record a failure.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now Clock

	status *statusWriter
}

// assessment is what one reconcile gathered and evaluated of an asset.
type assessment struct {
	evidence *controls.Evidence
	eval     controls.Evaluation
	// unevaluable is why nothing could be evaluated (an invalid selector, evidence that
	// could not be read); nil when the evaluation stands.
	unevaluable error
	// records are the Risks at each control's deterministic name, whoever owns them.
	records map[isms.ControlID]*isms.Risk
	// risks are every Risk that names the asset, Detected or Declared.
	risks []isms.Risk
}

// Reconcile gathers the asset's evidence, evaluates the catalogue, writes the asset's
// status once, only when it changed, and then raises a Risk for each Required control
// that fails and has none. The risk controller keeps every Risk's status from there.
func (r *InformationAssetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	asset := &isms.InformationAsset{}
	if err := r.Get(ctx, req.NamespacedName, asset); err != nil {
		if apierrors.IsNotFound(err) {
			forgetAssetMetrics(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.status.Behind(asset) {
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	if controllerutil.ContainsFinalizer(asset, legacyFinalizer) {
		return ctrl.Result{}, r.removeLegacyFinalizer(ctx, asset)
	}
	if !asset.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // its Risks are resolved by the risk controller once it is gone
	}
	now := r.Now.now()
	started := time.Now()
	a, err := r.assess(ctx, asset, now)
	if err != nil {
		return ctrl.Result{}, err
	}
	status := assetStatus(asset, a, now)
	recordAssetMetrics(asset, a.eval, compliance(status), time.Since(started))

	updated := asset.DeepCopy()
	updated.Status = status
	if written, err := r.status.Write(ctx, asset, updated); err != nil {
		return r.writeFailed(ctx, asset, err)
	} else if written {
		log.FromContext(ctx).V(1).Info("Updated the asset's status", "compliance", status.Compliance)
		r.recordTransitions(asset, a, status)
	}
	if a.unevaluable != nil {
		return ctrl.Result{}, gatherError(a.unevaluable)
	}
	if err := r.raiseRisks(ctx, updated, a); err != nil {
		return r.writeFailed(ctx, updated, err)
	}
	return recheckAfter(requeueAfter(a.eval.RecheckAt, status, now)), nil
}

// assess gathers the asset's evidence, evaluates it, and reads the register's records of
// the asset. Evidence that cannot be gathered is recorded in the assessment, not returned:
// the status must say the asset is not evaluated rather than keep an old result.
func (r *InformationAssetReconciler) assess(ctx context.Context, asset *isms.InformationAsset, now time.Time) (assessment, error) {
	var a assessment
	if a.evidence, a.unevaluable = r.Gatherer.Gather(ctx, asset, now); a.unevaluable == nil {
		a.eval = controls.Evaluate(a.evidence)
	}
	a.records = map[isms.ControlID]*isms.Risk{}
	for _, c := range controls.Catalogue {
		risk := &isms.Risk{}
		err := r.Get(ctx, types.NamespacedName{Namespace: asset.Namespace, Name: register.Name(asset.Name, c.ID)}, risk)
		switch {
		case err == nil:
			a.records[c.ID] = risk
		case !apierrors.IsNotFound(err):
			return a, fmt.Errorf("reading the risk register: %w", err)
		}
	}
	var err error
	a.risks, err = risksOfAssets(ctx, r.Client, asset.Namespace, asset.Name)
	return a, err
}

// gatherError is how a failed gathering ends the reconcile: an invalid selector waits for
// the asset to change (its status says what to fix); anything else is retried.
func gatherError(err error) error {
	if errors.As(err, &evidence.InvalidSelectorError{}) {
		return nil
	}
	return err
}

// raiseRisks creates the Risk of each Required control that fails and has none. A Risk
// that exists already (the cache is behind) is the normal path of deterministic names.
func (r *InformationAssetReconciler) raiseRisks(ctx context.Context, asset *isms.InformationAsset, a assessment) error {
	for _, result := range a.eval.Results {
		if result.Level != isms.LevelRequired || result.Status != controls.StatusFail || a.records[result.Control] != nil {
			continue
		}
		risk := register.NewRisk(asset, result.Control, controls.Exposed(a.evidence, requiredFindings(result)))
		if _, err := bounds.Fit(risk, r.Scheme()); err != nil {
			return err
		}
		if err := r.Create(ctx, risk); apierrors.IsAlreadyExists(err) {
			log.FromContext(ctx).V(1).Info("Found the risk already raised", "risk", risk.Name)
			continue
		} else if err != nil {
			return fmt.Errorf("raising Risk %s for %s: %w", risk.Name, result.Control, err)
		}
		log.FromContext(ctx).Info("Raised a risk", "risk", risk.Name, "control", result.Control)
	}
	return nil
}

// writeFailed turns a failed write into the reconcile's outcome. An asset deleted meanwhile
// needs nothing; a conflict (the cache was behind) retries soon, quietly. A write the API server refused is shown on the asset, as
// Stalled with the API's message, and in a Warning Event, and is not retried until the
// asset or what it reads changes: retrying cannot fix it.
func (r *InformationAssetReconciler) writeFailed(ctx context.Context, asset *isms.InformationAsset, err error) (ctrl.Result, error) {
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil // the asset was deleted meanwhile
	case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
		log.FromContext(ctx).V(1).Info("Retrying on a newer version", "reason", err.Error())
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	if !refused(err) {
		return ctrl.Result{}, err
	}
	message := bounds.Cut("The API server refused the operator's write: "+err.Error(), bounds.ConditionMessage)
	r.Recorder.Eventf(asset, nil, corev1.EventTypeWarning, isms.ReasonWriteRefused, "WriteStatus", "%s", message)
	stalled := asset.DeepCopy()
	stalled.Status.ObservedGeneration = asset.Generation
	for _, c := range []metav1.Condition{
		{Type: isms.ConditionStalled, Status: metav1.ConditionTrue, Reason: isms.ReasonWriteRefused, Message: message},
		{Type: isms.ConditionReady, Status: metav1.ConditionFalse, Reason: isms.ReasonWriteRefused, Message: message},
		{Type: isms.ConditionCompliant, Status: metav1.ConditionUnknown, Reason: isms.ReasonWriteRefused,
			Message: "The result could not be recorded: see the Stalled condition."},
	} {
		c.ObservedGeneration = asset.Generation
		meta.SetStatusCondition(&stalled.Status.Conditions, c)
	}
	stalled.Status.Compliance = notEvaluated
	if _, werr := r.status.Write(ctx, asset, stalled); werr != nil {
		return ctrl.Result{}, fmt.Errorf("%w; recording that on the asset failed too: %w", err, werr)
	}
	log.FromContext(ctx).Info("The API server refused a write; the asset is Stalled until it changes", "reason", err.Error())
	return ctrl.Result{}, nil
}

// refused reports whether the API server refused a write for what it held or who sent it,
// which no retry can change.
func refused(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsForbidden(err) || apierrors.IsBadRequest(err) || apierrors.IsRequestEntityTooLargeError(err)
}

// removeLegacyFinalizer removes the finalizer of earlier versions; the next reconcile
// evaluates the asset.
func (r *InformationAssetReconciler) removeLegacyFinalizer(ctx context.Context, asset *isms.InformationAsset) error {
	// The lock keeps a merge patch of the finalizer list from dropping another's finalizer.
	patch := client.MergeFromWithOptions(asset.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(asset, legacyFinalizer)
	return client.IgnoreNotFound(r.Patch(ctx, asset, patch))
}

// requiredFindings are the findings of a result at level Required.
func requiredFindings(result controls.Result) []isms.Finding {
	var findings []isms.Finding
	for _, f := range result.Findings {
		if f.Level == isms.LevelRequired {
			findings = append(findings, f)
		}
	}
	return findings
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

// recordTransitions emits, after a status write, a Warning Event for each control that
// started failing and a Normal one for each that stopped, and a Warning when a Risk name
// conflict appears.
func (r *InformationAssetReconciler) recordTransitions(asset *isms.InformationAsset, a assessment, status isms.InformationAssetStatus) {
	for _, result := range a.eval.Results {
		if result.Status == controls.StatusNotEvaluated {
			continue // no evidence either way: neither started nor stopped failing
		}
		was := failedAt(asset.Status.Findings, result.Control, result.Level)
		is := result.Status == controls.StatusFail
		switch {
		case is && !was:
			first := firstAt(result)
			r.Recorder.Eventf(asset, nil, corev1.EventTypeWarning, "ControlFailing", evaluateAction(result.Control), "%s",
				bounds.Cut(fmt.Sprintf("%s (%s) started failing: %s: %s", result.Control, result.Level, first.Resource, first.Message), bounds.EventNote))
		case was && !is:
			r.Recorder.Eventf(asset, nil, corev1.EventTypeNormal, "ControlPassing", evaluateAction(result.Control),
				"%s (%s) no longer fails", result.Control, result.Level)
		}
	}
	stalled := meta.FindStatusCondition(status.Conditions, isms.ConditionStalled)
	before := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionStalled)
	if stalled != nil && stalled.Reason == isms.ReasonRiskNameConflict && (before == nil || before.Message != stalled.Message) {
		r.Recorder.Eventf(asset, nil, corev1.EventTypeWarning, isms.ReasonRiskNameConflict, "RaiseRisk", "%s", bounds.Cut(stalled.Message, bounds.EventNote))
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

// conflictRetry bounds how long a Risk name conflict waits between retries; a change of the
// conflicting Risk wakes the asset at once (the risk-name index).
const (
	minConflictRetry = 5 * time.Second
	maxConflictRetry = 10 * time.Minute
)

// requeueAfter is when to evaluate the asset again with nothing changing: at the next
// time-based result (a review falling due), and, while a Risk name conflict lasts, with a
// backoff that doubles with the conflict's age.
func requeueAfter(recheckAt time.Time, status isms.InformationAssetStatus, now time.Time) time.Duration {
	next := untilRecheck(recheckAt, now)
	if c := meta.FindStatusCondition(status.Conditions, isms.ConditionStalled); c != nil && c.Reason == isms.ReasonRiskNameConflict {
		backoff := min(max(now.Sub(c.LastTransitionTime.Time), minConflictRetry), maxConflictRetry)
		if next == 0 || backoff < next {
			next = backoff
		}
	}
	return next
}

// recheckAfter is the result of a reconcile to be repeated after d (none when zero) as time
// alone changes its outcome. The requeue is at low priority: the queue keeps a waiting
// item's priority when a change adds it again, so a requeue at the priority of the change
// that last woke the asset would let a later burst of changes that maps to it (a workload
// 500 assets select) queue ahead of drift elsewhere.
func recheckAfter(d time.Duration) ctrl.Result {
	if d == 0 {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: d, Priority: ptr.To(handler.LowPriority)}
}

// untilRecheck is the requeue delay for a time-based result; zero when none.
func untilRecheck(at, now time.Time) time.Duration {
	if at.IsZero() {
		return 0
	}
	return max(at.Sub(now), 0) + time.Second
}
