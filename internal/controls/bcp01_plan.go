package controls

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// PlanGracePeriod is how long a new asset waits for the ContinuityPlan it names to appear.
const PlanGracePeriod = time.Minute

// checkContinuityPlan is BCP-01: the asset names, in spec.continuityPlanRef, a
// ContinuityPlan of its namespace that lists it and is Ready.
func checkContinuityPlan(e *Evidence) outcome {
	ref := "InformationAsset/" + e.Asset.Name
	fail := func(format string, args ...any) outcome {
		return outcome{findings: []isms.Finding{{Resource: ref, Message: fmt.Sprintf(format, args...)}}}
	}
	planRef := e.Asset.Spec.ContinuityPlanRef
	if planRef == nil {
		return fail("the asset names no continuity plan; set spec.continuityPlanRef to a ContinuityPlan that covers it")
	}
	i := slices.IndexFunc(e.Plans, func(p isms.ContinuityPlan) bool { return p.Name == planRef.Name })
	if i < 0 && e.Offline {
		return outcome{notEvaluated: fmt.Sprintf("not evaluated: ContinuityPlan %q, named in spec.continuityPlanRef, is not among the manifests; audit them together", planRef.Name)}
	}
	if waitUntil := e.Asset.CreationTimestamp.Add(PlanGracePeriod); i < 0 && e.Now.Before(waitUntil) {
		// An asset and its plan are usually applied together; give the plan a moment to
		// appear before recording a failure that would stay in the register.
		return outcome{notEvaluated: fmt.Sprintf("not evaluated yet: waiting for ContinuityPlan %q, named in spec.continuityPlanRef", planRef.Name), recheckAt: waitUntil}
	}
	if i < 0 {
		return fail("spec.continuityPlanRef names ContinuityPlan %q, which does not exist in the namespace", planRef.Name)
	}
	plan := e.Plans[i]
	if !slices.ContainsFunc(plan.Spec.Assets, func(a isms.LocalObjectReference) bool { return a.Name == e.Asset.Name }) {
		return fail("ContinuityPlan %q does not list the asset in spec.assets", plan.Name)
	}
	if e.Offline {
		// A status in the manifests is a copy, maybe stale: only the operator's is evidence.
		return outcome{notEvaluated: fmt.Sprintf("not evaluated: ContinuityPlan %q lists the asset; whether it is Ready (backups, exercises, dependencies) is only known in a cluster", plan.Name)}
	}
	ready := meta.FindStatusCondition(plan.Status.Conditions, isms.ConditionReady)
	seen := slices.ContainsFunc(plan.Status.Assets, func(a isms.AssetContinuityStatus) bool {
		return a.Name == e.Asset.Name && a.State != isms.AssetNotFound
	})
	switch {
	case ready == nil || ready.ObservedGeneration != plan.Generation || !seen:
		// No evidence either way yet: a new plan, one just changed, or one last evaluated
		// before this asset existed.
		return outcome{notEvaluated: fmt.Sprintf("not evaluated yet: ContinuityPlan %q has not been evaluated with this asset", plan.Name)}
	case ready.Status != metav1.ConditionTrue:
		return fail("ContinuityPlan %q is not Ready: %s", plan.Name, ready.Message)
	}
	return outcome{passed: []string{fmt.Sprintf("ContinuityPlan %q covers the asset and is Ready", plan.Name)}}
}
