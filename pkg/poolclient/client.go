package poolclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// DefaultCallTimeout bounds CreatePool and DestroyPool when
// Options.CallTimeout is zero. Creating a pool writes a label to each disk
// and may wait for the disk; half a minute is generous, and a call that
// times out is retried (create-or-import and destroy are idempotent).
const DefaultCallTimeout = 30 * time.Second

// Options configures the connection to an agent.
type Options struct {
	// TLS is the operator's mutual-TLS identity. Exactly one of TLS and
	// Insecure must be set.
	TLS *TLSOptions
	// Insecure dials without transport security (tests, trusted networks).
	Insecure bool
	// CallTimeout bounds each CreatePool and DestroyPool call; zero means
	// DefaultCallTimeout. It does not apply to Watch.
	CallTimeout time.Duration
	// Node is the node the dialled agent serves. When set, Watch fails
	// with ErrWrongNode if the agent reports a pool of another node (a
	// stale Lease endpoint now used by another node's agent).
	Node string
	// HeartbeatInterval asks the agent for a heartbeat on the Watch
	// stream after each such interval of silence; zero asks for none.
	HeartbeatInterval time.Duration
	// Metrics records every call; nil records nothing.
	Metrics *Metrics
	// DialOptions are appended to the options Dial builds.
	DialOptions []grpc.DialOption
}

// Client calls one agent's PoolService. It is safe for concurrent use.
type Client struct {
	endpoint string
	node     string
	timeout  time.Duration
	// heartbeat is Options.HeartbeatInterval.
	heartbeat time.Duration
	conn      *grpc.ClientConn
	pools     agentv1.PoolServiceClient
}

// KeepaliveParams make a connection to an agent that vanished without
// closing it (a node lost power, a network partition) fail within about
// 40 s even when nothing else is sent on it. The fast guard of a pool
// stream is the agent's heartbeat (Options.HeartbeatInterval), which keeps
// the connection busy, so these pings are then never sent: grpc-go raises
// a client's ping interval to at least 10 s, too slow to notice a silent
// node in seconds. The agent permits pings every 10 s.
var KeepaliveParams = keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}

// Dial returns a client for the agent at endpoint (host:port). Like
// grpc.NewClient it does no I/O beyond reading the TLS files: the connection
// is made by the first call, and re-made by gRPC when it breaks.
func Dial(endpoint string, opts Options) (*Client, error) {
	if endpoint == "" {
		return nil, errors.New("dial agent: empty endpoint")
	}
	creds, err := transportCredentials(opts)
	if err != nil {
		return nil, fmt.Errorf("dial agent %s: %w", endpoint, err)
	}
	dialOpts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithKeepaliveParams(KeepaliveParams)},
		opts.Metrics.dialOptions()...)
	dialOpts = append(dialOpts, bufferDialOptions...)
	dialOpts = append(dialOpts, opts.DialOptions...)
	conn, err := grpc.NewClient(endpoint, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("dial agent %s: %w", endpoint, err)
	}
	timeout := opts.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	return &Client{
		endpoint:  endpoint,
		node:      opts.Node,
		timeout:   timeout,
		heartbeat: opts.HeartbeatInterval,
		conn:      conn,
		pools:     agentv1.NewPoolServiceClient(conn),
	}, nil
}

func transportCredentials(opts Options) (credentials.TransportCredentials, error) {
	switch {
	case opts.TLS != nil && opts.Insecure:
		return nil, errors.New("both TLS and Insecure are set")
	case opts.Insecure:
		return insecure.NewCredentials(), nil
	case opts.TLS != nil:
		return sharedTLS.credentials(*opts.TLS)
	}
	return nil, errors.New("no transport security configured: set TLS files, or Insecure")
}

// Endpoint returns the address the client dials.
func (c *Client) Endpoint() string { return c.endpoint }

// Close closes the connection. Calls in flight fail with codes.Canceled,
// which AgentError reports as reconcile.ReasonAgentTimeout.
func (c *Client) Close() error {
	return c.conn.Close()
}

// CreatePool creates or imports a pool. Errors are *reconcile.AgentError.
func (c *Client) CreatePool(ctx context.Context, req reconcile.CreateRequest) (reconcile.Pool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	logger := klog.FromContext(ctx)
	logger.V(4).Info("Calling CreatePool", "endpoint", c.endpoint, "node", req.Node, "pool", req.Name, "disks", req.Disks)
	p, err := c.pools.CreatePool(ctx, createRequestToProto(req))
	if err != nil {
		ae := AgentError(reconcile.ActionCreatePool, err)
		logger.V(4).Info("CreatePool failed", "endpoint", c.endpoint, "pool", req.Name, "reason", ae.Reason, "err", err)
		return reconcile.Pool{}, ae
	}
	return PoolFromProto(p), nil
}

// DestroyPool destroys a pool; a missing pool is success. Errors are
// *reconcile.AgentError.
func (c *Client) DestroyPool(ctx context.Context, req reconcile.DestroyRequest) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	logger := klog.FromContext(ctx)
	logger.V(4).Info("Calling DestroyPool", "endpoint", c.endpoint, "node", req.Node, "pool", req.Name)
	_, err := c.pools.DestroyPool(ctx, &agentv1.DestroyPoolRequest{Name: req.Name, OwnerUid: req.OwnerUID})
	if err != nil {
		ae := AgentError(reconcile.ActionDestroyPool, err)
		logger.V(4).Info("DestroyPool failed", "endpoint", c.endpoint, "pool", req.Name, "reason", ae.Reason, "err", err)
		return ae
	}
	return nil
}

// ExpandPool grows a pool to its disk's current size, at most
// req.MaxCapacity bytes, and returns the pool as it now is. Errors are
// *reconcile.AgentError (DiskNotGrown, ExpansionLimit, ...).
func (c *Client) ExpandPool(ctx context.Context, req reconcile.ExpandRequest) (reconcile.Pool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	logger := klog.FromContext(ctx)
	logger.V(4).Info("Calling ExpandPool", "endpoint", c.endpoint, "node", req.Node, "pool", req.Name, "maxCapacity", req.MaxCapacity)
	p, err := c.pools.ExpandPool(ctx, &agentv1.ExpandPoolRequest{Name: req.Name, OwnerUid: req.OwnerUID,
		MaxCapacityBytes: uint64(max(req.MaxCapacity, 0))})
	if err != nil {
		ae := AgentError(reconcile.ActionExpandPool, err)
		logger.V(4).Info("ExpandPool failed", "endpoint", c.endpoint, "pool", req.Name, "reason", ae.Reason, "err", err)
		return reconcile.Pool{}, ae
	}
	return PoolFromProto(p), nil
}
