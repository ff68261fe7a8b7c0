package controllers

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/incidents"
	"github.com/isms-operator/isms-operator/internal/version"
)

// overdueHelp is the help of isms_incident_notifications_overdue.
const overdueHelp = "SecurityIncidents reportable to the ICO and neither reported nor decided not reportable 72 hours after awareness, by namespace; 0 for a namespace whose incidents have none."

// The operator's metrics, served with controller-runtime's on the metrics endpoint. Names
// and labels follow Prometheus conventions; README.md documents them.
var (
	controlFailing = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "isms_control_failing",
		Help: "1 when the control fails for the asset (whether or not an accepted risk covers it; isms_asset_compliant counts acceptance), 0 when it passes; absent when not evaluated or not required.",
	}, []string{"namespace", "asset", "control", "level"})
	assetCompliant = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "isms_asset_compliant",
		Help: "1 when every evaluated Required control of the asset passes (or fails under an accepted risk), 0 when not; absent when unknown.",
	}, []string{"namespace", "asset"})
	evaluationDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "isms_evaluation_duration_seconds",
		Help:    "Time to gather an asset's evidence from the cache and evaluate its controls.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
	})
	buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "isms_build_info",
		Help: "Always 1, labelled with the running build's version, commit and Go version; absent when the operator is not running.",
	}, []string{"version", "revision", "goversion"})
	scopeInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "isms_scope_info",
		Help: "Always 1, labelled with the namespaces the operator works in (watched: empty for every namespace) and those it leaves out (excluded); assets elsewhere are not evaluated.",
	}, []string{"watched", "excluded"})
	risksDesc = prometheus.NewDesc("isms_risks",
		"Risks in the register, by namespace, rating and state.", []string{"namespace", "rating", "state"}, nil)
	incidentsDesc = prometheus.NewDesc("isms_incidents",
		"SecurityIncidents, by namespace and state (open or closed).", []string{"namespace", "state"}, nil)
	overdueDesc = prometheus.NewDesc("isms_incident_notifications_overdue", overdueHelp, []string{"namespace"}, nil)
)

// risksCollector counts Risks from the cache at each scrape, so the figure is always the
// register's own and costs no API call. Only the leader reports, so that a sum over
// replicas counts each Risk once.
type risksCollector struct {
	reader client.Reader
	leader <-chan struct{}
}

func (c risksCollector) Describe(ch chan<- *prometheus.Desc) { ch <- risksDesc }

func (c risksCollector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.leader:
	default:
		return
	}
	var risks isms.RiskList
	if err := c.reader.List(context.Background(), &risks); err != nil {
		log.Log.Error(err, "Could not count the risks for the metrics")
		return
	}
	type key struct{ namespace, rating, state string }
	counts := map[key]int{}
	for _, r := range risks.Items {
		counts[key{r.Namespace, string(r.Status.Rating), string(r.Status.State)}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(risksDesc, prometheus.GaugeValue, float64(n), k.namespace, k.rating, k.state)
	}
}

// incidentsCollector counts SecurityIncidents from the cache at each scrape, once their
// kind is watched; only the leader reports. Whether a notification is overdue is decided
// at the scrape as the controller and the board report decide it, so an incident not
// graded yet, or whose status could not be written, still counts. The cache holds every namespace's incidents: a scoped cache of an optional kind
// would stop the manager from starting on a cluster that does not serve it.
type incidentsCollector struct {
	reader    client.Reader
	leader    <-chan struct{}
	installed func() bool
	// scope: an incident elsewhere is not graded, so it is not counted, not even as 0.
	scope Scope
	clock Clock
}

func (c incidentsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- incidentsDesc
	ch <- overdueDesc
}

func (c incidentsCollector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.leader:
	default:
		return
	}
	if !c.installed() {
		return
	}
	var list isms.SecurityIncidentList
	if err := c.reader.List(context.Background(), &list); err != nil {
		log.Log.Error(err, "Could not count the incidents for the metrics")
		return
	}
	now := c.clock.now()
	type key struct{ namespace, state string }
	counts, overdue := map[key]int{}, map[string]int{}
	for _, incident := range list.Items {
		if !c.scope.Contains(incident.Namespace) {
			continue
		}
		state := "open"
		if incident.Spec.Closure != nil {
			state = "closed"
		}
		counts[key{incident.Namespace, state}]++
		overdue[incident.Namespace] += 0
		if incidents.NotificationOverdue(&incident, incidents.GradedReportable(&incident), now) == incidents.ReasonDeadlinePassed {
			overdue[incident.Namespace]++
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(incidentsDesc, prometheus.GaugeValue, float64(n), k.namespace, k.state)
	}
	for namespace, n := range overdue {
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(n), namespace)
	}
}

// registerMetrics adds the operator's metrics to controller-runtime's registry; leader is
// closed once this replica leads, incidentsWatched reports whether incidents are cached,
// clock is the reconcilers'.
func registerMetrics(reader client.Reader, leader <-chan struct{}, scope Scope, incidentsWatched func() bool, clock Clock) error {
	build := version.Get()
	buildInfo.WithLabelValues(build.Version, build.Revision, build.GoVersion).Set(1)
	scopeInfo.Reset()
	scopeInfo.WithLabelValues(strings.Join(scope.namespaces(), ","), strings.Join(scope.Exclude, ",")).Set(1)
	for _, c := range []prometheus.Collector{buildInfo, scopeInfo, controlFailing, assetCompliant, evaluationDuration,
		risksCollector{reader, leader}, incidentsCollector{reader, leader, incidentsWatched, scope, clock}} {
		if err := ctrlmetrics.Registry.Register(c); err != nil {
			if _, already := err.(prometheus.AlreadyRegisteredError); !already {
				return err
			}
		}
	}
	return nil
}

// assetSeries are the isms_control_failing series each asset has, so that re-recording or
// forgetting an asset deletes exactly its own: a partial-match delete scans every asset's
// series, which would make each reconcile cost what the cluster holds.
var assetSeries = struct {
	sync.Mutex
	byAsset map[types.NamespacedName][]controlSeries
}{byAsset: map[types.NamespacedName][]controlSeries{}}

// controlSeries are the label values of a series of isms_control_failing besides the asset.
type controlSeries struct{ control, level string }

// recordAssetMetrics replaces an asset's series with its evaluation's.
func recordAssetMetrics(asset *isms.InformationAsset, eval controls.Evaluation, compliant *bool, took time.Duration) {
	evaluationDuration.Observe(took.Seconds())
	key := types.NamespacedName{Namespace: asset.Namespace, Name: asset.Name}
	failing := map[controlSeries]float64{}
	for _, r := range eval.Results {
		switch r.Status {
		case controls.StatusFail:
			failing[controlSeries{string(r.Control), string(r.Level)}] = 1
		case controls.StatusPass:
			failing[controlSeries{string(r.Control), string(r.Level)}] = 0
		}
	}
	assetSeries.Lock()
	defer assetSeries.Unlock()
	for _, old := range assetSeries.byAsset[key] {
		if _, kept := failing[old]; !kept {
			controlFailing.DeleteLabelValues(key.Namespace, key.Name, old.control, old.level)
		}
	}
	series := make([]controlSeries, 0, len(failing))
	for s, value := range failing {
		controlFailing.WithLabelValues(key.Namespace, key.Name, s.control, s.level).Set(value)
		series = append(series, s)
	}
	assetSeries.byAsset[key] = series
	if compliant == nil {
		assetCompliant.DeleteLabelValues(key.Namespace, key.Name)
		return
	}
	value := 0.0
	if *compliant {
		value = 1
	}
	assetCompliant.WithLabelValues(key.Namespace, key.Name).Set(value)
}

// forgetAssetMetrics drops a deleted asset's series.
func forgetAssetMetrics(namespace, name string) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	assetSeries.Lock()
	defer assetSeries.Unlock()
	for _, old := range assetSeries.byAsset[key] {
		controlFailing.DeleteLabelValues(namespace, name, old.control, old.level)
	}
	delete(assetSeries.byAsset, key)
	assetCompliant.DeleteLabelValues(namespace, name)
}
