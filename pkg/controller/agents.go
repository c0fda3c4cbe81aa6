package controller

import (
	"context"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// Agents is the controller's view of the diskpool-agents: the live state of
// each node's agent, the pools it reports, and the two calls that change a
// node. pkg/agentwatch.Tracker implements it from agent Leases and the
// agents' WatchPools streams; it calls Controller.OnChange whenever
// anything it reports changes, so the controller never polls.
type Agents interface {
	// Agent returns the state of node's agent, a message that explains
	// AgentUnreachable, and when its Lease expires if not renewed (zero
	// without a live Lease).
	Agent(node string) (state reconcile.AgentState, message string, expiresAt time.Time)
	// Pool returns the pool called name as node's agent last reported it.
	// It is meaningful only while Agent(node) is AgentReady.
	Pool(node, name string) reconcile.PoolView
	// CreatePool creates or imports a pool. Errors are *reconcile.AgentError.
	CreatePool(ctx context.Context, req reconcile.CreateRequest) (reconcile.Pool, error)
	// DestroyPool destroys a pool; a missing pool is success. Errors are
	// *reconcile.AgentError.
	DestroyPool(ctx context.Context, req reconcile.DestroyRequest) error
}
