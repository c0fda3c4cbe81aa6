package app

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newGoCollector is the default Go collector plus go_gc_heap_live_bytes,
// the heap the last GC found live: the figure to size the operator's
// memory limit by (go_memstats_heap_alloc_bytes includes garbage not yet
// collected, up to GOGC percent more).
func newGoCollector() prometheus.Collector {
	return collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
		collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)}))
}
