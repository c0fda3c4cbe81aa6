package poolclient

import (
	"context"
	"errors"
	"io"
	"path"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Metrics counts and times the operator's calls to agents. Build one per
// process with NewMetrics and share it through Options.Metrics; a nil
// *Metrics records nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the gRPC client metrics on reg:
//
//	diskpool_grpc_client_requests_total{method,code}
//	diskpool_grpc_client_request_duration_seconds{method}
//
// method is the PoolService method name (CreatePool, WatchPools, ...); code
// is the gRPC status code name (OK, Unavailable, ...). A stream is counted
// once, when it ends. Durations are observed for unary calls only: a
// WatchPools stream lives as long as the agent, which is not a latency.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "diskpool_grpc_client_requests_total",
			Help: "gRPC calls from the operator to diskpool-agents, by method and status code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "diskpool_grpc_client_request_duration_seconds",
			Help: "Duration of unary gRPC calls from the operator to diskpool-agents, by method.",
			// Creating a pool writes labels to disks: seconds, not milliseconds.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) observe(fullMethod string, code codes.Code, d time.Duration, unary bool) {
	if m == nil {
		return
	}
	method := path.Base(fullMethod)
	m.requests.WithLabelValues(method, code.String()).Inc()
	if unary {
		m.duration.WithLabelValues(method).Observe(d.Seconds())
	}
}

// dialOptions returns the interceptors that feed m.
func (m *Metrics) dialOptions() []grpc.DialOption {
	if m == nil {
		return nil
	}
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(m.unaryInterceptor),
		grpc.WithChainStreamInterceptor(m.streamInterceptor),
	}
}

func (m *Metrics) unaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	start := time.Now()
	err := invoker(ctx, method, req, reply, cc, opts...)
	m.observe(method, status.Code(err), time.Since(start), true)
	return err
}

func (m *Metrics) streamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	start := time.Now()
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		m.observe(method, status.Code(err), time.Since(start), false)
		return nil, err
	}
	return &countedStream{ClientStream: cs, m: m, method: method, start: start}, nil
}

// countedStream records its stream once, when RecvMsg first fails (io.EOF
// is a clean end: code OK).
type countedStream struct {
	grpc.ClientStream
	m      *Metrics
	method string
	start  time.Time
	once   sync.Once
}

func (s *countedStream) RecvMsg(msg any) error {
	err := s.ClientStream.RecvMsg(msg)
	if err != nil {
		code := codes.OK
		if !errors.Is(err, io.EOF) {
			code = status.Code(err)
		}
		s.once.Do(func() { s.m.observe(s.method, code, time.Since(s.start), false) })
	}
	return err
}
