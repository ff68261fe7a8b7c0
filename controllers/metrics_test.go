package controllers

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// series returns the asset metrics' series of namespace ns as "metric{asset,control,level} value".
func series(t *testing.T, ns string) []string {
	t.Helper()
	var out []string
	for _, c := range []prometheus.Collector{controlFailing, assetCompliant} {
		ch := make(chan prometheus.Metric, 100)
		c.Collect(ch)
		close(ch)
		for m := range ch {
			var pb dto.Metric
			if err := m.Write(&pb); err != nil {
				t.Fatal(err)
			}
			labels := map[string]string{}
			for _, l := range pb.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] != ns {
				continue
			}
			name := "compliant"
			if _, isControl := labels["control"]; isControl {
				name = "failing"
			}
			parts := []string{labels["asset"], labels["control"], labels["level"]}
			out = append(out, name+"{"+strings.Trim(strings.Join(parts, ","), ",")+"} "+map[float64]string{0: "0", 1: "1"}[pb.GetGauge().GetValue()])
		}
	}
	slices.Sort(out)
	return out
}

// Re-recording an asset replaces its series, forgetting it drops them, and neither touches
// another asset's.
func TestAssetMetricsReplaceOnlyTheAssetsOwnSeries(t *testing.T) {
	const ns = "metrics-test"
	asset := func(name string) *isms.InformationAsset {
		return &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	result := func(id isms.ControlID, level isms.ControlLevel, status controls.Status) controls.Result {
		return controls.Result{Control: id, Level: level, Status: status}
	}
	recordAssetMetrics(asset("epr"), controls.Evaluation{Results: []controls.Result{
		result(isms.ControlEncryptedVolumes, isms.LevelRequired, controls.StatusFail),
		result(isms.ControlPodSecurity, isms.LevelRequired, controls.StatusPass),
		result(isms.ControlBackupRecent, isms.LevelRequired, controls.StatusNotEvaluated),
	}}, ptr.To(false), 0)
	recordAssetMetrics(asset("staff"), controls.Evaluation{Results: []controls.Result{
		result(isms.ControlEncryptedVolumes, isms.LevelRequired, controls.StatusPass),
	}}, ptr.To(true), 0)
	want := []string{"compliant{epr} 0", "compliant{staff} 1",
		"failing{epr,ENC-01,Required} 1", "failing{epr,ACC-01,Required} 0", "failing{staff,ENC-01,Required} 0"}
	slices.Sort(want)
	if diff := cmp.Diff(want, series(t, ns)); diff != "" {
		t.Fatalf("series after the first evaluations (-want +got):\n%s", diff)
	}

	// ENC-01 is now Recommended and passes; ACC-01 is not evaluated; compliance is unknown.
	recordAssetMetrics(asset("epr"), controls.Evaluation{Results: []controls.Result{
		result(isms.ControlEncryptedVolumes, isms.LevelRecommended, controls.StatusPass),
		result(isms.ControlPodSecurity, isms.LevelRequired, controls.StatusNotEvaluated),
	}}, nil, 0)
	want = []string{"compliant{staff} 1", "failing{epr,ENC-01,Recommended} 0", "failing{staff,ENC-01,Required} 0"}
	slices.Sort(want)
	if diff := cmp.Diff(want, series(t, ns)); diff != "" {
		t.Fatalf("series after re-recording epr (-want +got):\n%s", diff)
	}

	forgetAssetMetrics(ns, "epr")
	want = []string{"compliant{staff} 1", "failing{staff,ENC-01,Required} 0"}
	if diff := cmp.Diff(want, series(t, ns)); diff != "" {
		t.Errorf("series after forgetting epr (-want +got):\n%s", diff)
	}
	forgetAssetMetrics(ns, "staff")
}
