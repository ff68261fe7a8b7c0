// Package demo is the demo estate of config/demo: what `make demo` shows and what the e2e
// test checks against the Helm chart's install. It writes the status Velero would write
// for the demo's backup and restore, and waits until the operator has evaluated it all.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Dir is the demo's manifests, relative to the repository's top directory.
var Dir = filepath.Join("config", "demo")

// Expectation is what the operator must conclude about one of the demo's assets.
type Expectation struct {
	Namespace, Asset string
	Compliant        metav1.ConditionStatus
	// Risks are the controls whose Risks must be Open, and no others.
	Risks []isms.ControlID
}

// Expected is the demo's outcome: patient-records complies; staff-records drifted in six
// Required controls, each with an open Risk.
var Expected = []Expectation{
	{Namespace: "epr", Asset: "patient-records", Compliant: metav1.ConditionTrue},
	{Namespace: "hr", Asset: "staff-records", Compliant: metav1.ConditionFalse, Risks: []isms.ControlID{
		isms.ControlEncryptedVolumes, isms.ControlIngressTLS, isms.ControlPodSecurity,
		isms.ControlNetworkIsolation, isms.ControlServiceAccount, isms.ControlBackupRecent,
	}},
}

// Fix is the command the demo and the README suggest to fix the staff system's pod
// security drift: the container's securityContext replaced by one that meets the
// restricted Pod Security Standard (removing it would still fail: restricted asks for
// each of these fields). It resolves staff-records-acc-01.
const Fix = `kubectl -n hr patch deploy hr-app --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext","value":{"allowPrivilegeEscalation":false,"runAsNonRoot":true,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}}]'`

// Apply applies the demo estate with apply (kubectl apply -f FILE...): the namespaces,
// StorageClasses and Velero's objects first, with the status Velero would write, then the
// workloads and assets, so that no asset is evaluated before its backups exist.
func Apply(ctx context.Context, c client.Client, apply func(files ...string) error) error {
	if err := apply(filepath.Join(Dir, "00-namespaces.yaml"), filepath.Join(Dir, "05-velero.yaml")); err != nil {
		return err
	}
	if err := writeVeleroStatus(ctx, c, time.Now()); err != nil {
		return err
	}
	return apply(filepath.Join(Dir, "10-epr.yaml"), filepath.Join(Dir, "20-hr.yaml"))
}

// writeVeleroStatus writes what Velero would report: the
// hourly backup completed ten minutes ago, and the restore test completed an hour ago
// after forty minutes.
func writeVeleroStatus(ctx context.Context, c client.Client, now time.Time) error {
	stamp := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.RFC3339) }
	for _, s := range []struct {
		kind, name string
		status     map[string]any
	}{
		{"Backup", "epr-hourly", map[string]any{"phase": "Completed", "startTimestamp": stamp(12 * time.Minute), "completionTimestamp": stamp(10 * time.Minute)}},
		{"Restore", "epr-restore-test", map[string]any{"phase": "Completed", "errors": int64(0), "startTimestamp": stamp(100 * time.Minute), "completionTimestamp": stamp(time.Hour)}},
	} {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("velero.io/v1")
		u.SetKind(s.kind)
		if err := c.Get(ctx, types.NamespacedName{Namespace: "velero", Name: s.name}, u); err != nil {
			return fmt.Errorf("reading Velero %s %s: %w", s.kind, s.name, err)
		}
		u.Object["status"] = s.status
		// Velero's CRDs have no status subresource, so the status goes with the object.
		if err := c.Update(ctx, u); err != nil {
			return fmt.Errorf("writing the status of Velero %s %s: %w", s.kind, s.name, err)
		}
	}
	return nil
}

// Check compares the cluster with Expected and says what differs; nil when it matches.
func Check(ctx context.Context, c client.Reader) error {
	for _, want := range Expected {
		asset := &isms.InformationAsset{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: want.Namespace, Name: want.Asset}, asset); err != nil {
			return err
		}
		compliant := meta.FindStatusCondition(asset.Status.Conditions, isms.ConditionCompliant)
		if compliant == nil || compliant.Status != want.Compliant || compliant.ObservedGeneration != asset.Generation {
			return fmt.Errorf("%s/%s: Compliant is %+v, want %s", want.Namespace, want.Asset, compliant, want.Compliant)
		}
		var risks isms.RiskList
		if err := c.List(ctx, &risks, client.InNamespace(want.Namespace)); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("no Risk kind yet: %w", err)
			}
			return err
		}
		var open []string
		for _, r := range risks.Items {
			if r.Spec.AssetRef != nil && r.Spec.AssetRef.Name == want.Asset && r.Status.State == isms.StateOpen {
				open = append(open, string(r.Spec.Control))
			}
		}
		slices.Sort(open)
		var expected []string
		for _, id := range want.Risks {
			expected = append(expected, string(id))
		}
		slices.Sort(expected)
		if !slices.Equal(open, expected) {
			return fmt.Errorf("%s/%s: open risks for [%s], want [%s]", want.Namespace, want.Asset, strings.Join(open, " "), strings.Join(expected, " "))
		}
	}
	return nil
}

// Wait polls Check until it passes or the timeout ends, and returns the last difference.
func Wait(ctx context.Context, c client.Reader, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := Check(ctx, c)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// IncidentSample is the SecurityIncident the demo records: the sample's misdirected rota
// export from the staff system.
var IncidentSample = filepath.Join("config", "samples", "isms_v1alpha1_securityincident.yaml")

// RecordIncident records the sample incident in hr, detected and known to be a breach at
// now, while the staff system's drift is open: the operator names its Risks in the
// incident's status (Foreseen). It waits until the operator has, or the timeout ends.
func RecordIncident(ctx context.Context, c client.Client, now time.Time, timeout time.Duration) error {
	data, err := os.ReadFile(IncidentSample)
	if err != nil {
		return err
	}
	incident := &isms.SecurityIncident{}
	if err := yaml.UnmarshalStrict(data, incident); err != nil {
		return fmt.Errorf("%s: %w", IncidentSample, err)
	}
	incident.Namespace = "hr"
	at := metav1.NewTime(now.Truncate(time.Second))
	incident.Spec.DetectedAt, incident.Spec.AwareAt = at, at
	if err := c.Create(ctx, incident); client.IgnoreAlreadyExists(err) != nil {
		return err
	}
	for deadline := time.Now().Add(timeout); ; {
		if err := c.Get(ctx, client.ObjectKeyFromObject(incident), incident); err != nil {
			return err
		}
		if meta.IsStatusConditionTrue(incident.Status.Conditions, isms.ConditionForeseen) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("incident %s/%s: the operator did not name the staff system's open Risks within %s: conditions %+v",
				incident.Namespace, incident.Name, timeout, incident.Status.Conditions)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
