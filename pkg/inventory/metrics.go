package inventory

import "github.com/prometheus/client_golang/prometheus"

// Metrics is the inventory's instrumentation; a nil *Metrics records
// nothing.
type Metrics struct {
	orphans *prometheus.GaugeVec
}

// NewMetrics registers on reg:
//
//	diskpool_orphan_pools{node}   pools on the node's disks whose owner matches no live pool object
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{orphans: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "diskpool_orphan_pools",
		Help: "Pools on a node's disks whose owner matches no live DiskPool or MayastorPool (adopt or reclaim them).",
	}, []string{"node"})}
	if err := reg.Register(m.orphans); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Metrics) setOrphans(node string, n int) {
	if m != nil {
		m.orphans.WithLabelValues(node).Set(float64(n))
	}
}
