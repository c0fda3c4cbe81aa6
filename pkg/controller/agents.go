package controller

import (
	"context"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// Agents is the controller's view of the diskpool-agents: the live state of
// each node's agent, the pools it reports, and the calls that change a
// node. pkg/agentwatch.Tracker implements it from agent Leases and the
// agents' WatchPools streams.
//
// The contract is one-way: Agents owns its cache and its readiness, and
// tells the handlers registered with AddChangeHandler of every change,
// whether a stream reported it or one of its own CreatePool and DestroyPool
// calls made it. The controller only reads, calls, and queues what it is
// told about; it never works out whom a call concerns.
type Agents interface {
	// Agent returns the state of node's agent and a message that explains
	// AgentUnreachable and AgentMissing.
	Agent(node string) (state reconcile.AgentState, message string)
	// Pool returns the pool called name as node's agent last reported it.
	// It is meaningful only while Agent(node) is AgentReady.
	Pool(node, name string) reconcile.PoolView
	// CreatePool creates or imports a pool. Errors are *reconcile.AgentError.
	CreatePool(ctx context.Context, req reconcile.CreateRequest) (reconcile.Pool, error)
	// DestroyPool destroys a pool; a missing pool is success. Errors are
	// *reconcile.AgentError.
	DestroyPool(ctx context.Context, req reconcile.DestroyRequest) error
	// ExpandPool grows a pool to its disk's size, at most req.MaxCapacity.
	// Errors are *reconcile.AgentError.
	ExpandPool(ctx context.Context, req reconcile.ExpandRequest) (reconcile.Pool, error)
	// AddChangeHandler registers fn to be called, without blocking, when
	// what Agent or Pool report about node changes: pool "" for the whole
	// node, else that pool.
	AddChangeHandler(fn func(node, pool string))
	// HasSynced reports whether Agents knows every agent that is running.
	// The controller waits for it like for its caches: before it, every
	// node looks agentless, and acting on that would report every pool
	// Offline at each start or leader change.
	HasSynced() bool
}
