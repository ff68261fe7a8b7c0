package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Distribution summarises durations in seconds.
type Distribution struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func distribution(ds []time.Duration) Distribution {
	if len(ds) == 0 {
		return Distribution{}
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(sorted)))) - 1
		return sorted[max(i, 0)].Seconds()
	}
	return Distribution{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: sorted[len(sorted)-1].Seconds()}
}

func ms(s float64) string { return fmt.Sprintf("%.1f ms", s*1000) }

func byKey(m map[string]float64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func printTable(out io.Writer, r *Results) {
	t := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(t, "\nestate\t%d assets, %d workloads, %d namespaces, %d Velero Backups, %d burst assets (%d objects, created in %.1f s)\n",
		r.Assets, r.Workloads, r.Namespaces, r.Backups, r.BurstAssets, r.Objects, r.CreateSeconds)
	fmt.Fprintf(t, "full evaluation after operator start\t%.1f s\n", r.FullEvaluationSecs)
	if r.OpenReports > 0 {
		fmt.Fprintf(t, "OpenReports Reports\t%d, %.1f KiB in all (%.1f KiB each), the last %.1f s after the full evaluation\n",
			r.OpenReports, float64(r.ReportBytes)/1024, float64(r.ReportBytes)/1024/float64(r.OpenReports), r.ReportSeconds)
	}
	fmt.Fprintf(t, "drift -> Risk visible (%d drifts)\tp50 %s, p95 %s, p99 %s, max %s\n", r.Drifts, ms(r.DriftLatency.P50), ms(r.DriftLatency.P95), ms(r.DriftLatency.P99), ms(r.DriftLatency.Max))
	fmt.Fprintf(t, "floor: same write -> bare watch\tp50 %s, p95 %s, p99 %s, max %s\n", ms(r.Floor.P50), ms(r.Floor.P95), ms(r.Floor.P99), ms(r.Floor.Max))
	fmt.Fprintf(t, "ratio drift / floor\tp50 %.1fx, p99 %.1fx\n", r.RatioP50, r.RatioP99)
	if r.BurstDrifts > 0 {
		fmt.Fprintf(t, "drift -> Risk elsewhere during %d-asset bursts (%d drifts)\tp50 %s, p95 %s, p99 %s, max %s\n", r.BurstAssets, r.BurstDrifts,
			ms(r.BurstLatency.P50), ms(r.BurstLatency.P95), ms(r.BurstLatency.P99), ms(r.BurstLatency.Max))
		fmt.Fprintf(t, "operator writes during the bursts\t%d\n", r.BurstStatusWrites)
	}
	fmt.Fprintf(t, "one asset's evaluation, mean while drifts were timed\t%.2f ms\n", r.EvaluationMeanMs)
	fmt.Fprintf(t, "operator heap / RSS at steady state\t%.0f MiB / %.0f MiB\n", r.HeapMiB, r.RSSMiB)
	fmt.Fprintf(t, "operator API requests in %.0f s idle\t%s\n", r.IdleSeconds, byKey(r.IdleOperatorRequests))
	fmt.Fprintf(t, "API server requests in %.0f s idle, all clients\t%s\n", r.IdleSeconds, byKey(r.IdleAPIServerRequests))
	fmt.Fprintf(t, "status writes in %.0f s idle\t%d\n", r.IdleSeconds, r.IdleStatusWrites)
	t.Flush()
}
