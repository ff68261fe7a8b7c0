package controllers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/register"
)

const (
	// maxFindingsPerControl and maxWorkloadNames bound the lists in an asset's status
	// (api.md): one control with many failing resources must not hide another's findings.
	maxFindingsPerControl = 8
	maxWorkloadNames      = 32
	// maxPassedInMessage bounds how much passing evidence a condition message quotes.
	maxPassedInMessage = 3
)

// notEvaluated is the compliance column of an asset whose compliance is Unknown.
const notEvaluated = "not evaluated"

// assetStatus computes an asset's status from an assessment. It starts from the current
// status so that each condition's lastTransitionTime stays as it is unless something
// changed, and stamps lastEvaluated with now only when the result changed.
func assetStatus(asset *isms.InformationAsset, a assessment, now time.Time) isms.InformationAssetStatus {
	status := isms.InformationAssetStatus{
		ObservedGeneration: asset.Generation,
		LastEvaluated:      asset.Status.LastEvaluated,
		Risks:              riskSummary(a.risks),
		Conditions:         append([]metav1.Condition(nil), asset.Status.Conditions...),
	}
	set := func(c metav1.Condition) {
		c.ObservedGeneration = asset.Generation
		c.Message = bounds.Cut(c.Message, bounds.ConditionMessage)
		meta.SetStatusCondition(&status.Conditions, c)
	}
	if a.unevaluable != nil {
		unevaluatedStatus(asset, a.unevaluable, &status, set)
	} else {
		evaluatedStatus(asset, a, &status, set)
	}
	if !equality.Semantic.DeepEqual(asset.Status, status) {
		status.LastEvaluated = &metav1.Time{Time: now.Truncate(time.Second)}
	}
	return status
}

// evaluatedStatus records an evaluation: each control's outcome, the findings, the
// summary, a condition per family, Compliant, and what the register could not record yet.
func evaluatedStatus(asset *isms.InformationAsset, a assessment, status *isms.InformationAssetStatus, set func(metav1.Condition)) {
	status.Workloads = workloadSummary(a.evidence.Workloads)
	summary := isms.ComplianceSummary{}
	var failing, accepted, recommendedFailing, pending, conflicts []string
	var undecided []controls.Result
	for _, r := range a.eval.Results {
		status.Controls = append(status.Controls, isms.ControlOutcome{Control: r.Control, Level: r.Level, Status: r.Status})
		status.Findings = append(status.Findings, boundedFindings(r)...)
		switch {
		case r.Status == controls.StatusNotEvaluated && r.Level == isms.LevelNotRequired:
		case r.Status == controls.StatusNotEvaluated:
			undecided = append(undecided, r)
		case r.Level == isms.LevelRequired:
			summary.Required++
			record := a.records[r.Control]
			holds := record != nil && register.Holds(record, asset.Name, r.Control)
			switch {
			case r.Status != controls.StatusFail:
				summary.Passing++
			case holds && record.Status.State == isms.StateAccepted:
				summary.Accepted++
				accepted = append(accepted, string(r.Control))
			default:
				summary.Failing++
				failing = append(failing, string(r.Control))
				switch {
				case record != nil && !holds:
					conflicts = append(conflicts, conflictMessage(record, asset.Name, r.Control))
				case record == nil || record.Status.State == "":
					pending = append(pending, register.Name(asset.Name, r.Control))
				}
			}
		case r.Status == controls.StatusFail:
			recommendedFailing = append(recommendedFailing, string(r.Control))
		}
	}
	status.Summary = &summary
	for _, family := range controls.Families {
		set(familyCondition(family, a.eval.Results))
	}
	compliant := compliantCondition(failing, accepted, recommendedFailing, undecided)
	set(compliant)
	status.Compliance = fmt.Sprintf("%d/%d", summary.Passing+summary.Accepted, summary.Required)
	if compliant.Status == metav1.ConditionUnknown {
		status.Compliance = notEvaluated
	}
	ready := metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionTrue, Reason: isms.ReasonEvaluated, Message: readyMessage(undecided)}
	if len(conflicts) > 0 {
		stalled := metav1.Condition{Type: isms.ConditionStalled, Status: metav1.ConditionTrue, Reason: isms.ReasonRiskNameConflict,
			Message: strings.Join(conflicts, " ")}
		set(stalled)
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, stalled.Reason, stalled.Message
	} else {
		meta.RemoveStatusCondition(&status.Conditions, isms.ConditionStalled)
	}
	if len(pending) > 0 {
		set(metav1.Condition{Type: isms.ConditionReconciling, Status: metav1.ConditionTrue, Reason: isms.ReasonRecordingRisks,
			Message: fmt.Sprintf("Recording failing required controls in the risk register: %s.", strings.Join(pending, ", "))})
	} else {
		meta.RemoveStatusCondition(&status.Conditions, isms.ConditionReconciling)
	}
	set(ready)
}

// conflictMessage says why the Risk at a failing control's deterministic name is not the
// register's record of it, and what to do.
func conflictMessage(risk *isms.Risk, asset string, control isms.ControlID) string {
	what := "a Declared risk"
	if risk.Spec.Source == isms.SourceDetected && risk.Spec.AssetRef != nil {
		what = fmt.Sprintf("the record of %s for InformationAsset %s", risk.Spec.Control, risk.Spec.AssetRef.Name)
	}
	return fmt.Sprintf("%s fails, but Risk %s, where the register records it, is %s, which the operator does not own; "+
		"rename that risk (copy it under another name and delete it) so that the failure can be recorded.", control, risk.Name, what)
}

// unevaluatedStatus records that nothing could be evaluated: no control has an outcome,
// Compliant is Unknown for the current generation, and a selector that can select
// nothing is Stalled until it is fixed. An earlier result is never kept.
func unevaluatedStatus(asset *isms.InformationAsset, err error, status *isms.InformationAssetStatus, set func(metav1.Condition)) {
	reason, message := isms.ReasonEvaluationFailed, "The evidence could not be read: "+err.Error()+"; the operator retries."
	if errors.As(err, &evidence.InvalidSelectorError{}) {
		reason, message = isms.ReasonInvalidSelector, err.Error()+"; fix spec.selector."
		set(metav1.Condition{Type: isms.ConditionStalled, Status: metav1.ConditionTrue, Reason: reason, Message: message})
	} else {
		meta.RemoveStatusCondition(&status.Conditions, isms.ConditionStalled)
	}
	meta.RemoveStatusCondition(&status.Conditions, isms.ConditionReconciling)
	for _, c := range controls.Catalogue {
		status.Controls = append(status.Controls, isms.ControlOutcome{Control: c.ID, Level: c.LevelFor(asset), Status: controls.StatusNotEvaluated})
	}
	status.Compliance = notEvaluated
	for _, family := range controls.Families {
		set(metav1.Condition{Type: family, Status: metav1.ConditionUnknown, Reason: reason, Message: "Not evaluated: see the Ready condition."})
	}
	set(metav1.Condition{Type: isms.ConditionCompliant, Status: metav1.ConditionUnknown, Reason: reason, Message: "Not evaluated: see the Ready condition."})
	set(metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message})
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
