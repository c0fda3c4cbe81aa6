package poolclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/diskpool/diskpool-operator/pkg/poolerr"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func TestAgentError(t *testing.T) {
	already := &reconcile.AgentError{Op: reconcile.ActionDestroyPool, Reason: "PoolInUse", Message: "m"}
	tests := []struct {
		name    string
		err     error
		want    *reconcile.AgentError
		wantNil bool
	}{
		{name: "nil", err: nil, wantNil: true},
		{
			name: "agent refusal keeps its reason and message",
			err:  poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, "disk /dev/sdb has an ext4 filesystem", nil),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: "DiskInUse", Message: "disk /dev/sdb has an ext4 filesystem"},
		},
		{
			name: "reason wins over an Unavailable code",
			err:  poolerr.New(codes.Unavailable, poolerr.ReasonPoolFaulted, "pool faulted", nil),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: "PoolFaulted", Message: "pool faulted"},
		},
		{
			name: "wrapped refusal",
			err:  fmt.Errorf("call: %w", poolerr.New(codes.FailedPrecondition, poolerr.ReasonPoolInUse, "3 replicas", nil)),
			// status.FromError keeps the wrapping context in the message.
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: "PoolInUse", Message: "call: rpc error: code = FailedPrecondition desc = 3 replicas"},
		},
		{
			name: "Unavailable",
			err:  status.Error(codes.Unavailable, "connection refused"),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentUnavailable, Message: "connection refused"},
		},
		{
			name: "DeadlineExceeded: outcome unknown",
			err:  status.Error(codes.DeadlineExceeded, "context deadline exceeded"),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentTimeout, Message: "context deadline exceeded"},
		},
		{
			name: "Canceled: outcome unknown",
			err:  status.Error(codes.Canceled, "grpc: the client connection is closing"),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentTimeout, Message: "grpc: the client connection is closing"},
		},
		{
			name: "bare context deadline",
			err:  fmt.Errorf("wait: %w", context.DeadlineExceeded),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentTimeout, Message: "wait: context deadline exceeded"},
		},
		{
			name: "bare context canceled",
			err:  context.Canceled,
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentTimeout, Message: "context canceled"},
		},
		{
			name: "non-status transport error",
			err:  errors.New("dial tcp: connection reset"),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: reconcile.ReasonAgentUnavailable, Message: "dial tcp: connection reset"},
		},
		{
			name: "Internal without reason: generic failure",
			err:  status.Error(codes.Internal, "write label: i/o error"),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: "", Message: "write label: i/o error"},
		},
		{
			name: "Unimplemented without reason",
			err:  status.Error(codes.Unimplemented, "unknown method"),
			want: &reconcile.AgentError{Op: reconcile.ActionCreatePool, Reason: "", Message: "unknown method"},
		},
		{
			name: "already classified is returned as is",
			err:  fmt.Errorf("outer: %w", already),
			want: already,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := AgentError(reconcile.ActionCreatePool, tc.err)
			if tc.wantNil {
				if got != nil {
					t.Fatalf("AgentError(nil) = %+v, want nil", got)
				}
				return
			}
			if got == nil || *got != *tc.want {
				t.Errorf("AgentError(%v) = %+v, want %+v", tc.err, got, tc.want)
			}
		})
	}
}
