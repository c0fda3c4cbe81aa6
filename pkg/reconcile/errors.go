package reconcile

import "time"

// RecheckAfter is how often an object whose CreatePool the agent refused
// for something the admin fixes (a disk that is missing, not empty, not
// allowed, or claimed) is looked at again. Fixing a disk on the node sends
// no event the operator could watch, so the next look is what notices it:
// at most RecheckAfter later (upstream Mayastor retries every 20 s). A look
// that finds nothing changed costs one CreatePool call and no API write.
const RecheckAfter = 20 * time.Second

// outcome is what the state machine makes of a failed agent call.
type outcome struct {
	// reason is the Ready reason users see.
	reason string
	// recheck is true for a refusal the admin fixes: it is looked at again
	// every RecheckAfter instead of with a growing backoff.
	recheck bool
}

// createOutcomes maps every reason a failed CreatePool can carry (the
// agent's pkg/poolerr reasons, spelled like the proto's ErrorReason names,
// and the pool client's transport reasons) to its outcome. A test ties
// this table to every ErrorReason of the proto. Reasons absent here (an
// agent newer than this operator) are CreateFailed, retried with backoff.
var createOutcomes = map[string]outcome{
	"DiskNotFound":      {ReasonDiskNotFound, true},
	"DiskInUse":         {ReasonDiskInUse, true},
	"ForeignPool":       {ReasonForeignPool, true},
	"DiskClaimed":       {ReasonDiskClaimed, true},
	"PoolNameTaken":     {ReasonPoolNameTaken, true},
	"PoolDisksMismatch": {ReasonPoolDisksMismatch, true},
	"DiskNotAllowed":    {ReasonDiskNotAllowed, true},
	"InvalidArgument":   {ReasonInvalidSpec, true},
	// Not refusals of a create: an agent that gives them is failing.
	"PoolInUse":     {ReasonCreateFailed, false},
	"OwnerMismatch": {ReasonCreateFailed, false},
	"PoolNotFound":  {ReasonCreateFailed, false},
	"PoolFaulted":   {ReasonCreateFailed, false},
	"NoSpace":       {ReasonCreateFailed, false},
	// Transient: the call did not reach the agent, or its outcome is
	// unknown.
	ReasonAgentUnavailable: {ReasonAgentUnavailable, false},
	ReasonAgentTimeout:     {ReasonAgentUnavailable, false},
	"":                     {ReasonCreateFailed, false},
}

// destroyOutcomes is createOutcomes for a failed DestroyPool. Every
// failure is retried with backoff: replicas that go away requeue the object
// through the pool stream at once.
var destroyOutcomes = map[string]outcome{
	"PoolInUse":            {ReasonPoolInUse, false},
	"DiskNotFound":         {ReasonDestroyFailed, false},
	"DiskInUse":            {ReasonDestroyFailed, false},
	"ForeignPool":          {ReasonDestroyFailed, false},
	"DiskClaimed":          {ReasonDestroyFailed, false},
	"PoolNameTaken":        {ReasonDestroyFailed, false},
	"PoolDisksMismatch":    {ReasonDestroyFailed, false},
	"DiskNotAllowed":       {ReasonDestroyFailed, false},
	"InvalidArgument":      {ReasonDestroyFailed, false},
	"OwnerMismatch":        {ReasonDestroyFailed, false},
	"PoolNotFound":         {ReasonDestroyFailed, false},
	"PoolFaulted":          {ReasonDestroyFailed, false},
	"NoSpace":              {ReasonDestroyFailed, false},
	ReasonAgentUnavailable: {ReasonAgentUnavailable, false},
	ReasonAgentTimeout:     {ReasonAgentUnavailable, false},
	"":                     {ReasonDestroyFailed, false},
}

// outcomeOf returns the outcome of a failed call of op with agentReason.
func outcomeOf(op Action, agentReason string) outcome {
	table, fallback := createOutcomes, outcome{ReasonCreateFailed, false}
	if op == ActionDestroyPool {
		table, fallback = destroyOutcomes, outcome{ReasonDestroyFailed, false}
	}
	if o, ok := table[agentReason]; ok {
		return o
	}
	return fallback
}

// outcomeUnknown reports whether a failed call may still have done its work
// on the node.
func outcomeUnknown(agentReason string) bool {
	return agentReason == ReasonAgentTimeout
}
