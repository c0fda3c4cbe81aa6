package agent

import (
	"testing"

	"google.golang.org/grpc/codes"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

func TestDestroyPool(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	h.mustReplica("pool-a", replica1, 10<<20, false)
	withLabel := fileHash(t, d)

	destroy := func(name, owner string) error {
		_, err := h.client.DestroyPool(h.ctx, &agentv1.DestroyPoolRequest{Name: name, OwnerUid: owner})
		return err
	}

	wantRefusal(t, destroy("pool-a", ownerB), codes.FailedPrecondition, poolerr.ReasonOwnerMismatch)
	wantRefusal(t, destroy("pool-a", ownerA), codes.FailedPrecondition, poolerr.ReasonPoolInUse)
	if md := poolerr.Metadata(destroy("pool-a", ownerA)); md[poolerr.MetaReplicas] != "1" {
		t.Errorf("PoolInUse metadata = %v", md)
	}
	wantRefusal(t, destroy("pool-a", ""), codes.InvalidArgument, poolerr.ReasonInvalidArgument)
	if fileHash(t, d) != withLabel {
		t.Fatal("a refused DestroyPool wrote to the disk")
	}
	if p := h.get("pool-a"); p.GetReplicaCount() != 1 {
		t.Fatalf("pool after refused destroys = %v", p)
	}

	if _, err := h.client.DestroyReplica(h.ctx, &agentv1.DestroyReplicaRequest{Pool: "pool-a", Uuid: replica1}); err != nil {
		t.Fatal(err)
	}
	if err := destroy("pool-a", ownerA); err != nil {
		t.Fatalf("DestroyPool: %v", err)
	}
	if _, err := h.client.GetPool(h.ctx, &agentv1.GetPoolRequest{Name: "pool-a"}); poolerr.Reason(err) != poolerr.ReasonPoolNotFound {
		t.Fatalf("GetPool after destroy: %v", err)
	}
	// Missing pool: success, again and again.
	for range 2 {
		if err := destroy("pool-a", ownerA); err != nil {
			t.Fatalf("DestroyPool of a missing pool: %v", err)
		}
	}
	// The disk reads as empty: a new pool can be created on it, and after
	// a restart nothing is imported.
	h.restart()
	if got := h.agent.Pools(); len(got) != 0 {
		t.Fatalf("pools after destroy and restart: %v", got)
	}
	p := h.mustCreate("pool-b", ownerB, d)
	if p.GetName() != "pool-b" {
		t.Fatal(p)
	}
	if err := destroy("pool-b", ownerB); err != nil {
		t.Fatal(err)
	}
	// Erased label areas are zero: the disk probes as empty.
	if got := h.content(d); got != contentEmpty {
		t.Fatalf("disk content after destroy = %v, want empty", got)
	}
}
