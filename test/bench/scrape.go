package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// metricsSnapshot is one scrape of a /metrics endpoint.
type metricsSnapshot map[string]*dto.MetricFamily

func scrape(ctx context.Context, url string) (metricsSnapshot, error) {
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
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse metrics from %s: %w", url, err)
	}
	return families, nil
}

// sum adds the values (counter, gauge or untyped) of every series of a
// family whose labels match all of want ("k=v"; "k=~a|b" for alternatives).
func (s metricsSnapshot) sum(family string, want ...string) float64 {
	f, ok := s[family]
	if !ok {
		return 0
	}
	var total float64
	for _, m := range f.GetMetric() {
		if !matches(m, want) {
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

func matches(m *dto.Metric, want []string) bool {
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	for _, w := range want {
		if k, alts, ok := strings.Cut(w, "=~"); ok {
			found := false
			for _, a := range strings.Split(alts, "|") {
				if labels[k] == a {
					found = true
				}
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

// delta is after minus before for one family and label filter.
func delta(before, after metricsSnapshot, family string, want ...string) float64 {
	return after.sum(family, want...) - before.sum(family, want...)
}

// histogramMean is the mean of the observations made between two scrapes of
// a histogram family (matching series summed).
func histogramMean(before, after metricsSnapshot, family string, want ...string) float64 {
	sum := func(s metricsSnapshot) (float64, float64) {
		f, ok := s[family]
		if !ok {
			return 0, 0
		}
		var total, count float64
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil && matches(m, want) {
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
