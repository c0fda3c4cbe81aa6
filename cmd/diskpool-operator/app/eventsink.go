package app

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/tools/events"
)

// countingSink counts the event writes the recorder makes, so the cost of
// events (API writes too) is visible next to the pool writes.
type countingSink struct {
	events.EventSink
	writes *prometheus.CounterVec
}

func newEventWritesCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "diskpool_event_writes_total",
		Help: "Kubernetes Event writes made by the operator's event recorder, by verb and result.",
	}, []string{"verb", "result"})
	return c, reg.Register(c)
}

func (s countingSink) count(verb string, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	s.writes.WithLabelValues(verb, result).Inc()
}

func (s countingSink) Create(ctx context.Context, e *eventsv1.Event) (*eventsv1.Event, error) {
	out, err := s.EventSink.Create(ctx, e)
	s.count("create", err)
	return out, err
}

func (s countingSink) Update(ctx context.Context, e *eventsv1.Event) (*eventsv1.Event, error) {
	out, err := s.EventSink.Update(ctx, e)
	s.count("update", err)
	return out, err
}

func (s countingSink) Patch(ctx context.Context, e *eventsv1.Event, data []byte) (*eventsv1.Event, error) {
	out, err := s.EventSink.Patch(ctx, e, data)
	s.count("patch", err)
	return out, err
}
