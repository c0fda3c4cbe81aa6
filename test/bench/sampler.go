package main

// The sampler behind `-samples <file>`: once a second it scrapes the
// operator's and every agent's /metrics and writes, as one JSON line, the
// series the panels of manifests/components/monitoring/dashboard.json show,
// computed the way their PromQL queries compute them (sums by the panel's
// labels; rates and histogram quantiles over a short window of samples).
// test/dashpreview draws docs/dashboard.png from that file.
//
// File format (docs/dashboard.md): a first line {"meta": {...}}, then one
// line per tick: {"t": seconds since the sampler started, "time": RFC 3339,
// "series": {group: {legend: value}}}. A group is absent when its source
// could not be scraped at that tick (the operator during its restart), and a
// rate or quantile is absent while its window holds fewer than two scrapes
// or no observation, as Prometheus leaves a gap.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

const (
	sampleInterval = time.Second
	// sampleWindow plays $__rate_interval: rates and quantiles are taken
	// over the scrapes of the last sampleWindow.
	sampleWindow = 5 * time.Second
	// scrapeTimeout: the operator's /metrics can take seconds to answer
	// while it converges a thousand pools on two busy cores; a late tick is
	// dropped, not queued.
	scrapeTimeout = 5 * time.Second
)

// metricsSource is what the sampler needs of the local environment
// (*localenv.Env).
type metricsSource interface {
	OperatorMetricsURL() string
	AgentMetricsURL(node string) string
	Nodes() []string
}

type sampleMeta struct {
	Source          string   `json:"source"`
	Args            []string `json:"args"`
	Pools           int      `json:"pools"`
	Nodes           []string `json:"nodes"`
	OperatorFlags   []string `json:"operatorFlags,omitempty"`
	Started         string   `json:"started"`
	IntervalSeconds float64  `json:"intervalSeconds"`
	WindowSeconds   float64  `json:"windowSeconds"`
}

type sampleLine struct {
	T      float64                       `json:"t"`
	Time   string                        `json:"time"`
	Series map[string]map[string]float64 `json:"series"`
}

// startSampler samples src into path until ctx ends or the returned stop is
// called; stop waits for the last line and closes the file.
func startSampler(ctx context.Context, src metricsSource, path string, meta sampleMeta) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	w := bufio.NewWriter(f)
	started := time.Now()
	meta.Source = "test/bench"
	meta.Args = os.Args[1:]
	meta.Nodes = src.Nodes()
	meta.Started = started.UTC().Format(time.RFC3339)
	meta.IntervalSeconds = sampleInterval.Seconds()
	meta.WindowSeconds = sampleWindow.Seconds()
	enc := json.NewEncoder(w)
	if err := enc.Encode(map[string]any{"meta": meta}); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("samples: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var lines int
	var writeErr error
	go func() {
		defer close(done)
		s := &sampler{src: src, window: sampleWindow}
		tick := time.NewTicker(sampleInterval)
		defer tick.Stop()
		for {
			now := time.Now()
			line := sampleLine{
				T:      math.Round(now.Sub(started).Seconds()*1000) / 1000,
				Time:   now.UTC().Format(time.RFC3339Nano),
				Series: s.sample(ctx, now),
			}
			if ctx.Err() != nil {
				return // a scrape cut short by the stop is no sample
			}
			if err := enc.Encode(line); err != nil && writeErr == nil {
				writeErr = err
			}
			lines++
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	logf("sampling the operator's and agents' metrics every %s into %s", sampleInterval, path)
	return func() {
		cancel()
		<-done
		if err := w.Flush(); err != nil && writeErr == nil {
			writeErr = err
		}
		if err := f.Close(); err != nil && writeErr == nil {
			writeErr = err
		}
		if writeErr != nil {
			logf("samples: %v", writeErr)
			return
		}
		logf("wrote %d samples to %s", lines, path)
	}, nil
}

// sampler keeps the operator's recent cumulative series for windowed rates.
type sampler struct {
	src    metricsSource
	window time.Duration
	hist   []cumulative
}

// cumulative is one scrape's counters and histogram buckets, flattened.
type cumulative struct {
	at    time.Time
	start float64 // process_start_time_seconds: a change is a counter reset
	v     map[string]float64
}

// flat is one flattened series of a counter or histogram: a histogram
// contributes a series per bucket, le="+Inf" being its count.
type flat struct {
	family string
	labels map[string]string
	le     float64 // histogram buckets only
	value  float64
}

func (s *sampler) sample(ctx context.Context, now time.Time) map[string]map[string]float64 {
	nodes := s.src.Nodes()
	urls := append([]string{s.src.OperatorMetricsURL()}, make([]string, len(nodes))...)
	for i, n := range nodes {
		urls[i+1] = s.src.AgentMetricsURL(n)
	}
	snaps := make([]metrics.Snapshot, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		if u == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, scrapeTimeout)
			defer cancel()
			if m, err := metrics.Scrape(sctx, u); err == nil {
				snaps[i] = m
			}
		}()
	}
	wg.Wait()

	out := map[string]map[string]float64{}
	agentsUp := 0
	for i, node := range nodes {
		if m := snaps[i+1]; m != nil {
			agentsUp++
			addAgent(out, node, m)
		}
	}
	up := map[string]float64{"diskpool-agent": float64(agentsUp), "diskpool-operator": 0}
	out["up"] = up
	op := snaps[0]
	if op == nil {
		return out
	}
	up["diskpool-operator"] = 1
	addOperatorGauges(out, op)

	series := flatten(op, "diskpool_reconcile_total", "diskpool_reconcile_duration_seconds",
		"diskpool_workqueue_adds_total", "diskpool_workqueue_retries_total",
		"diskpool_workqueue_queue_duration_seconds", "diskpool_agent_stream_reconnects_total")
	cur := cumulative{at: now, start: op.Sum("process_start_time_seconds"), v: map[string]float64{}}
	for _, f := range series {
		cur.v[f.key()] = f.value
	}
	s.hist = append(s.hist, cur)
	// Keep the scrapes of the window: the oldest one at or before its start.
	for len(s.hist) > 1 && now.Sub(s.hist[1].at) >= s.window {
		s.hist = s.hist[1:]
	}
	if len(s.hist) < 2 {
		return out
	}
	elapsed := now.Sub(s.hist[0].at).Seconds()
	if elapsed > 2*s.window.Seconds() {
		return out // a gap (operator restart): no window to rate over
	}
	inc := increases(s.hist)
	addOperatorRates(out, series, inc, elapsed)
	return out
}

func (f flat) key() string {
	var b strings.Builder
	b.WriteString(f.family)
	keys := make([]string, 0, len(f.labels))
	for k := range f.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + f.labels[k])
	}
	if f.le != 0 {
		b.WriteString("\x00le=" + strconv.FormatFloat(f.le, 'g', -1, 64))
	}
	return b.String()
}

// flatten lists the series of counter and histogram families.
func flatten(m metrics.Snapshot, families ...string) []flat {
	var out []flat
	for _, name := range families {
		fam, ok := m[name]
		if !ok {
			continue
		}
		for _, s := range fam.GetMetric() {
			labels := labelMap(s)
			if h := s.GetHistogram(); h != nil {
				for _, b := range h.GetBucket() {
					if math.IsInf(b.GetUpperBound(), 1) {
						continue
					}
					out = append(out, flat{family: name, labels: labels, le: b.GetUpperBound(), value: float64(b.GetCumulativeCount())})
				}
				out = append(out, flat{family: name, labels: labels, le: math.Inf(1), value: float64(h.GetSampleCount())})
				continue
			}
			out = append(out, flat{family: name, labels: labels, value: value(s)})
		}
	}
	return out
}

// increases sums, per series, the increase between consecutive scrapes of
// the window, the way Prometheus's increase() treats a counter reset: a
// fall, or a new process, means the counter restarted from zero.
func increases(hist []cumulative) map[string]float64 {
	inc := map[string]float64{}
	for i := 1; i < len(hist); i++ {
		prev, cur := hist[i-1], hist[i]
		restarted := cur.start != prev.start
		for k, v := range cur.v {
			p, seen := prev.v[k]
			switch {
			case restarted || !seen:
				// A new process, or a series created since the previous
				// scrape: all of its count is new.
				inc[k] += v
			case v < p:
				inc[k] += v
			default:
				inc[k] += v - p
			}
		}
	}
	return inc
}

func addOperatorGauges(out map[string]map[string]float64, op metrics.Snapshot) {
	byStatus, byState := map[string]float64{}, map[string]float64{}
	each(op, "diskpool_pools", func(l map[string]string, v float64) {
		byStatus[l["pool_status"]] += v
		byState[l["cr_state"]] += v
	})
	out["pools_by_status"], out["pools_by_state"] = byStatus, byState

	// Capacity: per node as the dashboard sums it, and the spread of the
	// per-pool series of each node (one line per pool does not read with a
	// thousand pools).
	type pool struct{ capacity, used float64 }
	pools := map[string]*pool{} // node\x00namespace/name
	get := func(l map[string]string) *pool {
		k := l["node"] + "\x00" + l["namespace"] + "/" + l["name"]
		if pools[k] == nil {
			pools[k] = &pool{}
		}
		return pools[k]
	}
	each(op, "diskpool_pool_capacity_bytes", func(l map[string]string, v float64) { get(l).capacity = v })
	each(op, "diskpool_pool_used_bytes", func(l map[string]string, v float64) { get(l).used = v })
	groups := []string{"node_capacity_bytes", "node_used_bytes", "pool_count", "pool_capacity_min_bytes",
		"pool_capacity_max_bytes", "pool_used_min_bytes", "pool_used_max_bytes", "pool_allocated_max_ratio"}
	for _, g := range groups {
		out[g] = map[string]float64{}
	}
	for k, p := range pools {
		node, _, _ := strings.Cut(k, "\x00")
		first := out["pool_count"][node] == 0
		out["pool_count"][node]++
		out["node_capacity_bytes"][node] += p.capacity
		out["node_used_bytes"][node] += p.used
		minMax(out["pool_capacity_min_bytes"], out["pool_capacity_max_bytes"], node, p.capacity, first)
		minMax(out["pool_used_min_bytes"], out["pool_used_max_bytes"], node, p.used, first)
		if p.capacity > 0 {
			out["pool_allocated_max_ratio"][node] = max(out["pool_allocated_max_ratio"][node], p.used/p.capacity)
		}
	}

	depth := map[string]float64{}
	each(op, "diskpool_workqueue_depth", func(l map[string]string, v float64) { depth[l["name"]] = max(depth[l["name"]], v) })
	out["workqueue_depth"] = depth
	out["leader"] = map[string]float64{"leaders": op.Sum("diskpool_leader")}
	agents := map[string]float64{}
	each(op, "diskpool_agents", func(l map[string]string, v float64) { agents[l["state"]] = v })
	out["agents_by_state"] = agents
}

func addOperatorRates(out map[string]map[string]float64, series []flat, inc map[string]float64, elapsed float64) {
	rate := func(group, name string, f flat) {
		if out[group] == nil {
			out[group] = map[string]float64{}
		}
		out[group][name] += inc[f.key()] / elapsed
	}
	type bucketKey struct {
		group string
		le    float64
	}
	latency := map[bucketKey]float64{}
	wait := map[bucketKey]float64{}
	for _, f := range series {
		l := f.labels
		switch f.family {
		case "diskpool_reconcile_total":
			rate("reconcile_rate", l["kind"]+" "+l["result"], f)
			if l["result"] == "error" {
				rate("reconcile_errors_rate", l["kind"], f)
			} else if _, ok := out["reconcile_errors_rate"][l["kind"]]; !ok {
				// A kind without errors yet: its line at 0, as the
				// dashboard shows once the kind has a result="error" series.
				if out["reconcile_errors_rate"] == nil {
					out["reconcile_errors_rate"] = map[string]float64{}
				}
				out["reconcile_errors_rate"][l["kind"]] = 0
			}
		case "diskpool_reconcile_duration_seconds":
			latency[bucketKey{l["kind"], f.le}] += inc[f.key()]
		case "diskpool_workqueue_queue_duration_seconds":
			wait[bucketKey{l["name"], f.le}] += inc[f.key()]
		case "diskpool_workqueue_adds_total":
			rate("workqueue_adds_rate", l["name"], f)
		case "diskpool_workqueue_retries_total":
			rate("workqueue_retries_rate", l["name"], f)
		case "diskpool_agent_stream_reconnects_total":
			rate("agent_reconnects_rate", l["node"], f)
		}
	}
	quantiles := func(b map[bucketKey]float64) map[string][]bucket {
		out := map[string][]bucket{}
		for k, v := range b {
			out[k.group] = append(out[k.group], bucket{le: k.le, count: v})
		}
		return out
	}
	out["reconcile_latency_seconds"] = map[string]float64{}
	for kind, b := range quantiles(latency) {
		for _, q := range []struct {
			name string
			q    float64
		}{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}} {
			if v, ok := histogramQuantile(q.q, b); ok {
				out["reconcile_latency_seconds"][kind+" "+q.name] = v
			}
		}
	}
	out["workqueue_wait_p99_seconds"] = map[string]float64{}
	for name, b := range quantiles(wait) {
		if v, ok := histogramQuantile(0.99, b); ok {
			out["workqueue_wait_p99_seconds"][name] = v
		}
	}
}

type bucket struct {
	le    float64
	count float64 // cumulative
}

// histogramQuantile is PromQL's histogram_quantile over cumulative bucket
// counts: linear interpolation inside the bucket holding the rank, the
// lower bound of the first bucket taken as 0, the last finite bound if the
// rank falls in +Inf. No observations: no value.
func histogramQuantile(q float64, buckets []bucket) (float64, bool) {
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].le < buckets[j].le })
	if len(buckets) < 2 || !math.IsInf(buckets[len(buckets)-1].le, 1) {
		return 0, false
	}
	total := buckets[len(buckets)-1].count
	if total <= 0 {
		return 0, false
	}
	rank := q * total
	i := sort.Search(len(buckets), func(i int) bool { return buckets[i].count >= rank })
	if i == len(buckets)-1 {
		return buckets[len(buckets)-2].le, true
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = buckets[i-1].le, buckets[i-1].count
	}
	upper, in := buckets[i].le, buckets[i].count-below
	if in <= 0 {
		return upper, true
	}
	return lower + (upper-lower)*(rank-below)/in, true
}

// addAgent adds one agent's view of its pools.
func addAgent(out map[string]map[string]float64, node string, m metrics.Snapshot) {
	for group, family := range map[string]string{
		"agent_capacity_bytes": "diskpool_agent_pool_capacity_bytes",
		"agent_used_bytes":     "diskpool_agent_pool_used_bytes",
	} {
		if out[group] == nil {
			out[group] = map[string]float64{}
		}
		out[group][node] = m.Sum(family)
	}
	if out["agent_pools"] == nil {
		out["agent_pools"] = map[string]float64{}
	}
	if f, ok := m["diskpool_agent_pool_capacity_bytes"]; ok {
		out["agent_pools"][node] = float64(len(f.GetMetric()))
	} else {
		out["agent_pools"][node] = 0
	}
}

func minMax(lo, hi map[string]float64, k string, v float64, first bool) {
	if first || v < lo[k] {
		lo[k] = v
	}
	if first || v > hi[k] {
		hi[k] = v
	}
}

func each(m metrics.Snapshot, family string, fn func(map[string]string, float64)) {
	if f, ok := m[family]; ok {
		for _, s := range f.GetMetric() {
			fn(labelMap(s), value(s))
		}
	}
}

func labelMap(m *dto.Metric) map[string]string {
	l := make(map[string]string, len(m.GetLabel()))
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}
