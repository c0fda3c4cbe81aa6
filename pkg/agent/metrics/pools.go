// Package metrics exports the agent's Prometheus metrics: pool gauges read
// from the agent at scrape time, and gRPC server call counts and latency
// from interceptors. Everything registers on a registry passed in, never
// on the global one, so each test has its own.
package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

// States are the values of the state label of diskpool_agent_pool_state.
var States = []agentv1.PoolState{
	agentv1.PoolState_POOL_STATE_ONLINE,
	agentv1.PoolState_POOL_STATE_DEGRADED,
	agentv1.PoolState_POOL_STATE_FAULTED,
}

// StateLabel returns the state label value: "online", "degraded", "faulted".
func StateLabel(s agentv1.PoolState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "POOL_STATE_"))
}

// PoolCollector reports every pool the agent has at scrape time, so the
// metrics never go stale or keep deleted pools.
type PoolCollector struct {
	list                                  func() []*agentv1.Pool
	capacity, used, committed, state, rep *prometheus.Desc
}

var _ prometheus.Collector = (*PoolCollector)(nil)

// NewPoolCollector returns a collector over list (for example Agent.Pools).
func NewPoolCollector(list func() []*agentv1.Pool) *PoolCollector {
	labels := []string{"node", "pool"}
	return &PoolCollector{
		list:      list,
		capacity:  prometheus.NewDesc("diskpool_agent_pool_capacity_bytes", "Data capacity of the pool.", labels, nil),
		used:      prometheus.NewDesc("diskpool_agent_pool_used_bytes", "Bytes of the pool allocated to replicas.", labels, nil),
		committed: prometheus.NewDesc("diskpool_agent_pool_committed_bytes", "Bytes promised to replicas, thin ones included.", labels, nil),
		rep:       prometheus.NewDesc("diskpool_agent_pool_replicas", "Replicas on the pool.", labels, nil),
		state:     prometheus.NewDesc("diskpool_agent_pool_state", "1 for the pool's current state, 0 for the others.", append(labels, "state"), nil),
	}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.capacity, c.used, c.committed, c.rep, c.state} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.list() {
		lv := []string{p.GetNode(), p.GetName()}
		ch <- prometheus.MustNewConstMetric(c.capacity, prometheus.GaugeValue, float64(p.GetCapacity()), lv...)
		ch <- prometheus.MustNewConstMetric(c.used, prometheus.GaugeValue, float64(p.GetUsed()), lv...)
		ch <- prometheus.MustNewConstMetric(c.committed, prometheus.GaugeValue, float64(p.GetCommitted()), lv...)
		ch <- prometheus.MustNewConstMetric(c.rep, prometheus.GaugeValue, float64(p.GetReplicaCount()), lv...)
		for _, s := range States {
			v := 0.0
			if p.GetState() == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, append(lv, StateLabel(s))...)
		}
	}
}
