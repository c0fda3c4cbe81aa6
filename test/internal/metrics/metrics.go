// Package metrics scrapes a Prometheus /metrics endpoint into parsed
// families (prometheus/common/expfmt) and sums series by label: the one way
// the suites and the bench read the operator's and the agents' metrics.
package metrics

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
)

// Timeout is a bound for one scrape of a small endpoint (an agent, or an
// operator with few pools); Scrape itself waits as long as ctx allows.
const Timeout = 5 * time.Second

// Snapshot is one scrape: metric families by name.
type Snapshot map[string]*dto.MetricFamily

// Scrape GETs url and parses the text exposition format.
func Scrape(ctx context.Context, url string) (Snapshot, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	s, err := Parse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse metrics from %s: %w", url, err)
	}
	return s, nil
}

// Parse parses the text exposition format.
func Parse(r io.Reader) (Snapshot, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(r)
}

// Sum adds the values of every series of family whose labels match all of
// want ("k=v"; "k=~a|b" for alternatives): counters, gauges and untyped
// series by value, histograms by sample count.
func (s Snapshot) Sum(family string, want ...string) float64 {
	f, ok := s[family]
	if !ok {
		return 0
	}
	var total float64
	for _, m := range f.GetMetric() {
		if !Matches(m, want) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			total += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			total += m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			total += m.GetUntyped().GetValue()
		case m.GetHistogram() != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// Matches reports whether m's labels match every filter of want (see Sum).
func Matches(m *dto.Metric, want []string) bool {
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	for _, w := range want {
		if k, alts, ok := strings.Cut(w, "=~"); ok {
			found := false
			for _, a := range strings.Split(alts, "|") {
				found = found || labels[k] == a
			}
			if !found {
				return false
			}
			continue
		}
		k, v, _ := strings.Cut(w, "=")
		if labels[k] != v {
			return false
		}
	}
	return true
}

// Delta is after minus before for one family and label filter.
func Delta(before, after Snapshot, family string, want ...string) float64 {
	return after.Sum(family, want...) - before.Sum(family, want...)
}

// HistogramMean is the mean of the observations made between two scrapes
// of a histogram family (matching series summed); 0 when there were none.
func HistogramMean(before, after Snapshot, family string, want ...string) float64 {
	sum := func(s Snapshot) (float64, float64) {
		var total, count float64
		for _, m := range s[family].GetMetric() {
			if h := m.GetHistogram(); h != nil && Matches(m, want) {
				total += h.GetSampleSum()
				count += float64(h.GetSampleCount())
			}
		}
		return total, count
	}
	s0, c0 := sum(before)
	s1, c1 := sum(after)
	if c1 <= c0 {
		return 0
	}
	return (s1 - s0) / (c1 - c0)
}

// AgentCallsFamily counts the agent's completed gRPC calls by method and
// code.
const AgentCallsFamily = "diskpool_agent_grpc_server_handled_total"

// Calls are an agent's completed gRPC calls: method, then code, then count.
type Calls map[string]map[string]int

// AgentCalls returns the calls counted in an agent's scrape.
func (s Snapshot) AgentCalls() Calls {
	out := Calls{}
	for _, m := range s[AgentCallsFamily].GetMetric() {
		var method, code string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "grpc_method":
				method = l.GetValue()
			case "grpc_code":
				code = l.GetValue()
			}
		}
		if out[method] == nil {
			out[method] = map[string]int{}
		}
		out[method][code] += int(m.GetCounter().GetValue())
	}
	return out
}

// Total returns the calls of method, all and those that returned OK.
func (c Calls) Total(method string) (all, ok int) {
	for code, n := range c[method] {
		all += n
		if code == "OK" {
			ok += n
		}
	}
	return all, ok
}
