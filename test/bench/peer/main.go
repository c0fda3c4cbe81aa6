// Command peer is the benchmark's controller-runtime peer: a
// kubebuilder-style operator doing the same object work as diskpool-operator
// (add the finalizer, write a Created status; on delete remove the
// finalizer) with no pool service behind it. test/bench runs it on the same
// control plane as the operator, at controller-runtime's defaults and tuned,
// and reports the ratios. It is its own Go module so controller-runtime
// never enters the product's go.mod.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/diskpool/diskpool-operator/pkg/addrfile"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

func main() {
	var (
		namespace, metricsAddr, addressFile string
		workers, burst                      int
		qps                                 float64
	)
	// --kubeconfig is controller-runtime's own flag (ctrl.GetConfig).
	flag.StringVar(&namespace, "namespace", "", "the only namespace watched")
	flag.StringVar(&metricsAddr, "metrics-bind-address", "127.0.0.1:0", "address of the metrics server (controller-runtime's registry)")
	flag.StringVar(&addressFile, "address-file", "", "write the metrics server's bound address here (pkg/addrfile), so it can bind port 0")
	flag.IntVar(&workers, "workers", 1, "MaxConcurrentReconciles (controller-runtime's default: 1)")
	flag.Float64Var(&qps, "kube-api-qps", 20, "client QPS (controller-runtime's default: 20)")
	flag.IntVar(&burst, "kube-api-burst", 30, "client burst (controller-runtime's default: 30)")
	flag.Parse()
	ctrl.SetLogger(zap.New())

	if err := run(namespace, metricsAddr, addressFile, workers, qps, burst); err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

func run(namespace, metricsAddr, addressFile string, workers int, qps float64, burst int) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = float32(qps), burst
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := v1beta3.Install(scheme); err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme,
		// Served below instead: controller-runtime's server cannot say
		// which port it bound.
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   cache.Options{DefaultNamespaces: map[string]cache.Config{namespace: {}}},
	})
	if err != nil {
		return err
	}
	err = ctrl.NewControllerManagedBy(mgr).
		For(&v1beta3.DiskPool{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(&reconciler{Client: mgr.GetClient()})
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	stopMetrics, err := serveMetrics(metricsAddr, addressFile)
	if err != nil {
		return err
	}
	defer stopMetrics()
	return mgr.Start(ctx)
}

// serveMetrics serves controller-runtime's metrics registry (its
// reconcile, workqueue and client-go metrics) on addr and names the bound
// address in addressFile.
func serveMetrics(addr, addressFile string) (func(), error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "peer: metrics server:", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	if addressFile != "" {
		if err := addrfile.Write(addressFile, map[string]string{"metrics": l.Addr().String()}); err != nil {
			stop()
			return nil, err
		}
	}
	return stop, nil
}
