package poolclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
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

// TestEveryAgentReasonReachesTheStateMachine: every ErrorReason of the
// proto, sent as the agent sends it (pkg/poolerr), comes out of the one
// classification with that reason unchanged, whatever the gRPC code, and
// Decide reports it as a Ready reason of its own (pkg/reconcile ties each
// to an outcome in its table test): nothing is re-spelled on the way.
func TestEveryAgentReasonReachesTheStateMachine(t *testing.T) {
	for v, name := range agentv1.ErrorReason_name {
		if v == int32(agentv1.ErrorReason_ERROR_REASON_UNSPECIFIED) {
			continue
		}
		for _, code := range []codes.Code{codes.FailedPrecondition, codes.Unavailable, codes.DeadlineExceeded} {
			ae := AgentError(reconcile.ActionCreatePool, poolerr.New(code, name, "refused: "+name, nil))
			if ae.Reason != name || ae.Message != "refused: "+name {
				t.Errorf("%s (%v): classified as %+v", name, code, ae)
			}
		}
		obj := &v1beta3.DiskPool{ObjectMeta: metav1.ObjectMeta{Name: "p", UID: "u", Finalizers: []string{v1beta3.Finalizer}},
			Spec: v1beta3.DiskPoolSpec{Node: "n", Disks: []string{"/dev/sdb"}}}
		plan := reconcile.Decide(reconcile.Observation{Object: obj, Node: reconcile.NodeView{Exists: true, Agent: reconcile.AgentReady},
			LastError: AgentError(reconcile.ActionCreatePool, poolerr.New(codes.FailedPrecondition, name, "refused", nil))})
		if name == poolerr.ReasonOwnerDeleted {
			// The one reason of a stale view (the object is being deleted
			// or gone): nothing is written, and the sync retries.
			if plan.Status != nil || !plan.Retry || plan.RetryReason != reconcile.ReasonOwnerDeleted {
				t.Errorf("%s: plan %+v, want no status and a retry", name, plan)
			}
			continue
		}
		if plan.Status == nil {
			t.Fatalf("%s: Decide wrote no status", name)
		}
		if c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady); c == nil || c.Reason == "" {
			t.Errorf("%s: Ready = %+v", name, c)
		}
	}
}
