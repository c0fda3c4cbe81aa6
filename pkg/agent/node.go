package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agent/heartbeat"
)

// NodeConfig is one node served in the current process by RunNode.
type NodeConfig struct {
	// Agent configures the node's Agent (Node, Resolver, Disks, ...).
	Agent Config
	// Listener serves the node's PoolService; its address is the endpoint
	// published in the Lease. RunNode closes it.
	Listener net.Listener
	// Creds of the gRPC server; nil is refused (use insecure.NewCredentials
	// explicitly for plaintext).
	Creds credentials.TransportCredentials
	// Heartbeat configures the node's Lease; Node and Endpoint are filled
	// in. A nil Client runs without a Lease.
	Heartbeat heartbeat.Config
}

// RunNode runs one node's agent until ctx ends: it imports the node's
// pools, serves PoolService on the node's listener, sweeps its disks'
// health and keeps its Lease, then stops in the order the agent binary
// does (Lease released, streams ended, calls drained). It is the entry
// point for many nodes in one process (the benchmark's fleet); the binary
// (cmd/diskpool-agent) adds metrics, interceptors and TLS reloading.
func RunNode(ctx context.Context, cfg NodeConfig) error {
	if cfg.Listener == nil || cfg.Creds == nil {
		return errors.New("agent: a listener and server credentials are required")
	}
	defer func() { _ = cfg.Listener.Close() }()
	logger := klog.FromContext(ctx).WithValues("node", cfg.Agent.Node)
	ctx = klog.NewContext(ctx, logger)
	a, err := New(cfg.Agent)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Import(ctx); err != nil {
		return fmt.Errorf("node %s: import pools: %w", cfg.Agent.Node, err)
	}
	var hb *heartbeat.Heartbeat
	if cfg.Heartbeat.Client != nil {
		cfg.Heartbeat.Node, cfg.Heartbeat.Endpoint = cfg.Agent.Node, cfg.Listener.Addr().String()
		if hb, err = heartbeat.New(cfg.Heartbeat); err != nil {
			return err
		}
	}

	srv := grpc.NewServer(append(KeepaliveServerOptions(), grpc.Creds(cfg.Creds))...)
	agentv1.RegisterPoolServiceServer(srv, a)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(cfg.Listener) }()

	bgCtx, stopBackground := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { defer bg.Done(); a.RunHealthMonitor(bgCtx) }()
	leaseCtx, releaseLease := context.WithCancel(ctx)
	var lease sync.WaitGroup
	if hb != nil {
		lease.Add(1)
		go func() { defer lease.Done(); hb.Run(leaseCtx) }()
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("node %s: gRPC server: %w", cfg.Agent.Node, err)
	}
	releaseLease()
	lease.Wait()
	a.Close()
	stopBackground()
	bg.Wait()
	srv.GracefulStop()
	return runErr
}
