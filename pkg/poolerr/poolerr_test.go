package poolerr

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

func TestReasonsMatchProtoEnum(t *testing.T) {
	reasons := []string{
		ReasonInvalidArgument, ReasonDiskNotFound, ReasonDiskInUse, ReasonForeignPool,
		ReasonDiskClaimed, ReasonPoolNameTaken, ReasonPoolDisksMismatch, ReasonDiskNotAllowed,
		ReasonPoolInUse, ReasonOwnerMismatch, ReasonPoolNotFound, ReasonPoolFaulted, ReasonNoSpace,
		ReasonDiskNotGrown, ReasonExpansionLimit, ReasonConfirmationRequired, ReasonUUIDMismatch, ReasonOwnerDeleted,
	}
	for _, r := range reasons {
		if _, ok := agentv1.ErrorReason_value[r]; !ok {
			t.Errorf("reason %q is not an ErrorReason name in the proto", r)
		}
	}
	// Every enum value but UNSPECIFIED has a constant.
	if got, want := len(reasons), len(agentv1.ErrorReason_value)-1; got != want {
		t.Errorf("have %d reason constants, proto has %d reasons", got, want)
	}
}

func TestNewAndReason(t *testing.T) {
	foreign := New(codes.FailedPrecondition, ReasonForeignPool, "disk carries pool b",
		map[string]string{MetaDisk: "/dev/sdb", MetaFoundPool: "b"})
	otherDomain, _ := status.New(codes.NotFound, "x").WithDetails(&errdetails.ErrorInfo{Reason: "PoolNotFound", Domain: "example.com"})

	tests := []struct {
		name     string
		err      error
		reason   string
		code     codes.Code
		metadata map[string]string
	}{
		{name: "nil", err: nil, reason: "", code: codes.OK},
		{name: "plain error", err: errors.New("boom"), reason: "", code: codes.Unknown},
		{name: "status without detail", err: status.Error(codes.Unavailable, "down"), reason: "", code: codes.Unavailable},
		{name: "other domain", err: otherDomain.Err(), reason: "", code: codes.NotFound},
		{name: "pool error", err: foreign, reason: ReasonForeignPool, code: codes.FailedPrecondition,
			metadata: map[string]string{MetaDisk: "/dev/sdb", MetaFoundPool: "b"}},
		{name: "wrapped pool error", err: fmt.Errorf("create pool a: %w", foreign), reason: ReasonForeignPool, code: codes.FailedPrecondition,
			metadata: map[string]string{MetaDisk: "/dev/sdb", MetaFoundPool: "b"}},
		{name: "nil metadata", err: New(codes.NotFound, ReasonPoolNotFound, "no pool", nil), reason: ReasonPoolNotFound, code: codes.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(tt.err); got != tt.reason {
				t.Errorf("Reason() = %q, want %q", got, tt.reason)
			}
			if got := status.Code(tt.err); got != tt.code {
				t.Errorf("status.Code() = %v, want %v", got, tt.code)
			}
			md := Metadata(tt.err)
			if len(md) != len(tt.metadata) {
				t.Fatalf("Metadata() = %v, want %v", md, tt.metadata)
			}
			for k, v := range tt.metadata {
				if md[k] != v {
					t.Errorf("Metadata()[%q] = %q, want %q", k, md[k], v)
				}
			}
		})
	}
}

func TestNewKeepsMessage(t *testing.T) {
	err := New(codes.FailedPrecondition, ReasonDiskInUse, "disk /dev/sdb has an ext4 filesystem", nil)
	if got := status.Convert(err).Message(); got != "disk /dev/sdb has an ext4 filesystem" {
		t.Errorf("message = %q", got)
	}
}
