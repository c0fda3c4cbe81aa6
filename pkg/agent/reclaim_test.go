package agent

import (
	"testing"

	"google.golang.org/grpc/codes"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// TestReclaimPoolRefusals: every refusal leaves the disk's bytes as they
// were and the pool in place.
func TestReclaimPoolRefusals(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	p := h.mustCreate("pool-a", ownerA, d)
	h.mustCreate("pool-r", ownerA, h.disk("sdc", gib))
	h.mustReplica("pool-r", replica1, 10<<20, false)
	uuidR := h.get("pool-r").GetUuid()

	cases := []struct {
		name   string
		req    *agentv1.ReclaimPoolRequest
		code   codes.Code
		reason string
	}{
		{"no confirmation", &agentv1.ReclaimPoolRequest{Name: "pool-a", Uuid: p.GetUuid()},
			codes.FailedPrecondition, poolerr.ReasonConfirmationRequired},
		{"wrong confirmation", &agentv1.ReclaimPoolRequest{Name: "pool-a", Uuid: p.GetUuid(), Confirm: "yes"},
			codes.FailedPrecondition, poolerr.ReasonConfirmationRequired},
		{"no uuid", &agentv1.ReclaimPoolRequest{Name: "pool-a", Confirm: ReclaimConfirmation},
			codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"other uuid", &agentv1.ReclaimPoolRequest{Name: "pool-a", Uuid: uuidR, Confirm: ReclaimConfirmation},
			codes.FailedPrecondition, poolerr.ReasonUUIDMismatch},
		{"other owner", &agentv1.ReclaimPoolRequest{Name: "pool-a", Uuid: p.GetUuid(), OwnerUid: ownerB, Confirm: ReclaimConfirmation},
			codes.FailedPrecondition, poolerr.ReasonOwnerMismatch},
		{"replicas", &agentv1.ReclaimPoolRequest{Name: "pool-r", Uuid: uuidR, Confirm: ReclaimConfirmation},
			codes.FailedPrecondition, poolerr.ReasonPoolInUse},
		{"missing", &agentv1.ReclaimPoolRequest{Name: "pool-x", Uuid: p.GetUuid(), Confirm: ReclaimConfirmation},
			codes.NotFound, poolerr.ReasonPoolNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := fileHash(t, d)
			_, err := h.client.ReclaimPool(h.ctx, tc.req)
			wantRefusal(t, err, tc.code, tc.reason)
			if fileHash(t, d) != before {
				t.Error("a refused ReclaimPool changed the disk")
			}
		})
	}
	if got := h.get("pool-a"); got.GetUuid() != p.GetUuid() {
		t.Errorf("pool-a after refusals = %v", got)
	}
	if got := h.get("pool-r"); got.GetReplicaCount() != 1 {
		t.Errorf("pool-r after refusals = %v", got)
	}
}

// TestReclaimPool: a confirmed reclaim erases the label (the disk lists as
// empty again, a restart imports nothing) without the owner's uid.
func TestReclaimPool(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	p := h.mustCreate("pool-a", ownerA, d)
	if _, err := h.client.ReclaimPool(h.ctx, &agentv1.ReclaimPoolRequest{Name: "pool-a", Uuid: p.GetUuid(), Confirm: ReclaimConfirmation}); err != nil {
		t.Fatal(err)
	}
	if got := h.listDisks()[canon(t, d)]; got.GetContent() != agentv1.DiskContent_DISK_CONTENT_EMPTY || got.GetClaimedBy() != "" {
		t.Fatalf("disk after reclaim = %v", got)
	}
	h.restart()
	if pools := h.agent.Pools(); len(pools) != 0 {
		t.Fatalf("pools after reclaim and restart = %v", pools)
	}
	// A reclaim is never "already done": the pool is gone, so NotFound.
	_, err := h.client.ReclaimPool(h.ctx, &agentv1.ReclaimPoolRequest{Name: "pool-a", Uuid: p.GetUuid(), Confirm: ReclaimConfirmation})
	wantRefusal(t, err, codes.NotFound, poolerr.ReasonPoolNotFound)
	// The disk takes a new pool.
	if q := h.mustCreate("pool-b", ownerB, d); q.GetUuid() == p.GetUuid() {
		t.Fatalf("new pool reused the reclaimed uuid: %v", q)
	}
}
