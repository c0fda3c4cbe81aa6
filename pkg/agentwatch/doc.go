// Package agentwatch is the operator's live view of the diskpool-agents.
//
// A Tracker watches the agents' coordination.k8s.io Leases (pkg/agentlease)
// and keeps one WatchPools stream open to every live agent. From them it
// keeps, per node, the agent's state (reconcile.AgentState) and a cache of the
// pools the agent reports, and it tells its change handlers
// (AddChangeHandler; "OnChange" below) whenever something the state machine
// looks at changes, so the controller never polls:
//
//	Lease live, endpoint known ──dial, WatchPools──> AgentSyncing
//	SNAPSHOT                     ──> AgentReady, cache replaced, OnChange(node, "")
//	UPSERT/DELETE that changes a pool ──> cache updated, OnChange(node, pool)
//	stream error                 ──> AgentUnreachable, OnChange(node, ""), reconnect with backoff
//	Lease released/deleted/expired ──> AgentMissing, cache dropped, OnChange(node, "")
//	own CreatePool/DestroyPool that changes a pool ──> cache updated, OnChange(node, pool)
//
// Lease renewals that change neither liveness nor endpoint cost nothing: no
// OnChange, no timer churn. Expiry produces no Lease event, so a single timer
// on the injected clock fires at the earliest expiry and re-checks.
//
// The read API (Agent, Pool, HasSynced) does no I/O and is safe for
// concurrent use; CreatePool and DestroyPool call the node's current agent
// and fold their results into the cache, so the next decision sees them
// before the stream confirms them, and notify like any other change: the
// caller never works out whom its call concerns. HasSynced is the
// Tracker's own readiness: every live Lease taken in.
package agentwatch
