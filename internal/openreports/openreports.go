// Package openreports turns the operator's findings into OpenReports (openreports.io,
// the wg-policy report format that Policy Reporter, Kyverno and Trivy read): one Report
// per namespace that holds assets, one result per asset and control. It decides only: the
// operator writes what it builds (controllers/reports), `isms-operator audit -o
// openreports` prints it.
package openreports

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

const (
	// Source is every result's source, as Policy Reporter groups and filters them.
	Source = "isms-operator"
	// ReportName is the name of the Report in each namespace that holds assets.
	ReportName = "isms-operator"
	// MaxResults bounds one Report's results, so that it stays far below etcd's object
	// limit (1.5 MiB) however many assets a namespace holds: a result's message and
	// resources are bounded, about 1.5 KiB at most.
	MaxResults = 500
	// maxResources bounds the resources of one result: the asset and its first findings.
	maxResources = 10
	// AnnotationOmitted counts the results a Report leaves out beyond MaxResults (its
	// summary still counts them); passes are left out first.
	AnnotationOmitted = "isms.nhs.uk/results-omitted"
)

// Outcome is one control's outcome for one asset, as the operator's status or the
// audit records it.
type Outcome struct {
	Control isms.ControlID
	Level   isms.ControlLevel
	Status  isms.ControlOutcomeStatus
	// Findings are the control's findings, at its level or below (advisories).
	Findings []isms.Finding
	// Reason says why a NotEvaluated control was not evaluated.
	Reason string
	// Since is when the outcome last changed: the result's timestamp.
	Since time.Time
}

// Asset is an asset with its outcomes and its Risks in the register.
type Asset struct {
	Asset    *isms.InformationAsset
	Outcomes []Outcome
	Risks    []isms.Risk
}

// FromStatus reads an asset's outcomes from the status the operator wrote: each
// control's outcome, its findings, and its family condition's message and transition
// time. An asset the operator has not evaluated has none.
func FromStatus(asset *isms.InformationAsset) []Outcome {
	var outcomes []Outcome
	for _, c := range asset.Status.Controls {
		o := Outcome{Control: c.Control, Level: c.Level, Status: c.Status}
		for _, f := range asset.Status.Findings {
			if f.Control == c.Control {
				o.Findings = append(o.Findings, f)
			}
		}
		control, _ := controls.Lookup(c.Control)
		if condition := meta.FindStatusCondition(asset.Status.Conditions, control.Family); condition != nil {
			o.Since = condition.LastTransitionTime.Time
			if c.Status == isms.OutcomeNotEvaluated {
				o.Reason = condition.Message
			}
		}
		outcomes = append(outcomes, o)
	}
	return outcomes
}

// Build is the Report of one namespace's assets, rated with matrix. Results are in a
// stable order (asset, then the catalogue's), so an unchanged register builds an equal
// Report.
func Build(namespace string, assets []Asset, matrix riskmatrix.Matrix) *orv1alpha1.Report {
	report := &orv1alpha1.Report{
		TypeMeta: metav1.TypeMeta{APIVersion: orv1alpha1.SchemeGroupVersion.String(), Kind: "Report"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ReportName,
			Labels: map[string]string{"app.kubernetes.io/managed-by": Source}},
		Source:        Source,
		Configuration: &orv1alpha1.ReportConfiguration{Limits: orv1alpha1.Limits{MaxResults: MaxResults}},
	}
	assets = slices.Clone(assets)
	slices.SortFunc(assets, func(a, b Asset) int { return strings.Compare(a.Asset.Name, b.Asset.Name) })
	var results []orv1alpha1.ReportResult
	for _, a := range assets {
		for _, o := range inCatalogueOrder(a.Outcomes) {
			r := result(a, o, matrix)
			count(&report.Summary, r.Result)
			results = append(results, r)
		}
	}
	if omitted := len(results) - MaxResults; omitted > 0 {
		// Keep what needs attention: failures first, passes last, each in the stable order.
		slices.SortStableFunc(results, func(a, b orv1alpha1.ReportResult) int { return cmp.Compare(rank[a.Result], rank[b.Result]) })
		results = results[:MaxResults]
		report.Annotations = map[string]string{AnnotationOmitted: strconv.Itoa(omitted)}
	}
	report.Results = results
	return report
}

// rank orders results by how much they need a person, for truncation.
var rank = map[orv1alpha1.Result]int{"fail": 0, "error": 1, "warn": 2, "skip": 3, "pass": 4}

func inCatalogueOrder(outcomes []Outcome) []Outcome {
	position := func(id isms.ControlID) int {
		return slices.IndexFunc(controls.Catalogue, func(c controls.Control) bool { return c.ID == id })
	}
	outcomes = slices.Clone(outcomes)
	slices.SortStableFunc(outcomes, func(a, b Outcome) int { return cmp.Compare(position(a.Control), position(b.Control)) })
	return outcomes
}

func count(s *orv1alpha1.ReportSummary, r orv1alpha1.Result) {
	switch r {
	case "pass":
		s.Pass++
	case "fail":
		s.Fail++
	case "warn":
		s.Warn++
	case "error":
		s.Error++
	case "skip":
		s.Skip++
	}
}

// result is one control's result for one asset.
func result(a Asset, o Outcome, matrix riskmatrix.Matrix) orv1alpha1.ReportResult {
	control, _ := controls.Lookup(o.Control)
	asset := a.Asset
	r := orv1alpha1.ReportResult{
		Source: Source, Policy: string(o.Control), Rule: control.Title, Category: string(control.Family),
		Scored: o.Level == isms.LevelRequired,
		Subjects: []corev1.ObjectReference{{APIVersion: isms.GroupVersion.String(), Kind: "InformationAsset",
			Namespace: asset.Namespace, Name: asset.Name, UID: asset.UID}},
		Properties: map[string]string{"asset": asset.Name, "level": string(o.Level)},
	}
	if !o.Since.IsZero() {
		r.Timestamp = metav1.Timestamp{Seconds: o.Since.Unix()}
	}
	for _, ref := range control.References {
		standard, clause, _ := strings.Cut(ref, ":")
		r.Properties[standard] = strings.TrimPrefix(r.Properties[standard]+", "+clause, ", ")
	}
	risk := detectedRisk(a, o.Control)
	r.Severity = severity(asset, o.Control, risk, matrix)
	if risk != nil {
		r.Properties["risk"], r.Properties["riskState"] = risk.Name, string(risk.Status.State)
	}

	switch {
	case o.Status == isms.OutcomePass:
		r.Result, r.Description = "pass", control.Title
	case o.Status == isms.OutcomeNotEvaluated:
		r.Result, r.Description = "skip", cmp.Or(o.Reason, "not evaluated")
		if o.Level == isms.LevelNotRequired {
			r.Description = "not required for this asset"
		}
	case risk != nil && risk.Status.State == isms.StateAccepted:
		// The register's decision: Policy Reporter shows what the register does.
		r.Result = "skip"
		r.Description = "accepted risk " + risk.Name + ": " + findings(o.Findings)
		r.Properties["acceptedBy"] = risk.Annotations[register.AnnotationAcceptedBy]
		if t := risk.Spec.Treatment; t != nil && t.Acceptance != nil {
			r.Properties["acceptanceExpires"] = t.Acceptance.Expires.UTC().Format(time.RFC3339)
		}
	case o.Level == isms.LevelRequired:
		r.Result, r.Description = "fail", findings(o.Findings)
	default:
		r.Result, r.Description = "warn", findings(o.Findings)
	}
	if o.Status == isms.OutcomeFail {
		for _, f := range o.Findings {
			if len(r.Subjects) == maxResources {
				break
			}
			if ref, ok := reference(f.Resource, asset.Namespace); ok && !slices.Contains(r.Subjects, ref) {
				r.Subjects = append(r.Subjects, ref)
			}
		}
	}
	return r
}

// detectedRisk is the register's Risk of the asset's control, if it has one.
func detectedRisk(a Asset, control isms.ControlID) *isms.Risk {
	name := register.Name(a.Asset.Name, control)
	for i := range a.Risks {
		if a.Risks[i].Name == name && a.Risks[i].Spec.Source == isms.SourceDetected {
			return &a.Risks[i]
		}
	}
	return nil
}

// severity is the rating of the control's Risk, or the rating a Risk of the control
// would have for this asset.
func severity(asset *isms.InformationAsset, control isms.ControlID, risk *isms.Risk, matrix riskmatrix.Matrix) orv1alpha1.ResultSeverity {
	rating := isms.Rating("")
	if risk != nil {
		rating = risk.Status.Rating
	}
	if rating == "" {
		_, rating = matrix.Rate(register.Likelihood(control, false), register.Consequence(asset))
	}
	return map[isms.Rating]orv1alpha1.ResultSeverity{
		isms.RatingExtreme: "critical", isms.RatingHigh: "high", isms.RatingModerate: "medium", isms.RatingLow: "low",
	}[rating]
}

// maxMessage bounds a result's message: the first finding's, which is bounded itself,
// and how many more there are.
const maxMessage = 1100

func findings(fs []isms.Finding) string {
	switch len(fs) {
	case 0:
		return "fails"
	case 1:
		return fs[0].Message
	}
	message := fmt.Sprintf("%s (and %d more findings)", fs[0].Message, len(fs)-1)
	return strings.ToValidUTF8(message[:min(len(message), maxMessage)], "")
}

// clusterScoped are the kinds a finding names that belong to no namespace.
var clusterScoped = []string{"Namespace", "StorageClass", "PersistentVolume", "ClusterRole", "ClusterRoleBinding"}

// reference reads a finding's resource, Kind/name or Kind/namespace/name.
func reference(resource, namespace string) (corev1.ObjectReference, bool) {
	parts := strings.Split(resource, "/")
	switch len(parts) {
	case 2:
		if slices.Contains(clusterScoped, parts[0]) {
			namespace = ""
		}
		return corev1.ObjectReference{Kind: parts[0], Namespace: namespace, Name: parts[1]}, true
	case 3:
		return corev1.ObjectReference{Kind: parts[0], Namespace: parts[1], Name: parts[2]}, true
	}
	return corev1.ObjectReference{}, false
}
