package reconcile

// conditionReasonFor maps an agent's refusal to the Ready reason users see.
// The agent's reasons (pkg/poolerr) are spelled like ours on purpose.
func conditionReasonFor(agentReason string) string {
	switch agentReason {
	case ReasonDiskNotFound, ReasonDiskInUse, ReasonForeignPool, ReasonDiskClaimed,
		ReasonPoolNameTaken, ReasonPoolDisksMismatch, ReasonDiskNotAllowed:
		return agentReason
	case "InvalidArgument":
		return ReasonInvalidSpec
	case ReasonAgentUnavailable, ReasonAgentTimeout:
		return ReasonAgentUnavailable
	}
	return ReasonCreateFailed
}

// outcomeUnknown reports whether a failed call may still have done its work
// on the node.
func outcomeUnknown(agentReason string) bool {
	return agentReason == ReasonAgentTimeout
}

// eventReasonFor is the event reason for a Ready reason: the same word, so
// `kubectl describe` and the condition agree.
func eventReasonFor(conditionReason string) string {
	return conditionReason
}
