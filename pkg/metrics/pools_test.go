package metrics

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

func pool(name string, cr v1beta3.CRState, ps v1beta3.PoolStatus, capacity, used int64) *v1beta3.DiskPool {
	return &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec:       v1beta3.DiskPoolSpec{Node: "spec-node"},
		Status:     v1beta3.DiskPoolStatus{CRState: cr, PoolStatus: ps, Capacity: capacity, Used: used, Node: "node-a"},
	}
}

func TestPoolsCollector(t *testing.T) {
	objs := []*v1beta3.DiskPool{
		pool("a", v1beta3.CRStateCreated, v1beta3.PoolStatusOnline, 1000, 100),
		pool("b", v1beta3.CRStateCreated, v1beta3.PoolStatusOnline, 2000, 0),
		pool("c", "", "", 0, 0), // no status yet: Creating/Unknown
		pool("d", v1beta3.CRStateError, v1beta3.PoolStatusUnknown, 0, 0),
	}
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewPools(reg, func() ([]*v1beta3.DiskPool, error) { return objs, nil }); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP diskpool_pool_capacity_bytes Capacity of a pool as its status reports it.
# TYPE diskpool_pool_capacity_bytes gauge
diskpool_pool_capacity_bytes{name="a",namespace="ns",node="node-a"} 1000
diskpool_pool_capacity_bytes{name="b",namespace="ns",node="node-a"} 2000
# HELP diskpool_pool_used_bytes Bytes of a pool allocated to replicas, as its status reports it.
# TYPE diskpool_pool_used_bytes gauge
diskpool_pool_used_bytes{name="a",namespace="ns",node="node-a"} 100
diskpool_pool_used_bytes{name="b",namespace="ns",node="node-a"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "diskpool_pool_capacity_bytes", "diskpool_pool_used_bytes"); err != nil {
		t.Error(err)
	}

	// 15 known combinations always, plus the deprecated Error one seen.
	if n := testutil.CollectAndCount(reg, "diskpool_pools"); n != 16 {
		t.Errorf("diskpool_pools: %d series, want 16", n)
	}
	got, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, mf := range got {
		if mf.GetName() != "diskpool_pools" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var k []string
			for _, l := range m.GetLabel() {
				k = append(k, l.GetValue())
			}
			counts[strings.Join(k, "/")] = m.GetGauge().GetValue()
		}
	}
	for k, want := range map[string]float64{"Created/Online": 2, "Creating/Unknown": 1, "Error/Unknown": 1, "Terminating/Offline": 0} {
		if counts[k] != want {
			t.Errorf("diskpool_pools{%s} = %v, want %v", k, counts[k], want)
		}
	}
}

func TestPoolsCollectorListError(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewPools(reg, func() ([]*v1beta3.DiskPool, error) { return nil, errors.New("cache gone") }); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "cache gone") {
		t.Errorf("Gather error = %v, want the list error", err)
	}
}
