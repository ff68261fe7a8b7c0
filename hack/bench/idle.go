package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// measureIdle counts, over a window in which nothing changes, the operator's API requests
// by HTTP method (client-go's rest_client_requests_total), the API server's requests by
// verb (apiserver_request_total, for LIST), and updates of the operator's kinds; then it
// reads the operator's heap and RSS.
func measureIdle(ctx context.Context, cfg *rest.Config, w *watches, operatorMetrics string, idle time.Duration, r *Results) error {
	time.Sleep(2 * time.Second) // let the last drift's writes land
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	apiserverMetrics := func() (string, error) {
		data, err := clientset.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
		return string(data), err
	}
	operatorBefore, err := scrape(operatorMetrics)
	if err != nil {
		return err
	}
	text, err := apiserverMetrics()
	if err != nil {
		return err
	}
	apiserverBefore, err := parse(text)
	if err != nil {
		return err
	}
	writesBefore := w.statusWrites.Load()

	time.Sleep(idle)

	operatorAfter, err := scrape(operatorMetrics)
	if err != nil {
		return err
	}
	if text, err = apiserverMetrics(); err != nil {
		return err
	}
	apiserverAfter, err := parse(text)
	if err != nil {
		return err
	}
	r.IdleSeconds = idle.Seconds()
	r.IdleStatusWrites = int(w.statusWrites.Load() - writesBefore)
	r.IdleOperatorRequests = delta(operatorBefore, operatorAfter, "rest_client_requests_total", "method")
	r.IdleAPIServerRequests = delta(apiserverBefore, apiserverAfter, "apiserver_request_total", "verb", "resource")
	r.HeapMiB = sum(operatorAfter, "go_memstats_heap_alloc_bytes") / (1 << 20)
	r.RSSMiB = sum(operatorAfter, "process_resident_memory_bytes") / (1 << 20)
	return nil
}

type families map[string]*dto.MetricFamily

// evaluations reads the operator's count of asset evaluations and their total seconds
// (isms_evaluation_duration_seconds).
func evaluations(operatorMetrics string) (count uint64, seconds float64, err error) {
	f, err := scrape(operatorMetrics)
	if err != nil {
		return 0, 0, err
	}
	if family, ok := f["isms_evaluation_duration_seconds"]; ok && len(family.GetMetric()) > 0 {
		h := family.GetMetric()[0].GetHistogram()
		return h.GetSampleCount(), h.GetSampleSum(), nil
	}
	return 0, 0, nil
}

func scrape(url string) (families, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return parse(string(body))
}

func parse(text string) (families, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	parsed, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	return families(parsed), nil
}

// sumBy adds the values of a counter or gauge family, grouped by the labels' values.
func sumBy(f families, name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	family, ok := f[name]
	if !ok {
		return out
	}
	for _, m := range family.GetMetric() {
		var values []string
		for _, want := range labels {
			for _, l := range m.GetLabel() {
				if l.GetName() == want {
					values = append(values, l.GetValue())
				}
			}
		}
		key := strings.Join(values, " ")
		switch {
		case m.Counter != nil:
			out[key] += m.Counter.GetValue()
		case m.Gauge != nil:
			out[key] += m.Gauge.GetValue()
		}
	}
	return out
}

func sum(f families, name string) float64 {
	total := 0.0
	for _, v := range sumBy(f, name) {
		total += v
	}
	return total
}

// delta is after minus before of a counter family, by the labels' values, leaving out zeros.
func delta(before, after families, name string, labels ...string) map[string]float64 {
	was, is := sumBy(before, name, labels...), sumBy(after, name, labels...)
	out := map[string]float64{}
	for key, v := range is {
		if d := v - was[key]; d != 0 {
			out[key] = d
		}
	}
	return out
}
