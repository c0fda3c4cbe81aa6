package poolclient

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/diskpool/diskpool-operator/pkg/poolerr"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// AgentError classifies err, the failure of the side effect op, for the
// state machine. It returns nil for a nil err, and err itself when it
// already is a *reconcile.AgentError.
//
//   - An agent refusal carries its pkg/poolerr reason (DiskInUse, PoolInUse,
//     ...), whatever the gRPC code.
//   - codes.Unavailable and errors that are not gRPC statuses (dial and
//     transport failures) are reconcile.ReasonAgentUnavailable: the call did
//     not reach the agent, or the agent is gone.
//   - codes.DeadlineExceeded and codes.Canceled, and the context errors, are
//     reconcile.ReasonAgentTimeout: the call may have been performed, and
//     the state machine must treat its outcome as unknown.
//   - Any other code without a reason (Internal, Unimplemented, ...) keeps
//     an empty Reason: the agent failed without saying why, which the state
//     machine reports as a generic failure with Message.
//
// Message is the agent's message (the gRPC status description), which is
// what users read in conditions and events.
func AgentError(op reconcile.Action, err error) *reconcile.AgentError {
	if err == nil {
		return nil
	}
	var ae *reconcile.AgentError
	if errors.As(err, &ae) {
		return ae
	}
	out := &reconcile.AgentError{Op: op, Reason: poolerr.Reason(err), Message: err.Error()}
	st, isStatus := status.FromError(err)
	if isStatus {
		out.Message = st.Message()
	}
	if out.Reason != "" {
		return out
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		out.Reason = reconcile.ReasonAgentTimeout
	case !isStatus:
		out.Reason = reconcile.ReasonAgentUnavailable
	default:
		switch st.Code() {
		case codes.Unavailable:
			out.Reason = reconcile.ReasonAgentUnavailable
		case codes.DeadlineExceeded, codes.Canceled:
			out.Reason = reconcile.ReasonAgentTimeout
		}
	}
	return out
}
