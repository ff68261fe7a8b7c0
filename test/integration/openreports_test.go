package integration

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/internal/audit"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/manifests"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// TestAuditsOpenReportsAreAcceptedByTheAPIServer: the Reports `audit -o openreports`
// prints are valid against OpenReports' own CRDs (from its Go module), so Policy Reporter
// and kubectl read them as written, and they round-trip unchanged.
func TestAuditsOpenReportsAreAcceptedByTheAPIServer(t *testing.T) {
	ctx := context.Background()
	if err := env.Install(testenv.UpstreamOpenReports); err != nil {
		t.Fatal(err)
	}
	docs, problems, err := manifests.Read([]string{filepath.Join(testenv.RepoRoot(), "internal", "audit", "testdata", "manifests")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	result, err := audit.Run(ctx, docs, problems, audit.Options{Now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		Exempt: controls.DefaultExemptSubjects, IstioRootNamespace: controls.DefaultIstioRootNamespace})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := audit.WriteOpenReports(&out, result); err != nil {
		t.Fatal(err)
	}
	reports := strings.Split(out.String(), "\n---\n")
	if len(reports) < 2 {
		t.Fatalf("the audit printed %d Reports, want one per namespace of its fixtures", len(reports))
	}
	for _, doc := range reports {
		report := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &report.Object); err != nil {
			t.Fatal(err)
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: report.GetNamespace()}}
		if err := env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		if err := env.Client.Create(ctx, report.DeepCopy()); err != nil {
			t.Errorf("the API server refuses the Report of %s: %v", report.GetNamespace(), err)
			continue
		}
		stored := &unstructured.Unstructured{}
		stored.SetGroupVersionKind(report.GroupVersionKind())
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(report), stored); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"results", "summary", "source"} {
			want, _, _ := unstructured.NestedFieldNoCopy(report.Object, field)
			got, _, _ := unstructured.NestedFieldNoCopy(stored.Object, field)
			wantYAML, _ := yaml.Marshal(want)
			gotYAML, _ := yaml.Marshal(got)
			if !bytes.Equal(wantYAML, gotYAML) {
				t.Errorf("the Report of %s lost or changed %s when stored", report.GetNamespace(), field)
			}
		}
	}
}
