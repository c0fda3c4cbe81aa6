package app

import (
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestGoCollectorLiveHeap: the operator's registry exposes the live heap
// beside the default Go metrics.
func TestGoCollectorLiveHeap(t *testing.T) {
	runtime.GC() // the live heap is 0 until a GC has run
	reg := prometheus.NewRegistry()
	reg.MustRegister(newGoCollector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"go_gc_heap_live_bytes": false, "go_gc_gomemlimit_bytes": false, "go_memstats_heap_alloc_bytes": false, "go_goroutines": false}
	for _, f := range families {
		if _, ok := want[f.GetName()]; ok {
			want[f.GetName()] = true
			if f.GetName() == "go_gc_heap_live_bytes" && f.GetMetric()[0].GetGauge().GetValue() <= 0 {
				t.Errorf("go_gc_heap_live_bytes = %v", f.GetMetric()[0].GetGauge().GetValue())
			}
		}
	}
	for name, found := range want {
		if !found {
			t.Errorf("%s not exposed", name)
		}
	}
}
