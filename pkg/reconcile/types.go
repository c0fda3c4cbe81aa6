// Package reconcile is the pure state machine of the operator: given what is
// observed of a pool object, its node and its pool, it decides the one next
// step. It does no I/O, reads no clock and holds no state, so every
// transition is table-tested and fuzzed.
//
// The controller calls Decide, writes the plan's status (first), records its
// events, performs its action, folds the results into the observation and
// calls Decide again, until a plan has neither a write nor an action, or
// asks for a retry or a timed look.
package reconcile

import (
	"time"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// Action is the one side effect a plan asks for.
type Action int

const (
	// ActionNone: nothing to do on the API or the node.
	ActionNone Action = iota
	// ActionAddFinalizer: add v1beta3.Finalizer before anything exists on disk.
	ActionAddFinalizer
	// ActionCreatePool: create-or-import the pool (CreatePool is idempotent).
	ActionCreatePool
	// ActionDestroyPool: destroy the pool on its node.
	ActionDestroyPool
	// ActionRemoveFinalizer: let the object go.
	ActionRemoveFinalizer
	// ActionExpandPool: grow the pool to its disk's size (Plan.Expand).
	ActionExpandPool
	// ActionRemoveExpandAnnotation: remove v1beta3.ExpandAnnotation from
	// the object (the expansion it asked for is done or refused).
	ActionRemoveExpandAnnotation
)

func (a Action) String() string {
	switch a {
	case ActionNone:
		return "None"
	case ActionAddFinalizer:
		return "AddFinalizer"
	case ActionCreatePool:
		return "CreatePool"
	case ActionDestroyPool:
		return "DestroyPool"
	case ActionRemoveFinalizer:
		return "RemoveFinalizer"
	case ActionExpandPool:
		return "ExpandPool"
	case ActionRemoveExpandAnnotation:
		return "RemoveExpandAnnotation"
	}
	return "Unknown"
}

// AgentState is what the operator knows of a node's diskpool-agent.
type AgentState int

const (
	// AgentMissing: no live Lease for the node: no agent runs there.
	AgentMissing AgentState = iota
	// AgentSyncing: the Lease is live and the pool stream is being opened;
	// the first snapshot has not arrived. Decide waits rather than report
	// anything, so an operator restart writes nothing.
	AgentSyncing
	// AgentUnreachable: the Lease is live but the agent cannot be reached:
	// its stream broke and was not re-opened within the tracker's grace,
	// it missed its heartbeats, or it was never reached.
	AgentUnreachable
	// AgentReady: the pool stream is open and Pool is current.
	AgentReady
	// AgentReconnecting: the pool stream of a Ready agent broke moments
	// ago and is being re-opened, within the tracker's grace. Decide waits,
	// as for AgentSyncing, so an agent restart that is back within the
	// grace costs no write; the tracker notifies when it settles (Ready
	// again, or Unreachable).
	AgentReconnecting
)

// Settling reports whether the tracker is still finding out (the stream
// being opened or re-opened): Decide then waits and writes nothing.
func (s AgentState) Settling() bool {
	return s == AgentSyncing || s == AgentReconnecting
}

func (s AgentState) String() string {
	switch s {
	case AgentMissing:
		return "Missing"
	case AgentSyncing:
		return "Syncing"
	case AgentUnreachable:
		return "Unreachable"
	case AgentReady:
		return "Ready"
	case AgentReconnecting:
		return "Reconnecting"
	}
	return "Unknown"
}

// NodeView is what is known of the object's effective node (EffectiveNode).
type NodeView struct {
	// Exists reports whether the Node object exists.
	Exists bool
	// Agent is the state of the node's agent.
	Agent AgentState
	// AgentMessage explains AgentUnreachable and AgentMissing: what the
	// tracker saw (the stream lost and redials refused, heartbeats missed,
	// the Lease expired).
	AgentMessage string
}

// PoolHealth is the pool state an agent reports.
type PoolHealth int

const (
	PoolHealthUnknown PoolHealth = iota
	PoolHealthOnline
	PoolHealthDegraded
	PoolHealthFaulted
)

func (h PoolHealth) String() string {
	switch h {
	case PoolHealthOnline:
		return "Online"
	case PoolHealthDegraded:
		return "Degraded"
	case PoolHealthFaulted:
		return "Faulted"
	}
	return "Unknown"
}

// Pool is a pool as its agent reports it.
type Pool struct {
	Name      string
	UUID      string
	OwnerUID  string
	Disks     []string
	Health    PoolHealth
	Capacity  int64
	Used      int64
	Committed int64
	// Reason is the agent's explanation when Health is not Online.
	Reason       string
	ReplicaCount int
	// DiskCapacity is the disk's current size in bytes; 0 when the agent
	// does not report it.
	DiskCapacity int64
	// ClusterSize is the pool's allocation unit in bytes; 0 when unknown.
	ClusterSize int64
}

// PoolView is the agent's report of the pool with the object's name, valid
// when the node's agent is AgentReady.
type PoolView struct {
	Found bool
	Pool  Pool
	// FromCreate is true when Pool is the reply of a CreatePool made in
	// this sync rather than the agent's stream (it tells Created from
	// Imported in events).
	FromCreate bool
	// AdoptedFrom is the previous owner's uid when Pool is the reply of a
	// CreatePool that took the pool over (CreateRequest.AdoptOwnerUID).
	AdoptedFrom string
	// FromExpand is true when Pool is the reply of an ExpandPool made in
	// this sync.
	FromExpand bool
	// Owner names the object that owns Pool when it is not the observed
	// object and the caches know it (e.g. "DiskPool storage/pool-a"), so a
	// refusal says which object holds the name; empty otherwise.
	Owner string
}

// AgentError is a failed side effect, as the pool client classifies it
// (pkg/poolclient.AgentError, the one classification).
type AgentError struct {
	// Op is the action that failed.
	Op Action
	// Reason is the agent's machine-readable reason (pkg/poolerr),
	// ReasonAgentUnavailable when the call did not reach the agent,
	// ReasonAgentTimeout when its outcome is unknown, or "" for a failure
	// the agent gave no reason for. createOutcomes and destroyOutcomes say
	// what each means.
	Reason string
	// Message is the human-readable error.
	Message string
}

// Observation is everything Decide looks at.
type Observation struct {
	// Object is the pool object as stored (DiskPool, or a MayastorPool
	// through its adapter). Decide never mutates it.
	Object *v1beta3.DiskPool
	Node   NodeView
	Pool   PoolView
	// LastError is the failure of the side effect performed just before
	// this Decide, within the same sync; nil otherwise.
	LastError *AgentError
	// DestroyAnswered is true once the agent answered a DestroyPool for the
	// object's UID in this sync with success (destroyed, or no such pool):
	// it then refuses every later CreatePool for that UID, so a deleted
	// object's finalizer may go.
	DestroyAnswered bool
	// DiskHolders names, for each disk of the object's target that the pool
	// of another object on the node uses, that object (e.g. "DiskPool
	// storage/pool-a"), so a DiskClaimed refusal says who holds the disk.
	// The controller fills it after a refused CreatePool; nil otherwise.
	DiskHolders map[string]string
	// Now stamps condition transitions.
	Now time.Time
	// EncryptionSecret is whether the Secret named by
	// spec.encryptionConfig exists in the object's namespace.
	EncryptionSecret SecretState
	// LastReplicas is the replica count the pool's agent last reported,
	// for decisions made while the agent is away (a purge).
	LastReplicas ReplicaCount
}

// EventType is a Kubernetes event type.
type EventType string

const (
	EventNormal  EventType = "Normal"
	EventWarning EventType = "Warning"
)

// Event is an event to record on the object.
type Event struct {
	Type    EventType
	Reason  string
	Message string
}

// CreateRequest is the CreatePool call a plan asks for.
type CreateRequest struct {
	Node     string
	Name     string
	OwnerUID string
	Disks    []string
	Labels   map[string]string
	// AdoptOwnerUID, when set, hands over a pool owned by that UID.
	AdoptOwnerUID string
	// ClusterSize is spec.clusterSize (or cluster_size) in bytes; 0: the
	// agent's default.
	ClusterSize int64
	// OwnerKind, OwnerNamespace and OwnerName name the owner in the pool's
	// label, so an orphan says whose it was (set by the controller).
	OwnerKind, OwnerNamespace, OwnerName string
}

// DestroyRequest is the DestroyPool call a plan asks for.
type DestroyRequest struct {
	Node     string
	Name     string
	OwnerUID string
}

// Plan is the one next step. The controller writes Status (when not nil)
// first, records Events, performs Action, and then decides again (after an
// action or a status write alone), asks the queue for a backoff retry
// (Retry), looks again after RequeueAfter, or is done.
type Plan struct {
	Action  Action
	Create  *CreateRequest
	Destroy *DestroyRequest
	Expand  *ExpandRequest
	// Status is the complete status to write; nil when unchanged.
	Status *v1beta3.DiskPoolStatus
	Events []Event
	// Retry asks the queue for a rate-limited retry: something the user or
	// the node must fix, or a transient failure.
	Retry bool
	// RetryReason names why, for logs and metrics.
	RetryReason string
	// RequeueAfter asks for a look after a fixed time (0: none): a refusal
	// the admin fixes on the node is looked at again every RecheckAfter, so
	// the fix is noticed without a backoff that grows to minutes.
	RequeueAfter time.Duration
}

// Error makes *AgentError an error, so the pool client can return it as one.
func (e *AgentError) Error() string {
	if e.Reason == "" {
		return e.Op.String() + ": " + e.Message
	}
	return e.Op.String() + ": " + e.Reason + ": " + e.Message
}
