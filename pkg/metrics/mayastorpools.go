package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
)

// MayastorPoolListFunc lists the legacy MayastorPools the operator serves,
// from its informer caches.
type MayastorPoolListFunc func() ([]*v1alpha1.MayastorPool, error)

// MayastorPools is the legacy kind's counterpart of diskpool_pools,
// computed from the informer cache at scrape time:
//
//	diskpool_mayastorpools{state}
//
// Every legacy state (pending, online, degraded, faulted, offline) is
// always exported, 0 when there is none; a MayastorPool without a status
// yet counts as pending. Capacity and used are not repeated per pool: a
// migration turns these objects into DiskPools, whose per-pool gauges
// carry them.
type MayastorPools struct {
	list  MayastorPoolListFunc
	pools *prometheus.Desc
}

var _ prometheus.Collector = (*MayastorPools)(nil)

// NewMayastorPools registers a MayastorPools collector over list on reg.
func NewMayastorPools(reg prometheus.Registerer, list MayastorPoolListFunc) (*MayastorPools, error) {
	p := &MayastorPools{
		list: list,
		pools: prometheus.NewDesc("diskpool_mayastorpools",
			"Legacy MayastorPool objects by status.state (none yet counts as pending).",
			[]string{"state"}, nil),
	}
	if err := reg.Register(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Describe implements prometheus.Collector.
func (p *MayastorPools) Describe(ch chan<- *prometheus.Desc) { ch <- p.pools }

var knownMayastorPoolStates = []v1alpha1.MayastorPoolState{v1alpha1.StatePending, v1alpha1.StateOnline,
	v1alpha1.StateDegraded, v1alpha1.StateFaulted, v1alpha1.StateOffline}

// Collect implements prometheus.Collector.
func (p *MayastorPools) Collect(ch chan<- prometheus.Metric) {
	objs, err := p.list()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(p.pools, err)
		return
	}
	counts := make(map[v1alpha1.MayastorPoolState]int, len(knownMayastorPoolStates))
	for _, s := range knownMayastorPoolStates {
		counts[s] = 0
	}
	for _, o := range objs {
		s := o.Status.State
		if s == "" {
			s = v1alpha1.StatePending
		}
		counts[s]++
	}
	for s, n := range counts {
		ch <- prometheus.MustNewConstMetric(p.pools, prometheus.GaugeValue, float64(n), string(s))
	}
}
