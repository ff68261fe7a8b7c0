package integration

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/audit"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/manifests"
	"github.com/isms-operator/isms-operator/internal/openreports"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// reportResult waits until the namespace's Report holds the control's result for the
// drifting asset, as want, and returns it with the Report.
func reportResult(t *testing.T, ns string, control isms.ControlID, want orv1alpha1.Result) (orv1alpha1.ReportResult, *orv1alpha1.Report) {
	t.Helper()
	var found orv1alpha1.ReportResult
	report := &orv1alpha1.Report{}
	eventually(t, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: openreports.ReportName}, report); err != nil {
			return err
		}
		for _, r := range report.Results {
			if r.Policy == string(control) && r.Properties["asset"] == "staff-records" {
				if found = r; r.Result == want {
					return nil
				}
			}
		}
		return fmt.Errorf("the Report's %s result is %+v, want %s", control, found, want)
	})
	return found, report
}

// TestReportsFollowTheRegister: with --openreports, the operator finds OpenReports' CRDs
// when they are installed, and its Report of a namespace says what its assets' status and
// Risks say, through drift, fix, acceptance and the asset's deletion, and is not written
// while nothing changes.
func TestReportsFollowTheRegister(t *testing.T) {
	ctx := context.Background()
	if err := env.BindOpenReportsRole(ctx); err != nil {
		t.Fatal(err)
	}
	var reportWrites atomic.Int32
	countReportWrites := func(obj client.Object) {
		if _, ok := obj.(*orv1alpha1.Report); ok {
			reportWrites.Add(1)
		}
	}
	startManager(t, managerOptions{openReports: true, newClient: func(config *rest.Config, options client.Options) (client.Client, error) {
		c, err := client.NewWithWatch(config, options)
		return interceptor.NewClient(c, interceptor.Funcs{
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				countReportWrites(obj)
				return c.Create(ctx, obj, opts...)
			},
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				countReportWrites(obj)
				return c.Update(ctx, obj, opts...)
			},
		}), err
	}})
	ns, d := drifting(t)
	waitForHistory(t, ns, "Open DriftDetected")

	// OpenReports' CRDs installed while the operator runs (this package's first test to
	// install them): it finds them and writes the namespace's Report.
	if err := env.Install(testenv.UpstreamOpenReports); err != nil {
		t.Fatal(err)
	}

	// Drift: a failure, rated as its Risk (ACC-01 3 x Low 2 = 6, Moderate), naming it.
	failing, _ := reportResult(t, ns, isms.ControlPodSecurity, "fail")
	if failing.Severity != "medium" || failing.Properties["risk"] != "staff-records-acc-01" || failing.Properties["riskState"] != "Open" ||
		failing.Properties["iso27001-2022"] == "" || !strings.Contains(failing.Description, "privileged") || failing.Source != openreports.Source {
		t.Errorf("the drift's result is %+v; want severity medium, its Risk, its references and the finding", failing)
	}
	if !slices.ContainsFunc(failing.Subjects, func(ref corev1.ObjectReference) bool { return ref.Kind == "Deployment" && ref.Name == "staff-db" }) {
		t.Errorf("the drift's result names %+v; want the Deployment behind it", failing.Subjects)
	}

	// Fixed: a pass.
	env.SetPrivileged(t, d, false)
	reportResult(t, ns, isms.ControlPodSecurity, "pass")

	// Drifted again and accepted: a skip that names the acceptance.
	env.SetPrivileged(t, d, true)
	risk := waitForHistory(t, ns, "Open DriftDetected", "Resolved DriftCorrected", "Open DriftRecurred")
	jane, err := env.As("jane.smith@nhs.net", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := &isms.Risk{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(&risk), current); err != nil {
			return err
		}
		current.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTolerate, Acceptance: &isms.Acceptance{
			Justification: "Vendor fix due next quarter", Expires: metav1.NewTime(time.Now().Add(30 * 24 * time.Hour))}}
		// No webhook runs here: jane records herself, as the acceptor policy allows.
		current.Annotations = map[string]string{register.AnnotationAcceptedBy: "jane.smith@nhs.net",
			register.AnnotationAcceptedAt: time.Now().UTC().Format(time.RFC3339)}
		return jane.Update(ctx, current)
	}); err != nil {
		t.Fatal(err)
	}
	accepted, report := reportResult(t, ns, isms.ControlPodSecurity, "skip")
	if accepted.Properties["riskState"] != "Accepted" || accepted.Properties["acceptedBy"] != "jane.smith@nhs.net" || accepted.Properties["acceptanceExpires"] == "" {
		t.Errorf("the accepted risk's result is %+v; want its acceptance named", accepted)
	}

	// A minute of nothing changing writes nothing, even when a change that says nothing
	// new (a label on the asset) queues the namespace.
	written := reportWrites.Load()
	asset := &isms.InformationAsset{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "staff-records"}, asset); err != nil {
		t.Fatal(err)
	}
	touched := asset.DeepCopy()
	touched.Labels = map[string]string{"touched": "yes"}
	if err := env.Client.Patch(ctx, touched, client.MergeFrom(asset)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Second)
	if writes := reportWrites.Load() - written; writes != 0 {
		t.Errorf("the Report was written %d times while nothing changed", writes)
	}

	// The asset deleted: its results go, and with them the namespace's Report.
	if err := env.Client.Delete(ctx, &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "staff-records"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(report), report)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the Report of a namespace without assets is still there (%v)", err)
	})
}

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
