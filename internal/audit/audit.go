// Package audit evaluates InformationAssets offline, from manifests, with exactly the
// catalogue and the evidence gatherer the operator runs in a cluster: `isms-operator audit`
// for CI pipelines, to stop drift before it reaches a cluster.
package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/manifests"
	"github.com/isms-operator/isms-operator/internal/openreports"
	"github.com/isms-operator/isms-operator/internal/parallel"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

// APIVersion names the JSON output's schema; a change that breaks readers changes it.
const APIVersion = "isms.nhs.uk/audit/v1"

// Options tune an audit.
type Options struct {
	// Now is the time the time-based controls (reviews, backup ages) are judged at.
	Now time.Time
	// Namespace is the namespace of namespaced objects that name none (as `kubectl apply -n`).
	Namespace string
	// Exempt are ACC-03's exempt subjects, as the operator's --exempt-subjects.
	Exempt []isms.Subject
	// IstioRootNamespace holds Istio's mesh-wide policy.
	IstioRootNamespace string
}

// Result is the outcome of an audit, in the stable shape of the JSON output.
type Result struct {
	APIVersion string    `json:"apiVersion"`
	Now        time.Time `json:"now"`
	Summary    Summary   `json:"summary"`
	// Results are one row per asset and control: a row per finding when it fails, one row
	// when it passes or is not evaluated.
	Results []Row `json:"results"`
	// Errors are the documents that could not be read.
	Errors []DocumentError `json:"errors"`
	// assets are the assets' outcomes, for the OpenReports output.
	assets []openreports.Asset
}

// Summary counts what the audit found.
type Summary struct {
	Assets           int `json:"assets"`
	CompliantAssets  int `json:"compliantAssets"`
	RequiredFailures int `json:"requiredFailures"`
}

// Row is one control's result for one asset.
type Row struct {
	Asset      string          `json:"asset"`
	Namespace  string          `json:"namespace"`
	Control    string          `json:"control"`
	Level      string          `json:"level"`
	Status     controls.Status `json:"status"`
	Resource   string          `json:"resource,omitempty"`
	Message    string          `json:"message"`
	References []string        `json:"references"`
}

// DocumentError is a document that could not be read or used.
type DocumentError struct {
	File     string `json:"file"`
	Document int    `json:"document"`
	Message  string `json:"message"`
}

func (e DocumentError) String() string {
	return fmt.Sprintf("%s: document %d: %s", e.File, e.Document, e.Message)
}

// clusterScoped are the kinds read that belong to no namespace.
var clusterScoped = []string{"Namespace", "StorageClass", "PersistentVolume", "ClusterRole", "ClusterRoleBinding"}

// Run evaluates every InformationAsset among docs. The documents are decoded, and the
// assets evaluated, on every core; the result is the same as one at a time.
func Run(ctx context.Context, docs []manifests.Document, problems []manifests.Problem, opts Options) (*Result, error) {
	result := &Result{APIVersion: APIVersion, Now: opts.Now.UTC(), Results: []Row{}, Errors: []DocumentError{}}
	for _, p := range problems {
		result.Errors = append(result.Errors, DocumentError{File: p.Source, Document: p.Index, Message: p.Err.Error()})
	}
	s := newStore(scheme.New())
	var assets []*isms.InformationAsset
	type decoded struct {
		obj client.Object
		err error
	}
	parallel.Ordered(len(docs), batch, func(i int) decoded {
		obj, err := decode(s.scheme, docs[i], cmp.Or(opts.Namespace, metav1.NamespaceDefault))
		return decoded{obj, err}
	}, func(i int, d decoded) {
		if d.err != nil {
			doc := docs[i]
			result.Errors = append(result.Errors, DocumentError{File: doc.Source, Document: doc.Index,
				Message: fmt.Sprintf("%s%s %q does not fit its kind: %v", listItem(doc), doc.Kind, doc.Name, d.err)})
			return
		}
		if asset, ok := d.obj.(*isms.InformationAsset); ok {
			assets = append(assets, asset)
		}
		s.add(d.obj, &docs[i])
	})
	// The namespaces the manifests do not declare exist, without labels, as kubectl would
	// create them.
	for _, a := range assets {
		if err := s.Get(ctx, types.NamespacedName{Name: a.Namespace}, &corev1.Namespace{}); err != nil {
			ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: a.Namespace}}
			s.add(ns, nil)
		}
	}

	gatherer := &evidence.Gatherer{Reader: s, Exempt: opts.Exempt, IstioRootNamespace: opts.IstioRootNamespace, Offline: true,
		Installed: func(gvk schema.GroupVersionKind) bool {
			// Offline, Istio's policies and the VolumeSnapshots are what the manifests hold,
			// none when none; Velero is there when the manifests hold any of its objects.
			// The Gateway API likewise, when they hold any of its objects.
			// Backups are judged only when the manifests hold some: else whether backups ran
			// is left to the cluster.
			switch {
			case gvk.Group == evidence.PeerAuthentication.Group, gvk.Group == evidence.VolumeSnapshot.Group:
				return true
			case gvk == evidence.VeleroBackup:
				return s.has(gvk)
			case gvk.Group == evidence.VeleroBackup.Group, gvk.Group == evidence.Gateway.Group:
				return s.hasGroup(gvk.Group)
			}
			return s.has(gvk)
		}}
	slices.SortFunc(assets, func(a, b *isms.InformationAsset) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	type evaluated struct {
		eval controls.Evaluation
		err  error
	}
	var failed error
	parallel.Ordered(len(assets), batch, func(i int) evaluated {
		asset := assets[i]
		if asset.CreationTimestamp.IsZero() {
			asset.CreationTimestamp = metav1.NewTime(opts.Now) // a new asset, as applying it would make it
		}
		ev, err := gatherer.Gather(ctx, asset, opts.Now)
		if err != nil {
			return evaluated{err: fmt.Errorf("InformationAsset %s/%s: %w", asset.Namespace, asset.Name, err)}
		}
		return evaluated{eval: controls.Evaluate(ev)}
	}, func(i int, e evaluated) {
		failed = cmp.Or(failed, e.err)
		compliant := true
		reported := openreports.Asset{Asset: assets[i]}
		for _, r := range e.eval.Results {
			result.Results = append(result.Results, rowsOf(assets[i], r)...)
			reported.Outcomes = append(reported.Outcomes, openreports.Outcome{Control: r.Control, Level: r.Level, Status: r.Status,
				Findings: r.Findings, Reason: r.Reason, Since: opts.Now})
			if r.Level == isms.LevelRequired && r.Status == controls.StatusFail {
				compliant = false
				result.Summary.RequiredFailures++
			}
		}
		result.assets = append(result.assets, reported)
		result.Summary.Assets++
		if compliant {
			result.Summary.CompliantAssets++
		}
	})
	if failed != nil {
		return nil, failed
	}
	slices.SortStableFunc(result.Errors, func(a, b DocumentError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Document, b.Document))
	})
	return result, nil
}

// batch is how many documents are decoded, or assets evaluated, at once, on every core.
const batch = 256

// decode returns the document's object: as its Go type when the scheme has its kind,
// strictly (a field the kind does not have is an error, as kubectl apply makes it) and
// defaulted as the API server would store it; unstructured otherwise (Velero's kinds, read
// as such). A namespaced object that names no namespace is in namespace.
func decode(scheme *runtime.Scheme, doc manifests.Document, namespace string) (client.Object, error) {
	var obj client.Object
	if typed, err := scheme.New(doc.GroupVersionKind()); err == nil {
		strict, err := sigsjson.UnmarshalStrict(doc.JSON, typed)
		if err != nil {
			return nil, err
		}
		if len(strict) > 0 {
			return nil, errors.Join(strict...)
		}
		applyDefaults(typed)
		obj = typed.(client.Object)
	} else {
		u, err := doc.Object()
		if err != nil {
			return nil, err
		}
		obj = u
	}
	if obj.GetNamespace() == "" && !slices.Contains(clusterScoped, doc.Kind) {
		obj.SetNamespace(namespace)
	}
	return obj, nil
}

// listItem names a List's item, for messages.
func listItem(doc manifests.Document) string {
	if doc.Item < 0 {
		return ""
	}
	return fmt.Sprintf("List item %d: ", doc.Item)
}

// maxEvidence bounds the passing evidence a Pass row quotes.
const maxEvidence = 3

// rowsOf turns one control's result into rows.
func rowsOf(asset *isms.InformationAsset, r controls.Result) []Row {
	c, _ := controls.Lookup(r.Control)
	row := Row{Asset: asset.Name, Namespace: asset.Namespace, Control: string(r.Control), Level: string(r.Level), References: c.References}
	switch r.Status {
	case controls.StatusNotEvaluated:
		row.Status, row.Message = controls.StatusNotEvaluated, r.Reason
		return []Row{row}
	case controls.StatusPass:
		row.Status, row.Message = controls.StatusPass, cmp.Or(r.Evidence(maxEvidence), c.Title)
		if len(r.Findings) == 0 {
			return []Row{row}
		}
	}
	var rows []Row
	for _, f := range r.Findings {
		finding := row
		finding.Status, finding.Level, finding.Resource, finding.Message = controls.StatusFail, string(f.Level), f.Resource, f.Message
		rows = append(rows, finding)
	}
	if r.Status == controls.StatusPass {
		rows = append([]Row{row}, rows...) // the control passes; its findings are advisories
	}
	return rows
}
