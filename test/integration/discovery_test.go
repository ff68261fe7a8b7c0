package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// backedUp waits until the asset's BackedUp condition has status and mentions text.
func backedUp(t *testing.T, ns string, status metav1.ConditionStatus, text string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		asset := &isms.InformationAsset{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "staff-records"}, asset); err != nil {
			t.Fatal(err)
		}
		c := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionBackedUp)
		if c != nil && c.Status == status && strings.Contains(c.Message, text) {
			return
		}
		last = fmt.Sprintf("%+v", c)
	}
	t.Fatalf("BackedUp = %s, want %s mentioning %q", last, status, text)
}

// TestVeleroIsDiscoveredWhenInstalled: on a cluster without Velero the operator works and
// says Velero is missing; once Velero's upstream CRDs are installed it starts reading
// backups without a restart.
func TestVeleroIsDiscoveredWhenInstalled(t *testing.T) {
	startManager(t)
	ns, d := drifting(t)
	env.SetPrivileged(t, d, false)
	requireBackups(t, ns)
	backedUp(t, ns, metav1.ConditionFalse, "Velero (velero.io/v1) is not installed")

	if err := env.Install(testenv.UpstreamVelero); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []*unstructured.Unstructured{
		velero("BackupStorageLocation", ns, "default", map[string]any{"default": true, "provider": "aws",
			"objectStorage": map[string]any{"bucket": "staff"}}, map[string]any{"phase": "Available"}),
		velero("Backup", ns, "staff-nightly", map[string]any{"includedNamespaces": []any{ns}},
			map[string]any{"phase": "Completed", "completionTimestamp": time.Now().UTC().Format(time.RFC3339)}),
	} {
		createWithStatus(t, obj)
	}
	backedUp(t, ns, metav1.ConditionTrue, "Backup/"+ns+"/staff-nightly")
}

// requireBackups makes backups (BAK-01) Required for the drifting asset in ns.
func requireBackups(t *testing.T, ns string) {
	t.Helper()
	// The operator adds its finalizer meanwhile: retry on the conflict.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var asset isms.InformationAsset
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "staff-records"}, &asset); err != nil {
			return err
		}
		asset.Spec.Controls = &isms.ControlsSpec{Backup: &isms.BackupControls{Recency: isms.LevelRequired, RestoreTest: isms.LevelNotRequired}}
		return env.Client.Update(context.Background(), &asset)
	}); err != nil {
		t.Fatal(err)
	}
}

// createWithStatus creates a Velero object with the status Velero would write.
func createWithStatus(t *testing.T, obj *unstructured.Unstructured) {
	t.Helper()
	status := obj.Object["status"]
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	if _, kept := obj.Object["status"]; !kept {
		obj.Object["status"] = status
		if err := env.Client.Status().Update(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
}

func velero(kind, ns, name string, spec, status map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec, "status": status}}
	u.SetAPIVersion("velero.io/v1")
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}
