package reconcile

import "time"

// RecheckAfter is how often an object whose CreatePool the agent refused
// for something the admin fixes (a disk that is missing, not empty, not
// allowed, or claimed) is looked at again. Fixing a disk on the node sends
// no event the operator could watch, so the next look is what notices it:
// at most RecheckAfter later (upstream Mayastor retries every 20 s). A look
// that finds nothing changed costs one CreatePool call and no API write.
const RecheckAfter = 20 * time.Second

// Agent reasons the state machine branches on by name (pkg/poolerr).
const (
	agentReasonOwnerMismatch = "OwnerMismatch"
	agentReasonOwnerDeleted  = "OwnerDeleted"
)

// createOutcome is what a CreatePool that failed with agentReason means:
// the Ready reason users see, and whether it is a refusal the admin fixes
// on the node (recheck: looked at again every RecheckAfter) rather than a
// failure retried with backoff. Every reason a CreatePool can carry is
// listed (known): the agent's pkg/poolerr reasons, spelled like the
// proto's ErrorReason names, and the pool client's transport reasons; a
// test ties the list to every ErrorReason of the proto. A reason of an
// agent newer than this operator is CreateFailed, retried with backoff.
func createOutcome(agentReason string) (reason string, recheck, known bool) {
	switch agentReason {
	case "DiskNotFound":
		return ReasonDiskNotFound, true, true
	case "DiskInUse":
		return ReasonDiskInUse, true, true
	case "ForeignPool":
		return ReasonForeignPool, true, true
	case "DiskClaimed":
		return ReasonDiskClaimed, true, true
	case "PoolNameTaken":
		return ReasonPoolNameTaken, true, true
	case "PoolDisksMismatch":
		return ReasonPoolDisksMismatch, true, true
	case "DiskNotAllowed":
		return ReasonDiskNotAllowed, true, true
	case "InvalidArgument":
		return ReasonInvalidSpec, true, true
	case agentReasonOwnerDeleted:
		// Decided before it gets here (live): nothing is written.
		return ReasonCreateFailed, false, true
	case "PoolInUse", "OwnerMismatch", "PoolNotFound", "PoolFaulted", "NoSpace", "ExpansionLimit", "DiskNotGrown",
		"ConfirmationRequired", "UUIDMismatch", "":
		// Not refusals of a create: an agent that gives them is failing.
		return ReasonCreateFailed, false, true
	case ReasonAgentUnavailable, ReasonAgentTimeout:
		// The call did not reach the agent, or its outcome is unknown.
		return ReasonAgentUnavailable, false, true
	}
	return ReasonCreateFailed, false, false
}

// destroyOutcome is createOutcome for a failed DestroyPool. Every failure
// is retried with backoff: replicas that go away requeue the object
// through the pool stream at once.
func destroyOutcome(agentReason string) (reason string, known bool) {
	switch agentReason {
	case "PoolInUse":
		return ReasonPoolInUse, true
	case "DiskNotFound", "DiskInUse", "ForeignPool", "DiskClaimed", "PoolNameTaken", "PoolDisksMismatch",
		"DiskNotAllowed", "InvalidArgument", "OwnerMismatch", "PoolNotFound", "PoolFaulted", "NoSpace",
		"ExpansionLimit", "DiskNotGrown", "ConfirmationRequired", "UUIDMismatch", agentReasonOwnerDeleted, "":
		return ReasonDestroyFailed, true
	case ReasonAgentUnavailable, ReasonAgentTimeout:
		return ReasonAgentUnavailable, true
	}
	return ReasonDestroyFailed, false
}

// leftNothing reports whether a DestroyPool that returned ae left nothing
// of its owner's on the node: it succeeded (destroyed, or no such pool), or
// the name is another owner's pool. The agent then refuses every later
// CreatePool for that owner (OwnerDeleted).
func leftNothing(ae *AgentError) bool {
	return ae == nil || ae.Op == ActionDestroyPool && ae.Reason == agentReasonOwnerMismatch
}

// outcomeUnknown reports whether a failed call may still have done its work
// on the node.
func outcomeUnknown(agentReason string) bool {
	return agentReason == ReasonAgentTimeout
}
