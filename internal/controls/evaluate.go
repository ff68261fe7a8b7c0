package controls

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Status is the outcome of one control for one asset, as the asset's status.controls
// records it.
type Status = isms.ControlOutcomeStatus

const (
	// StatusPass: the evidence shows the control is met.
	StatusPass = isms.OutcomePass
	// StatusFail: a finding at the control's level.
	StatusFail = isms.OutcomeFail
	// StatusNotEvaluated: the control is not required, or not evaluated yet; Reason says which.
	StatusNotEvaluated = isms.OutcomeNotEvaluated
)

// notRequired is the Reason of a control the asset does not need.
const notRequired = "not required for this asset"

// Result is one control's outcome for one asset.
type Result struct {
	Control isms.ControlID
	Family  string
	Level   isms.ControlLevel
	Status  Status
	// Findings are what fails, sorted. A finding whose Level is lower than the control's
	// (an advisory, e.g. a NetworkPolicy open to all namespaces) does not fail the control.
	Findings []isms.Finding
	// Passed are sentences naming the evidence that passed, sorted.
	Passed []string
	// Reason says why the control is NotEvaluated.
	Reason string
}

// Evaluation is the outcome of every control of the catalogue for one asset.
type Evaluation struct {
	// Results are in catalogue order.
	Results []Result
	// RecheckAt is the earliest time a result may change with nothing changing in the
	// cluster (a review falling due); zero when no result depends on time.
	RecheckAt time.Time
}

// Evaluate runs every control of the catalogue on the evidence.
func Evaluate(e *Evidence) Evaluation {
	var eval Evaluation
	for _, c := range Catalogue {
		result := Result{Control: c.ID, Family: c.Family, Level: c.LevelFor(e.Asset)}
		switch {
		case result.Level == isms.LevelNotRequired:
			result.Status, result.Reason = StatusNotEvaluated, notRequired
		case c.judgesWorkloads && len(e.Workloads) == 0:
			result.Status, result.Reason = StatusNotEvaluated, NoWorkloads
		default:
			out := c.check(e)
			if !out.recheckAt.IsZero() && (eval.RecheckAt.IsZero() || out.recheckAt.Before(eval.RecheckAt)) {
				eval.RecheckAt = out.recheckAt
			}
			if out.notEvaluated != "" {
				result.Status, result.Reason = StatusNotEvaluated, out.notEvaluated
				break
			}
			result.Status = StatusPass
			for _, f := range out.findings {
				f.Control = c.ID
				if f.Level == "" {
					f.Level = result.Level
				}
				if f.Level == result.Level {
					result.Status = StatusFail
				}
				result.Findings = append(result.Findings, f)
			}
			slices.SortFunc(result.Findings, compareFindings)
			result.Findings = slices.Compact(result.Findings)
			result.Passed = slices.Compact(slices.Sorted(slices.Values(out.passed)))
		}
		eval.Results = append(eval.Results, result)
	}
	return eval
}

// compareFindings orders findings by control, resource and message.
func compareFindings(a, b isms.Finding) int {
	return cmp.Or(cmp.Compare(a.Control, b.Control), cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Message, b.Message))
}

// Evidence is what passed, in words: the first max sentences of Passed, and how many more.
func (r Result) Evidence(max int) string {
	if len(r.Passed) <= max {
		return strings.Join(r.Passed, "; ")
	}
	return strings.Join(r.Passed[:max], "; ") + fmt.Sprintf("; and %d more", len(r.Passed)-max)
}
