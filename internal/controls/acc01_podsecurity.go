package controls

import (
	"fmt"
	"strings"

	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// podSecurityEvaluator is Kubernetes' own Pod Security Standards implementation, the one
// the PodSecurity admission plugin uses.
var podSecurityEvaluator = func() psapolicy.Evaluator {
	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		panic(fmt.Sprintf("the Pod Security Standards checks are invalid: %v", err)) // a build defect, not a runtime condition
	}
	return evaluator
}()

// PodSecurityStandardFor returns the Pod Security Standard ACC-01 asks of the asset's
// pods: the asset's choice, else restricted for sensitive assets and baseline otherwise.
func PodSecurityStandardFor(asset *isms.InformationAsset) isms.PodSecurityStandard {
	if c := asset.Spec.Controls; c != nil && access(c).PodSecurityStandard != "" {
		return access(c).PodSecurityStandard
	}
	if isSensitive(asset) {
		return isms.PodSecurityRestricted
	}
	return isms.PodSecurityBaseline
}

// checkPodSecurity is ACC-01: every pod template meets the Pod Security Standard asked, at
// its latest version, judged by k8s.io/pod-security-admission.
func checkPodSecurity(e *Evidence) outcome {
	var out outcome
	standard := PodSecurityStandardFor(e.Asset)
	lv := psaapi.LevelVersion{Level: psaapi.Level(standard), Version: psaapi.LatestVersion()}
	for _, w := range e.Workloads {
		result := psapolicy.AggregateCheckResults(podSecurityEvaluator.EvaluatePod(lv, &w.Template.ObjectMeta, &w.Template.Spec))
		if result.Allowed {
			out.passed = append(out.passed, fmt.Sprintf("%s meets the %s Pod Security Standard", w.Ref(), standard))
			continue
		}
		out.findings = append(out.findings, isms.Finding{Resource: w.Ref(),
			Message: fmt.Sprintf("violates PodSecurity %q: %s", lv.String(), forbidden(result))})
	}
	return out
}

// forbidden formats the failed checks as the PodSecurity admission plugin does.
func forbidden(result psapolicy.AggregateCheckResult) string {
	var reasons []string
	for i, reason := range result.ForbiddenReasons {
		if detail := result.ForbiddenDetails[i]; detail != "" {
			reason += " (" + detail + ")"
		}
		reasons = append(reasons, reason)
	}
	return strings.Join(reasons, ", ")
}
