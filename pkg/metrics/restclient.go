package metrics

import (
	"context"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientmetrics "k8s.io/client-go/tools/metrics"
)

// RESTClient holds client-go's REST client metrics on a registry:
//
//	diskpool_rest_client_requests_total{code,method,host}
//	diskpool_rest_client_request_duration_seconds{verb,host}
//	diskpool_rest_client_rate_limiter_duration_seconds{verb,host}
//
// The last one shows time spent waiting for the client's own QPS/burst
// limit: when it grows, --kube-api-qps is too low for the pool count.
type RESTClient struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	rateLimiter *prometheus.HistogramVec
}

// NewRESTClient registers the metrics on reg. They stay at zero until
// Install hands them to client-go.
func NewRESTClient(reg prometheus.Registerer) (*RESTClient, error) {
	buckets := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m := &RESTClient{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "diskpool_rest_client_requests_total",
			Help: "Requests to the Kubernetes API server, by HTTP status code, method and host.",
		}, []string{"code", "method", "host"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "diskpool_rest_client_request_duration_seconds",
			Help:    "Latency of requests to the Kubernetes API server, by verb and host.",
			Buckets: buckets,
		}, []string{"verb", "host"}),
		rateLimiter: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "diskpool_rest_client_rate_limiter_duration_seconds",
			Help:    "Time requests waited for the client-side rate limiter (--kube-api-qps, --kube-api-burst), by verb and host.",
			Buckets: buckets,
		}, []string{"verb", "host"}),
	}
	if err := register(reg, m.requests, m.latency, m.rateLimiter); err != nil {
		return nil, err
	}
	return m, nil
}

// RegisterOpts returns the client-go hooks that feed m.
func (m *RESTClient) RegisterOpts() clientmetrics.RegisterOpts {
	return clientmetrics.RegisterOpts{
		RequestResult:      resultAdapter{m.requests},
		RequestLatency:     latencyAdapter{m.latency},
		RateLimiterLatency: latencyAdapter{m.rateLimiter},
	}
}

// Install hands m to client-go, process-wide. client-go accepts this once
// per process (later calls are ignored), so only main calls it, before it
// builds any client.
func (m *RESTClient) Install() {
	clientmetrics.Register(m.RegisterOpts())
}

type resultAdapter struct{ m *prometheus.CounterVec }

func (a resultAdapter) Increment(_ context.Context, code, method, host string) {
	a.m.WithLabelValues(code, method, host).Inc()
}

type latencyAdapter struct{ m *prometheus.HistogramVec }

func (a latencyAdapter) Observe(_ context.Context, verb string, u url.URL, latency time.Duration) {
	a.m.WithLabelValues(verb, u.Host).Observe(latency.Seconds())
}
