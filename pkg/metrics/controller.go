package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Controller records what pkg/controller measures: reconciles and the API
// writes they make. It implements controller.Metrics.
type Controller struct {
	reconciles *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	writes     *prometheus.CounterVec
	conflicts  *prometheus.CounterVec
}

// NewController registers on reg:
//
//	diskpool_reconcile_total{kind,result}
//	diskpool_reconcile_duration_seconds{kind,result}
//	diskpool_api_writes_total{verb,resource}
//	diskpool_api_conflicts_total{verb,resource}
func NewController(reg prometheus.Registerer) (*Controller, error) {
	m := &Controller{
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "diskpool_reconcile_total",
			Help: "Syncs of pool objects, by kind and result (success, requeue, retry, conflict, error).",
		}, []string{"kind", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "diskpool_reconcile_duration_seconds",
			Help: "Duration of one sync of a pool object, agent calls included, by kind and result.",
			// A no-op sync takes microseconds; one that creates a pool waits
			// for the agent to label the disk (seconds, up to its timeout).
			Buckets: []float64{.0001, .001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60},
		}, []string{"kind", "result"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "diskpool_api_writes_total",
			Help: "Writes the controller sent to the API server (events excluded), by verb and resource, whatever their outcome.",
		}, []string{"verb", "resource"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "diskpool_api_conflicts_total",
			Help: "Controller writes refused with 409 Conflict (a stale cache; retried through the queue), by verb and resource.",
		}, []string{"verb", "resource"}),
	}
	if err := register(reg, m.reconciles, m.duration, m.writes, m.conflicts); err != nil {
		return nil, err
	}
	return m, nil
}

// ObserveReconcile records one sync.
func (m *Controller) ObserveReconcile(kind, result string, d time.Duration) {
	m.reconciles.WithLabelValues(kind, result).Inc()
	m.duration.WithLabelValues(kind, result).Observe(d.Seconds())
}

// ObserveWrite records one write and, when it met a conflict, the conflict.
func (m *Controller) ObserveWrite(verb, resource string, err error) {
	m.writes.WithLabelValues(verb, resource).Inc()
	if apierrors.IsConflict(err) {
		m.conflicts.WithLabelValues(verb, resource).Inc()
	}
}

func register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
