package metrics

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// ServerMetrics counts and times gRPC server calls by service, method and
// status code.
type ServerMetrics struct {
	handled *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// NewServerMetrics returns unregistered server metrics.
func NewServerMetrics() *ServerMetrics {
	labels := []string{"grpc_service", "grpc_method", "grpc_code"}
	return &ServerMetrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "diskpool_agent_grpc_server_handled_total",
			Help: "gRPC calls completed by the agent, by method and status code.",
		}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "diskpool_agent_grpc_server_handling_seconds",
			Help:    "Time the agent took to complete gRPC calls (whole stream for streams).",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 60, 600},
		}, labels),
	}
}

// Register registers the metrics on reg.
func (m *ServerMetrics) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.handled, m.latency} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// UnaryServerInterceptor records unary calls.
func (m *ServerMetrics) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		m.observe(info.FullMethod, err, time.Since(start))
		return resp, err
	}
}

// StreamServerInterceptor records streaming calls when they end.
func (m *ServerMetrics) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		m.observe(info.FullMethod, err, time.Since(start))
		return err
	}
}

func (m *ServerMetrics) observe(fullMethod string, err error, d time.Duration) {
	service, method := splitMethod(fullMethod)
	code := status.Code(err).String()
	m.handled.WithLabelValues(service, method, code).Inc()
	m.latency.WithLabelValues(service, method, code).Observe(d.Seconds())
}

// splitMethod splits "/pkg.Service/Method".
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndex(full, "/"); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "unknown", full
}
