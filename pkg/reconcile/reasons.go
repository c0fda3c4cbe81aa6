package reconcile

// Condition and event reasons. They are API: users and alerts match on them,
// so they are stable CamelCase constants.
const (
	// Ready condition reasons.
	ReasonPoolOnline        = "PoolOnline"
	ReasonPoolDegraded      = "PoolDegraded"
	ReasonPoolFaulted       = "PoolFaulted"
	ReasonNodeNotFound      = "NodeNotFound"
	ReasonAgentUnavailable  = "AgentUnavailable"
	ReasonDiskNotFound      = "DiskNotFound"
	ReasonDiskInUse         = "DiskInUse"
	ReasonForeignPool       = "ForeignPool"
	ReasonDiskClaimed       = "DiskClaimed"
	ReasonPoolNameTaken     = "PoolNameTaken"
	ReasonPoolDisksMismatch = "PoolDisksMismatch"
	ReasonDiskNotAllowed    = "DiskNotAllowed"
	ReasonInvalidSpec       = "InvalidSpec"
	ReasonPoolInUse         = "PoolInUse"
	ReasonPoolMissing       = "PoolMissing"
	ReasonCreateFailed      = "CreateFailed"
	ReasonDestroyFailed     = "DestroyFailed"

	// Event-only reasons.
	ReasonCreated  = "Created"
	ReasonImported = "Imported"
	// ReasonAdopted: the object took over another object's pool (MayastorPool
	// migration, or its rollback).
	ReasonAdopted   = "Adopted"
	ReasonDestroyed = "Destroyed"
	// ReasonReleased: a deleted object let go of a pool that had been
	// handed over to another object (MayastorPool migration); nothing was
	// destroyed.
	ReasonReleased     = "PoolReleased"
	ReasonPurged       = "Purged"
	ReasonStateChanged = "PoolStateChanged"
)

// ReasonAgentTimeout marks an AgentError for a call whose outcome is
// unknown (deadline exceeded, connection lost mid-call): the side effect may
// have happened. Create-or-import and destroy-if-present are idempotent, so
// the state machine simply tries again.
const ReasonAgentTimeout = "AgentTimeout"

// ReasonOwnerDeleted is the retry reason of a sync whose CreatePool the
// agent refused because it has answered a DestroyPool for the object's UID:
// the object is being deleted or gone, and this sync's view of it is
// stale. Nothing is written; the retry sees the deletion.
const ReasonOwnerDeleted = "OwnerDeleted"
