package agentwatch

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// agentStates are the states diskpool_agents reports, each always present.
var agentStates = []reconcile.AgentState{reconcile.AgentMissing, reconcile.AgentSyncing, reconcile.AgentReconnecting, reconcile.AgentUnreachable, reconcile.AgentReady}

// Metrics is the Tracker's instrumentation. Build it with NewMetrics and
// pass it in Options.Metrics; a nil *Metrics records nothing.
type Metrics struct {
	agents     *prometheus.GaugeVec
	reconnects *prometheus.CounterVec
}

// NewMetrics registers the Tracker's metrics on reg:
//
//	diskpool_agents{state}                         nodes with an agent Lease, by agent state
//	diskpool_agent_stream_reconnects_total{node}   pool streams that failed and are retried
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		agents: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "diskpool_agents",
			Help: "Nodes with a diskpool-agent Lease, by the state of their agent (Missing, Syncing, Reconnecting, Unreachable, Ready).",
		}, []string{"state"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "diskpool_agent_stream_reconnects_total",
			Help: "Pool streams to a node's agent that failed and are being re-opened.",
		}, []string{"node"}),
	}
	for _, c := range []prometheus.Collector{m.agents, m.reconnects} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, s := range agentStates {
		m.agents.WithLabelValues(s.String()).Set(0)
	}
	return m, nil
}

func (m *Metrics) nodeAdded(s reconcile.AgentState) {
	if m != nil {
		m.agents.WithLabelValues(s.String()).Inc()
	}
}

func (m *Metrics) nodeRemoved(node string, s reconcile.AgentState) {
	if m != nil {
		m.agents.WithLabelValues(s.String()).Dec()
		m.reconnects.DeleteLabelValues(node)
	}
}

func (m *Metrics) transition(from, to reconcile.AgentState) {
	if m != nil && from != to {
		m.agents.WithLabelValues(from.String()).Dec()
		m.agents.WithLabelValues(to.String()).Inc()
	}
}

func (m *Metrics) reconnect(node string) {
	if m != nil {
		m.reconnects.WithLabelValues(node).Inc()
	}
}
