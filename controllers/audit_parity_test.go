package controllers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/audit"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/manifests"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// TestOperatorAndAuditAgree applies the audit's fixtures (a compliant EPR estate with its
// Velero backup and restore, a drifting staff system, and the ward's manifests that used
// to pass falsely: a Gateway route, a LoadBalancer, Velero filters, RBAC, a standalone
// ReplicaSet) to the cluster, with the
// operator's clock at the audit's golden time, and checks that the operator's findings
// are the audit's: one catalogue, two front ends. Only what the audit cannot know offline
// (a ContinuityPlan's live readiness) is left out, and that set is pinned too.
func TestOperatorAndAuditAgree(t *testing.T) {
	judgedAt := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC) // internal/audit's golden time
	dirs := []string{filepath.Join(testenv.RepoRoot(), "internal", "audit", "testdata", "manifests", "epr"),
		filepath.Join(testenv.RepoRoot(), "internal", "audit", "testdata", "manifests", "hr"),
		filepath.Join(testenv.RepoRoot(), "internal", "audit", "testdata", "manifests", "ward")}
	docs, problems, err := manifests.Read(dirs, nil)
	if err != nil || len(problems) > 0 {
		t.Fatalf("reading the fixtures: %v %v", err, problems)
	}
	offline, err := audit.Run(context.Background(), docs, nil, audit.Options{Now: judgedAt, Exempt: controls.DefaultExemptSubjects,
		IstioRootNamespace: controls.DefaultIstioRootNamespace})
	if err != nil {
		t.Fatal(err)
	}

	moveClock(t, time.Until(judgedAt))
	applyFixtures(t, docs)

	type assetKey struct{ namespace, name string }
	want := map[assetKey][]isms.Finding{}
	// compared holds, per asset, the outcome of each control the audit could judge.
	compared := map[assetKey]map[string]controls.Status{}
	var notCompared []string
	for _, row := range offline.Results {
		k := assetKey{row.Namespace, row.Asset}
		if compared[k] == nil {
			compared[k] = map[string]controls.Status{}
		}
		if row.Status == controls.StatusNotEvaluated {
			notCompared = append(notCompared, row.Asset+" "+row.Control+" "+row.Level)
			continue
		}
		if _, seen := compared[k][row.Control]; !seen { // a control's first row is its outcome; advisories follow a Pass
			compared[k][row.Control] = row.Status
		}
		if row.Status == controls.StatusFail {
			want[k] = append(want[k], isms.Finding{Control: isms.ControlID(row.Control), Level: isms.ControlLevel(row.Level), Resource: row.Resource, Message: row.Message})
		}
	}
	var wardNotCompared []string
	for _, asset := range []string{"bed-board", "pharmacy-stock", "referrals", "theatre-lists", "ward-diagnostics", "ward-printing", "ward-rota"} {
		// Offline, the ward's RoleBinding to the built-in admin role cannot be judged: in
		// the cluster the role is read (the Recommended ACC-03, and ward-rota's Required one).
		level := map[bool]string{true: "Required", false: "Recommended"}[asset == "ward-rota"]
		wardNotCompared = append(wardNotCompared, asset+" ENC-03 NotRequired", asset+" ACC-03 "+level, asset+" BCP-01 NotRequired")
		if asset == "bed-board" {
			// discharge-letters selects no workload: nothing but GOV-01 is evaluated, anywhere.
			wardNotCompared = append(wardNotCompared, "discharge-letters ENC-01 Required", "discharge-letters ENC-02 Required",
				"discharge-letters ENC-03 NotRequired", "discharge-letters BAK-01 Recommended", "discharge-letters BAK-02 Required",
				"discharge-letters ACC-01 Required", "discharge-letters ACC-02 Recommended", "discharge-letters ACC-03 Recommended",
				"discharge-letters ACC-04 Recommended", "discharge-letters BCP-01 NotRequired")
		}
	}
	if diff := cmp.Diff(append([]string{
		"patient-records ENC-03 NotRequired", "patient-records BCP-01 Required",
		"staff-records ENC-03 NotRequired", "staff-records BCP-01 NotRequired",
	}, wardNotCompared...), notCompared); diff != "" {
		t.Errorf("the controls the audit leaves to the cluster (-want +got):\n%s", diff)
	}
	if len(want[assetKey{"audit-hr", "staff-records"}]) < 8 {
		t.Fatalf("the drifting fixture fails too little offline to compare: %v", want)
	}

	for k := range compared {
		eventually(t, 20*time.Second, func() error {
			asset := &isms.InformationAsset{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: k.namespace, Name: k.name}, asset); err != nil {
				return err
			}
			if asset.Status.ObservedGeneration != asset.Generation {
				return fmt.Errorf("%s/%s not evaluated yet", k.namespace, k.name)
			}
			var got []isms.Finding
			for _, f := range asset.Status.Findings {
				if _, ok := compared[k][string(f.Control)]; ok {
					got = append(got, f)
				}
			}
			if diff := cmp.Diff(want[k], got); diff != "" {
				return fmt.Errorf("%s/%s: the operator's findings differ from the audit's (-audit +operator):\n%s", k.namespace, k.name, diff)
			}
			outcomes := map[string]controls.Status{}
			for _, c := range asset.Status.Controls {
				if _, ok := compared[k][string(c.Control)]; ok {
					outcomes[string(c.Control)] = c.Status
				}
			}
			if diff := cmp.Diff(compared[k], outcomes); diff != "" {
				return fmt.Errorf("%s/%s: the operator's outcomes differ from the audit's (-audit +operator):\n%s", k.namespace, k.name, diff)
			}
			return nil
		})
	}
}

// applyFixtures creates the objects, with the namespaces they need, and the status that
// Velero would have written; it deletes them when the test ends.
func applyFixtures(t *testing.T, docs []manifests.Document) {
	t.Helper()
	ctx := context.Background()
	var namespaces []string
	for _, d := range docs {
		if ns := d.Namespace; ns != "" && !slices.Contains(namespaces, ns) {
			namespaces = append(namespaces, ns)
		}
	}
	for _, ns := range namespaces {
		err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for _, d := range docs {
		obj, err := d.Object()
		if err != nil {
			t.Fatal(err)
		}
		status, hasStatus := obj.Object["status"]
		if err := env.Client.Create(ctx, obj); apierrors.IsAlreadyExists(err) && obj.GetKind() == "Namespace" {
			continue
		} else if err != nil {
			t.Fatalf("%s %s/%s: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(ctx, obj) })
		if _, kept := obj.Object["status"]; hasStatus && !kept {
			obj.Object["status"] = status
			if err := env.Client.Status().Update(ctx, obj); err != nil {
				t.Fatal(err)
			}
		}
	}
}
