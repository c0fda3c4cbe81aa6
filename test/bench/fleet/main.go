// Command fleet serves many simulated storage nodes from one process for
// test/bench (-fleet): each node runs the real agent code (agent.RunNode)
// with its own gRPC listener on 127.0.0.1, its own Lease, its own disk
// directory and its own health sweep. One process keeps a 1000-node fleet
// within the machine's limits, and its CPU is measured apart from the
// operator's and the control plane's.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc/credentials"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/pkg/agent"
	"github.com/diskpool/diskpool-operator/pkg/agent/heartbeat"
	"github.com/diskpool/diskpool-operator/pkg/agent/transport"
	"github.com/diskpool/diskpool-operator/pkg/disk"
)

func main() {
	var (
		kubeconfig, namespace, nodes, diskRoot, stateRoot string
		tlsFiles                                          transport.TLSFiles
		healthInterval                                    time.Duration
		qps                                               float64
	)
	flag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of each node's agent, {node} standing for the node name (a token bound to a pod on that node: an agent may write only its own node's Lease)")
	flag.StringVar(&namespace, "namespace", "diskpool-system", "namespace of the Leases")
	flag.StringVar(&nodes, "nodes", "", "comma-separated node names")
	flag.StringVar(&diskRoot, "disk-root", "", "disks are <disk-root>/<node>/disk-*")
	flag.StringVar(&stateRoot, "state-root", "", "state files go to <state-root>/<node>")
	flag.StringVar(&tlsFiles.CertFile, "tls-cert-file", "", "serving certificate (shared by every node)")
	flag.StringVar(&tlsFiles.KeyFile, "tls-key-file", "", "serving key")
	flag.StringVar(&tlsFiles.ClientCAFile, "tls-client-ca-file", "", "CA of the operator's client certificate")
	flag.DurationVar(&healthInterval, "health-interval", agent.DefaultHealthInterval, "disk health sweep interval of each node")
	flag.Float64Var(&qps, "kube-api-qps", 5, "QPS of each node's client")
	klog.InitFlags(nil)
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, kubeconfig, namespace, strings.Split(nodes, ","), diskRoot, stateRoot, tlsFiles, healthInterval, qps); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, namespace string, nodes []string, diskRoot, stateRoot string, tlsFiles transport.TLSFiles,
	healthInterval time.Duration, qps float64) error {
	tlsCfg, err := transport.ServerTLSConfig(tlsFiles, nil)
	if err != nil {
		return err
	}
	creds := credentials.NewTLS(tlsCfg)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(nodes))
	var wg sync.WaitGroup
	for _, node := range nodes {
		dir := filepath.Join(diskRoot, node)
		resolver, err := disk.NewResolver([]string{dir})
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		kube, err := nodeClient(strings.ReplaceAll(kubeconfig, "{node}", node), qps)
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		nc := agent.NodeConfig{
			Agent: agent.Config{Node: node, Resolver: resolver, Disks: []string{filepath.Join(dir, "disk-*")},
				StateDir: filepath.Join(stateRoot, node), HealthInterval: healthInterval},
			Listener:  lis,
			Creds:     creds,
			Heartbeat: heartbeat.Config{Client: kube, Namespace: namespace},
		}
		if err := os.MkdirAll(nc.Agent.StateDir, 0o700); err != nil {
			cancel()
			wg.Wait()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := agent.RunNode(ctx, nc); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	klog.FromContext(ctx).Info("Serving nodes", "nodes", len(nodes))
	wg.Wait()
	close(errs)
	return <-errs
}

// nodeClient is one node's client for its Lease (client-go shares the
// connections of clients with the same TLS settings).
func nodeClient(kubeconfig string, qps float64) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = float32(qps), int(2*qps)
	return kubernetes.NewForConfig(cfg)
}
