// Package poolclient is the operator's gRPC client for one diskpool-agent's
// PoolService (proto/diskpool/agent/v1).
//
// It speaks in the state machine's types: requests are
// reconcile.CreateRequest and reconcile.DestroyRequest, pools are
// reconcile.Pool, and every failed call returns a *reconcile.AgentError whose
// Reason is the agent's machine-readable reason (pkg/poolerr), or
// reconcile.ReasonAgentUnavailable / reconcile.ReasonAgentTimeout for
// transport failures, so the state machine never looks at gRPC codes.
//
// Watch follows the agent's WatchPools stream (a snapshot, then one upsert or
// delete per change); pkg/agentwatch keeps one such stream per live agent.
//
// Timeouts live in one place (Options.CallTimeout) and call metrics go through
// a Metrics built on a registry the caller passes in.
package poolclient
