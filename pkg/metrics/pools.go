package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// ListFunc lists the pool objects the operator serves, from its informer
// caches.
type ListFunc func() ([]*v1beta3.DiskPool, error)

// Pools is a collector computed from the informer cache at scrape time,
// so it needs no bookkeeping and can never drift from the objects:
//
//	diskpool_pools{cr_state,pool_status}
//	diskpool_pool_capacity_bytes{namespace,name,node}
//	diskpool_pool_used_bytes{namespace,name,node}
//
// diskpool_pools always exports every known cr_state and pool_status
// combination (0 when there is none), so alerts on a combination never see
// it vanish. Capacity and used are exported for pools whose status
// reports a capacity.
type Pools struct {
	list     ListFunc
	pools    *prometheus.Desc
	capacity *prometheus.Desc
	used     *prometheus.Desc
}

var _ prometheus.Collector = (*Pools)(nil)

// NewPools registers a Pools collector over list on reg.
func NewPools(reg prometheus.Registerer, list ListFunc) (*Pools, error) {
	perPool := []string{"namespace", "name", "node"}
	p := &Pools{
		list: list,
		pools: prometheus.NewDesc("diskpool_pools",
			"Pool objects by lifecycle state (status.cr_state; none yet counts as Creating) and pool health (status.pool_status).",
			[]string{"cr_state", "pool_status"}, nil),
		capacity: prometheus.NewDesc("diskpool_pool_capacity_bytes",
			"Capacity of a pool as its status reports it.", perPool, nil),
		used: prometheus.NewDesc("diskpool_pool_used_bytes",
			"Bytes of a pool allocated to replicas, as its status reports it.", perPool, nil),
	}
	if err := reg.Register(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Describe implements prometheus.Collector.
func (p *Pools) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.pools
	ch <- p.capacity
	ch <- p.used
}

var (
	knownCRStates     = []v1beta3.CRState{v1beta3.CRStateCreating, v1beta3.CRStateCreated, v1beta3.CRStateTerminating}
	knownPoolStatuses = []v1beta3.PoolStatus{v1beta3.PoolStatusOnline, v1beta3.PoolStatusDegraded,
		v1beta3.PoolStatusFaulted, v1beta3.PoolStatusOffline, v1beta3.PoolStatusUnknown}
)

type stateKey struct {
	crState    v1beta3.CRState
	poolStatus v1beta3.PoolStatus
}

// Collect implements prometheus.Collector.
func (p *Pools) Collect(ch chan<- prometheus.Metric) {
	objs, err := p.list()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(p.pools, err)
		return
	}
	counts := make(map[stateKey]int, len(knownCRStates)*len(knownPoolStatuses))
	for _, s := range knownCRStates {
		for _, ps := range knownPoolStatuses {
			counts[stateKey{s, ps}] = 0
		}
	}
	for _, o := range objs {
		k := stateKey{o.Status.CRState, o.Status.PoolStatus}
		if k.crState == "" {
			k.crState = v1beta3.CRStateCreating
		}
		if k.poolStatus == "" {
			k.poolStatus = v1beta3.PoolStatusUnknown
		}
		counts[k]++
		if o.Status.Capacity > 0 {
			node := reconcile.EffectiveNode(o)
			ch <- prometheus.MustNewConstMetric(p.capacity, prometheus.GaugeValue, float64(o.Status.Capacity), o.Namespace, o.Name, node)
			ch <- prometheus.MustNewConstMetric(p.used, prometheus.GaugeValue, float64(o.Status.Used), o.Namespace, o.Name, node)
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(p.pools, prometheus.GaugeValue, float64(n), string(k.crState), string(k.poolStatus))
	}
}
