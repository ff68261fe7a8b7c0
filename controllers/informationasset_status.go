package controllers

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

const (
	// maxFindingsPerControl and maxWorkloadNames bound the lists in an asset's status
	// (api.md): one control with many failing resources must not hide another's findings.
	maxFindingsPerControl = 8
	maxWorkloadNames      = 32
	// maxPassedInMessage bounds how much passing evidence a condition message quotes.
	maxPassedInMessage = 3
)

// assetStatus computes an asset's status from an evaluation. It starts from the current
// status so that lastEvaluated, risks and each condition's lastTransitionTime stay as they
// are unless something changed; the caller stamps lastEvaluated when the result differs.
func assetStatus(asset *isms.InformationAsset, workloads []controls.Workload, eval controls.Evaluation, risks []isms.Risk) isms.InformationAssetStatus {
	status := isms.InformationAssetStatus{
		ObservedGeneration: asset.Generation,
		LastEvaluated:      asset.Status.LastEvaluated,
		Risks:              riskSummary(risks),
		Workloads:          workloadSummary(workloads),
		Conditions:         append([]metav1.Condition(nil), asset.Status.Conditions...),
	}
	acceptedControls := map[isms.ControlID]bool{}
	for _, risk := range risks {
		if risk.Spec.Source == isms.SourceDetected && risk.Status.State == isms.StateAccepted {
			acceptedControls[risk.Spec.Control] = true
		}
	}
	summary := isms.ComplianceSummary{}
	var failing, accepted, recommendedFailing []string
	var undecided []controls.Result
	for _, r := range eval.Results {
		status.Controls = append(status.Controls, isms.ControlOutcome{Control: r.Control, Level: r.Level, Status: r.Status})
		status.Findings = append(status.Findings, boundedFindings(r)...)
		switch {
		case r.Status == controls.StatusNotEvaluated && r.Level == isms.LevelNotRequired:
		case r.Status == controls.StatusNotEvaluated:
			undecided = append(undecided, r)
		case r.Level == isms.LevelRequired:
			summary.Required++
			switch {
			case r.Status != controls.StatusFail:
				summary.Passing++
			case acceptedControls[r.Control]:
				summary.Accepted++
				accepted = append(accepted, string(r.Control))
			default:
				summary.Failing++
				failing = append(failing, string(r.Control))
			}
		case r.Status == controls.StatusFail:
			recommendedFailing = append(recommendedFailing, string(r.Control))
		}
	}
	status.Summary = &summary
	status.Compliance = fmt.Sprintf("%d/%d", summary.Passing+summary.Accepted, summary.Required)

	set := func(c metav1.Condition) {
		c.ObservedGeneration = asset.Generation
		meta.SetStatusCondition(&status.Conditions, c)
	}
	for _, family := range controls.Families {
		set(familyCondition(family, eval.Results))
	}
	set(compliantCondition(failing, accepted, recommendedFailing, undecided))
	set(metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionTrue, Reason: isms.ReasonEvaluated,
		Message: readyMessage(undecided)})
	return status
}

// boundedFindings returns the control's first findings, and one that counts the rest.
func boundedFindings(r controls.Result) []isms.Finding {
	if len(r.Findings) <= maxFindingsPerControl {
		return r.Findings
	}
	findings := append([]isms.Finding(nil), r.Findings[:maxFindingsPerControl]...)
	return append(findings, isms.Finding{Control: r.Control, Level: r.Level,
		Message: fmt.Sprintf("and %d more findings of %s", len(r.Findings)-maxFindingsPerControl, r.Control)})
}

// maxRiskNames bounds the risk names an asset's status lists.
const maxRiskNames = 32

// riskSummary counts the asset's Open and Accepted risks, Detected or Declared.
func riskSummary(risks []isms.Risk) *isms.RiskSummary {
	summary := &isms.RiskSummary{}
	var names []string
	for _, risk := range risks {
		switch risk.Status.State {
		case isms.StateOpen:
			summary.Open++
		case isms.StateAccepted:
			summary.Accepted++
		default:
			continue
		}
		names = append(names, risk.Name)
	}
	slices.Sort(names)
	if len(names) > maxRiskNames {
		names = names[:maxRiskNames]
	}
	summary.Names = names
	return summary
}

func workloadSummary(workloads []controls.Workload) *isms.WorkloadSummary {
	summary := &isms.WorkloadSummary{Count: int32(len(workloads))}
	for _, w := range workloads {
		if len(summary.Names) == maxWorkloadNames {
			break
		}
		summary.Names = append(summary.Names, w.Ref())
	}
	return summary
}

// familyCondition summarises the controls of one family: False when a Required control
// fails, Unknown when one that applies is not evaluated yet, True otherwise.
func familyCondition(family string, results []controls.Result) metav1.Condition {
	c := metav1.Condition{Type: family}
	var applying, failing, unevaluated, recommendedFailing []controls.Result
	for _, r := range results {
		if r.Family != family || r.Level == isms.LevelNotRequired {
			continue
		}
		applying = append(applying, r)
		switch {
		case r.Status == controls.StatusNotEvaluated:
			unevaluated = append(unevaluated, r)
		case r.Status == controls.StatusFail && r.Level == isms.LevelRequired:
			failing = append(failing, r)
		case r.Status == controls.StatusFail:
			recommendedFailing = append(recommendedFailing, r)
		}
	}
	switch {
	case len(applying) == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, isms.ReasonNotRequired, "No control of this family is required for the asset."
	case len(failing) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, isms.ReasonControlsFailing, failureMessage(failing)
	case len(unevaluated) > 0:
		c.Status, c.Reason = metav1.ConditionUnknown, isms.ReasonNotEvaluated
		c.Message = fmt.Sprintf("%s %s.", ids(unevaluated), unevaluated[0].Reason)
	case len(recommendedFailing) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, isms.ReasonRecommendedControlsFailing, failureMessage(recommendedFailing)
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, isms.ReasonControlsPassing, passMessage(applying)
	}
	return c
}

// failureMessage names the failing controls and quotes the first finding of each.
func failureMessage(failing []controls.Result) string {
	var parts []string
	for _, r := range failing {
		first := firstAt(r)
		part := fmt.Sprintf("%s (%s) fails: %s: %s", r.Control, r.Level, first.Resource, first.Message)
		if more := countAtLevel(r) - 1; more > 0 {
			part += fmt.Sprintf(" (and %d more findings)", more)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ". ") + "."
}

func countAtLevel(r controls.Result) int {
	n := 0
	for _, f := range r.Findings {
		if f.Level == r.Level {
			n++
		}
	}
	return n
}

// passMessage names the passing controls and the first pieces of evidence.
func passMessage(passing []controls.Result) string {
	var evidence []string
	for _, r := range passing {
		evidence = append(evidence, r.Passed...)
	}
	message := ids(passing) + " pass"
	if len(passing) == 1 {
		message += "es"
	}
	if len(evidence) == 0 {
		return message + ": nothing in the asset's workloads falls under them."
	}
	if len(evidence) > maxPassedInMessage {
		evidence = append(evidence[:maxPassedInMessage], fmt.Sprintf("and %d more", len(evidence)-maxPassedInMessage))
	}
	return message + ": " + strings.Join(evidence, "; ") + "."
}

func ids(results []controls.Result) string {
	var names []string
	for _, r := range results {
		names = append(names, string(r.Control))
	}
	return strings.Join(names, ", ")
}

// compliantCondition: False while a Required control fails with no accepted Risk; an
// accepted failure is the organisation's recorded decision (CoP glossary "Risk
// Acceptance") and does not count against compliance.
func compliantCondition(failing, accepted, recommendedFailing []string, undecided []controls.Result) metav1.Condition {
	c := metav1.Condition{Type: isms.ConditionCompliant}
	switch {
	case len(failing) > 0:
		c.Status, c.Reason = metav1.ConditionFalse, isms.ReasonControlsFailing
		c.Message = fmt.Sprintf("%d required control%s failing: %s.", len(failing), plural(len(failing)), strings.Join(failing, ", "))
	case len(undecided) > 0:
		c.Status, c.Reason = metav1.ConditionUnknown, isms.ReasonNotEvaluated
		c.Message = "Required controls are not evaluated yet: " + undecidedReasons(undecided) + "."
	case len(accepted) > 0:
		c.Status, c.Reason = metav1.ConditionTrue, isms.ReasonFailureAccepted
		c.Message = fmt.Sprintf("Every evaluated required control passes, or fails under an accepted risk: %s.", strings.Join(accepted, ", "))
	case len(recommendedFailing) > 0:
		c.Status, c.Reason = metav1.ConditionTrue, isms.ReasonRecommendedControlsFailing
		c.Message = fmt.Sprintf("Every evaluated required control passes; recommended control%s failing: %s.", plural(len(recommendedFailing)), strings.Join(recommendedFailing, ", "))
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, isms.ReasonControlsPassing, "Every evaluated required control passes."
	}
	return c
}

func readyMessage(undecided []controls.Result) string {
	if len(undecided) > 0 {
		return "The asset was evaluated; some required controls have no evidence either way yet: " + undecidedReasons(undecided) + "."
	}
	return "Every control that applies to the asset was evaluated."
}

// undecidedReasons groups not-evaluated controls by reason: "ENC-01, ACC-01 not evaluated: ...".
func undecidedReasons(results []controls.Result) string {
	var reasons []string
	byReason := map[string][]controls.Result{}
	for _, r := range results {
		if _, seen := byReason[r.Reason]; !seen {
			reasons = append(reasons, r.Reason)
		}
		byReason[r.Reason] = append(byReason[r.Reason], r)
	}
	var parts []string
	for _, reason := range reasons {
		parts = append(parts, ids(byReason[reason])+" "+reason)
	}
	return strings.Join(parts, "; ")
}

func plural(n int) string {
	if n == 1 {
		return " is"
	}
	return "s are"
}
