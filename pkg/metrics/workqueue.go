package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/util/workqueue"
)

// Workqueue is a workqueue.MetricsProvider on a registry: pass it as
// TypedRateLimitingQueueConfig.MetricsProvider (the controller's
// Config.QueueMetricsProvider). Every queue it serves is told apart by
// the name label, which is the queue's name.
type Workqueue struct {
	depth          *prometheus.GaugeVec
	adds           *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	workDuration   *prometheus.HistogramVec
	unfinished     *prometheus.GaugeVec
	longestRunning *prometheus.GaugeVec
	retries        *prometheus.CounterVec
}

var _ workqueue.MetricsProvider = (*Workqueue)(nil)

// NewWorkqueue registers on reg, with the names client-go's own provider
// uses in Kubernetes components, prefixed:
//
//	diskpool_workqueue_depth{name}
//	diskpool_workqueue_adds_total{name}
//	diskpool_workqueue_queue_duration_seconds{name}
//	diskpool_workqueue_work_duration_seconds{name}
//	diskpool_workqueue_unfinished_work_seconds{name}
//	diskpool_workqueue_longest_running_processor_seconds{name}
//	diskpool_workqueue_retries_total{name}
func NewWorkqueue(reg prometheus.Registerer) (*Workqueue, error) {
	const sub = "workqueue"
	labels := []string{"name"}
	// From 1µs to 10s and beyond: queue waits include backoff delays.
	buckets := prometheus.ExponentialBuckets(1e-6, 10, 9)
	w := &Workqueue{
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "diskpool", Subsystem: sub, Name: "depth",
			Help: "Current depth of the workqueue."}, labels),
		adds: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "diskpool", Subsystem: sub, Name: "adds_total",
			Help: "Adds handled by the workqueue."}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "diskpool", Subsystem: sub, Name: "queue_duration_seconds",
			Help: "How long an item stays in the workqueue before being processed.", Buckets: buckets}, labels),
		workDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "diskpool", Subsystem: sub, Name: "work_duration_seconds",
			Help: "How long processing an item from the workqueue takes.", Buckets: buckets}, labels),
		unfinished: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "diskpool", Subsystem: sub, Name: "unfinished_work_seconds",
			Help: "Seconds of work in progress not yet observed by work_duration; large values mean stuck workers."}, labels),
		longestRunning: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "diskpool", Subsystem: sub, Name: "longest_running_processor_seconds",
			Help: "How long the longest-running worker of the workqueue has been processing its item."}, labels),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "diskpool", Subsystem: sub, Name: "retries_total",
			Help: "Rate-limited retries handled by the workqueue."}, labels),
	}
	if err := register(reg, w.depth, w.adds, w.latency, w.workDuration, w.unfinished, w.longestRunning, w.retries); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Workqueue) NewDepthMetric(name string) workqueue.GaugeMetric {
	return w.depth.WithLabelValues(name)
}

func (w *Workqueue) NewAddsMetric(name string) workqueue.CounterMetric {
	return w.adds.WithLabelValues(name)
}

func (w *Workqueue) NewLatencyMetric(name string) workqueue.HistogramMetric {
	return w.latency.WithLabelValues(name)
}

func (w *Workqueue) NewWorkDurationMetric(name string) workqueue.HistogramMetric {
	return w.workDuration.WithLabelValues(name)
}

func (w *Workqueue) NewUnfinishedWorkSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return w.unfinished.WithLabelValues(name)
}

func (w *Workqueue) NewLongestRunningProcessorSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return w.longestRunning.WithLabelValues(name)
}

func (w *Workqueue) NewRetriesMetric(name string) workqueue.CounterMetric {
	return w.retries.WithLabelValues(name)
}
