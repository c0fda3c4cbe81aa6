// Command diskpool-agent serves the diskpool PoolService for one node: pools
// on the node's disks, with on-disk labels, disk safety checks and a Lease
// heartbeat the operator discovers it by. See docs/agent.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/cmd/diskpool-agent/app"
)

func main() {
	klog.InitFlags(nil)
	o := app.NewOptions()
	o.AddFlags(flag.CommandLine)
	flag.Parse()
	o.Complete()
	if err := o.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "diskpool-agent: %v\n", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	logger := klog.Background().WithName("diskpool-agent")
	ctx = klog.NewContext(ctx, logger)

	deps := app.Deps{}
	if !o.NoLease {
		client, err := kubeClient(o.Kubeconfig)
		if err != nil {
			logger.Error(err, "Cannot build a Kubernetes client for the Lease; pass --kubeconfig, run in a cluster, or pass --no-lease")
			klog.FlushAndExit(klog.ExitFlushTimeout, 1)
		}
		deps.KubeClient = client
	}
	if err := app.Run(ctx, o, deps); err != nil {
		logger.Error(err, "Agent failed")
		klog.FlushAndExit(klog.ExitFlushTimeout, 1)
	}
	klog.Flush()
}

// kubeClient builds a clientset from kubeconfig, or in-cluster when empty.
func kubeClient(kubeconfig string) (kubernetes.Interface, error) {
	var cfg *rest.Config
	var err error
	if kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "diskpool-agent"
	return kubernetes.NewForConfig(cfg)
}
