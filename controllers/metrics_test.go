package controllers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/scheme"
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

// TestIncidentsCollectorDecidesAtTheScrape: an incident past its deadline and not reported
// counts as overdue whatever its status says (here none: not graded yet), an incident
// reported in time does not, and one outside the scope gets no series at all.
func TestIncidentsCollectorDecidesAtTheScrape(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	incident := func(ns, name string, aware time.Time, notified *time.Time) *isms.SecurityIncident {
		i := &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: isms.SecurityIncidentSpec{AwareAt: metav1.NewTime(aware), Grading: isms.IncidentGrading{Likelihood: 3, Severity: 3}}}
		if notified != nil {
			i.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-1", NotifiedAt: metav1.NewTime(*notified)}}
		}
		return i
	}
	inTime := now.Add(-90 * time.Hour)
	reader := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(
		incident("hr", "ungraded-overdue", now.Add(-96*time.Hour), nil),
		incident("hr", "reported", now.Add(-96*time.Hour), &inTime),
		incident("epr", "reported", now.Add(-96*time.Hour), &inTime),
		incident("outside", "overdue", now.Add(-96*time.Hour), nil),
	).Build()
	leader := make(chan struct{})
	close(leader)
	collector := incidentsCollector{reader: reader, leader: leader, installed: func() bool { return true },
		scope: Scope{Exclude: []string{"outside"}}, clock: func() time.Time { return now }}
	want := `# HELP isms_incident_notifications_overdue ` + overdueHelp + `
# TYPE isms_incident_notifications_overdue gauge
isms_incident_notifications_overdue{namespace="epr"} 0
isms_incident_notifications_overdue{namespace="hr"} 1
# HELP isms_incidents SecurityIncidents, by namespace and state (open or closed).
# TYPE isms_incidents gauge
isms_incidents{namespace="epr",state="open"} 1
isms_incidents{namespace="hr",state="open"} 2
`
	if err := testutil.CollectAndCompare(collector, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
