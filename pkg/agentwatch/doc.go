// Package agentwatch is the operator's live view of the diskpool-agents.
//
// A Tracker watches the agents' coordination.k8s.io Leases (pkg/agentlease)
// and keeps one WatchPools stream open to every live agent. From them it
// keeps, per node, the agent's state (reconcile.AgentState) and a cache of the
// pools the agent reports, and it tells its change handlers
// (AddChangeHandler; "OnChange" below) whenever something the state machine
// looks at changes, so the controller never polls:
//
//	Lease live, endpoint known ──dial, WatchPools──> AgentSyncing (grace starts)
//	SNAPSHOT                     ──> AgentReady, cache replaced, OnChange(node, "")
//	UPSERT/DELETE that changes a pool ──> cache updated, OnChange(node, pool)
//	HEARTBEAT (after 1 s of silence) ──> nothing but the watchdog reset
//	stream error while Ready     ──> AgentReconnecting (grace starts), no OnChange,
//	                                 redial every Backoff.Duration
//	dial or stream error while Syncing/Reconnecting in the grace ──> unchanged, redial
//	grace (3 s) ends, no snapshot ──> AgentUnreachable, OnChange(node, ""), redial with backoff
//	                                 (by the expiry timer, or by the first failure after it)
//	                                 (a first dial with no failure yet: its connect timeout decides)
//	3 heartbeat intervals without a message ──> AgentUnreachable at once, OnChange(node, "")
//	stream reaches another node's agent ──> AgentUnreachable at once, OnChange(node, "")
//	Lease released/deleted/expired ──> AgentMissing, cache dropped, OnChange(node, "")
//	own CreatePool/DestroyPool that changes a pool ──> cache updated, OnChange(node, pool)
//
// The grace keeps an agent that is back in a moment (restarted in place, or
// met by an operator start) from costing a write on every pool of its node;
// the heartbeats tell a frozen agent or a silent node within seconds, which
// gRPC keepalive cannot (grpc-go pings a server at most every 10 s).
//
// Lease renewals that change neither liveness nor endpoint cost nothing: no
// OnChange, no timer churn. Neither a Lease expiry nor a grace's end
// produces an event, so a single timer on the injected clock fires at the
// earliest of them and re-checks.
//
// The read API (Agent, Pool, HasSynced) does no I/O and is safe for
// concurrent use; CreatePool and DestroyPool call the node's current agent
// and fold their results into the cache, so the next decision sees them
// before the stream confirms them, and notify like any other change: the
// caller never works out whom its call concerns. HasSynced is the
// Tracker's own readiness: every live Lease taken in.
package agentwatch
