package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/addrfile"
	"github.com/diskpool/diskpool-operator/pkg/agent"
	"github.com/diskpool/diskpool-operator/pkg/agent/heartbeat"
	"github.com/diskpool/diskpool-operator/pkg/agent/metrics"
	"github.com/diskpool/diskpool-operator/pkg/agent/transport"
	"github.com/diskpool/diskpool-operator/pkg/disk"
)

// Deps are what Run gets from its caller rather than building itself.
type Deps struct {
	// KubeClient writes the Lease; nil runs without one (--no-lease).
	KubeClient kubernetes.Interface
	// Listener and MetricsListener, when set, replace listening on
	// ListenAddress and MetricsAddress (tests pass 127.0.0.1:0 listeners).
	Listener, MetricsListener net.Listener
	// Registry for metrics; nil means a new one with Go and process
	// collectors.
	Registry *prometheus.Registry
	// Clock for the Lease and disk checks; nil means the real clock.
	Clock clock.WithTicker
	// Ready, when set, is closed once the agent serves.
	Ready chan<- struct{}
}

// Run runs the agent until ctx is done, then shuts down: the Lease is
// released first (the operator sees the agent go), then watch streams end
// and in-flight calls get ShutdownTimeout to finish.
func Run(ctx context.Context, o *Options, deps Deps) error {
	logger := klog.FromContext(ctx).WithValues("node", o.Node)
	ctx = klog.NewContext(ctx, logger)
	if !o.NoLease && deps.KubeClient == nil {
		return errors.New("a Kubernetes client is required for the Lease (or --no-lease)")
	}
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	reg := deps.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}

	resolver, err := disk.NewResolver(o.AllowedDeviceDirs)
	if err != nil {
		return err
	}
	a, err := agent.New(agent.Config{
		Node: o.Node, Resolver: resolver, Disks: o.Disks, StateDir: o.StateDir,
		HealthInterval: o.HealthInterval, FaultThreshold: o.FaultThreshold, Clock: deps.Clock,
	})
	if err != nil {
		return err
	}
	if o.StateDir != "" {
		if err := mkdirState(o.StateDir); err != nil {
			return err
		}
	}
	if err := a.Import(ctx); err != nil {
		return fmt.Errorf("import pools: %w", err)
	}

	creds, err := serverCredentials(ctx, o)
	if err != nil {
		return err
	}
	sm := metrics.NewServerMetrics()
	if err := sm.Register(reg); err != nil {
		return err
	}
	if err := reg.Register(metrics.NewPoolCollector(a.Pools)); err != nil {
		return err
	}
	srv := grpc.NewServer(append(agent.KeepaliveServerOptions(),
		grpc.Creds(creds),
		grpc.ChainUnaryInterceptor(loggingUnary(logger), sm.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(loggingStream(logger), sm.StreamServerInterceptor()),
	)...)
	agentv1.RegisterPoolServiceServer(srv, a)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)

	lis := deps.Listener
	if lis == nil {
		if lis, err = net.Listen("tcp", o.ListenAddress); err != nil {
			return fmt.Errorf("listen on %s: %w", o.ListenAddress, err)
		}
	}
	endpoint := o.endpoint(lis.Addr())
	bound := map[string]string{"grpc": lis.Addr().String()}

	var wg sync.WaitGroup
	defer wg.Wait()
	serveErr := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(lis); err != nil {
			serveErr <- fmt.Errorf("gRPC server: %w", err)
		}
	}()
	logger.Info("Serving PoolService", "address", lis.Addr().String(), "endpoint", endpoint, "tls", !o.Insecure,
		"allowedDeviceDirs", resolver.Allowed(), "pools", len(a.Pools()))

	var metricsSrv *http.Server
	if deps.MetricsListener != nil || o.MetricsAddress != "" {
		mlis := deps.MetricsListener
		if mlis == nil {
			if mlis, err = net.Listen("tcp", o.MetricsAddress); err != nil {
				srv.Stop()
				return fmt.Errorf("listen on %s: %w", o.MetricsAddress, err)
			}
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := metricsSrv.Serve(mlis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("metrics server: %w", err)
			}
		}()
		logger.Info("Serving metrics", "address", mlis.Addr().String())
		bound["metrics"] = mlis.Addr().String()
	}
	if o.AddressFile != "" {
		if err := addrfile.Write(o.AddressFile, bound); err != nil {
			srv.Stop()
			if metricsSrv != nil {
				_ = metricsSrv.Close()
			}
			return err
		}
	}

	bgCtx, stopBackground := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { defer bg.Done(); a.RunHealthMonitor(bgCtx) }()
	leaseCtx, releaseLease := context.WithCancel(ctx)
	var leaseDone sync.WaitGroup
	if !o.NoLease {
		hb, err := heartbeat.New(heartbeat.Config{
			Client: deps.KubeClient, Namespace: o.Namespace, Node: o.Node, Endpoint: endpoint,
			LeaseDuration: o.LeaseDuration, RenewInterval: o.LeaseRenewInterval, Clock: deps.Clock,
		})
		if err != nil {
			releaseLease()
			stopBackground()
			srv.Stop()
			return err
		}
		leaseDone.Add(1)
		go func() { defer leaseDone.Done(); hb.Run(leaseCtx) }()
	}
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(agentv1.PoolService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	if deps.Ready != nil {
		close(deps.Ready)
	}

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("Shutting down")
	case runErr = <-serveErr:
		logger.Error(runErr, "Server failed; shutting down")
	}

	// 1. Say we are going: Lease released, health NOT_SERVING.
	releaseLease()
	leaseDone.Wait()
	hs.Shutdown()
	// 2. End watch streams and background work, then drain calls.
	a.Close()
	stopBackground()
	bg.Wait()
	gracefulStop(srv, o.ShutdownTimeout)
	if metricsSrv != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.ShutdownTimeout)
		defer cancel()
		_ = metricsSrv.Shutdown(sctx)
	}
	logger.Info("Stopped")
	return runErr
}

func mkdirState(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	return nil
}

// gracefulStop stops srv, forcing it after timeout.
func gracefulStop(srv *grpc.Server, timeout time.Duration) {
	done := make(chan struct{})
	go func() { srv.GracefulStop(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		srv.Stop()
		<-done
	}
}

func serverCredentials(ctx context.Context, o *Options) (credentials.TransportCredentials, error) {
	if o.Insecure {
		klog.FromContext(ctx).Info("Serving plaintext gRPC (--insecure): any local process can drive this agent")
		return insecure.NewCredentials(), nil
	}
	cfg, err := transport.ServerTLSConfig(o.TLS, func(err error) {
		klog.FromContext(ctx).Error(err, "Cannot reload TLS files; keeping the previous ones")
	})
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}
