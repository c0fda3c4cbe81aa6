package agent

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

func TestReplicas(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	p := h.mustCreate("pool-a", ownerA, d)
	capacity := p.GetCapacity()
	const cluster = label.DefaultClusterSize

	r := h.mustReplica("pool-a", replica1, 10<<20, false)
	if r.GetAllocated() != 12<<20 || r.GetPool() != "pool-a" {
		t.Fatalf("thick replica = %v, want 12 MiB allocated (3 clusters)", r)
	}
	if again := h.mustReplica("pool-a", replica1, 10<<20, false); again.GetAllocated() != r.GetAllocated() {
		t.Fatalf("idempotent CreateReplica = %v", again)
	}
	thin := h.mustReplica("pool-a", replica2, 100*gib, true)
	if thin.GetAllocated() != 0 {
		t.Fatalf("thin replica = %v", thin)
	}
	got := h.get("pool-a")
	if got.GetUsed() != 12<<20 || got.GetCommitted() != 10<<20+100*gib || got.GetReplicaCount() != 2 {
		t.Fatalf("pool = %v", got)
	}

	tests := []struct {
		name   string
		req    *agentv1.CreateReplicaRequest
		code   codes.Code
		reason string
	}{
		{"no space", &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: "a1b2c3d4-0000-4000-8000-000000000003", Size: capacity}, codes.ResourceExhausted, poolerr.ReasonNoSpace},
		{"missing pool", &agentv1.CreateReplicaRequest{Pool: "nope", Uuid: "a1b2c3d4-0000-4000-8000-000000000003", Size: cluster}, codes.NotFound, poolerr.ReasonPoolNotFound},
		{"bad uuid", &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: "r1", Size: cluster}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"zero size", &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: "a1b2c3d4-0000-4000-8000-000000000003"}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"same uuid other size", &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: replica1, Size: 20 << 20}, codes.AlreadyExists, poolerr.ReasonInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client.CreateReplica(h.ctx, tt.req)
			wantRefusal(t, err, tt.code, tt.reason)
		})
	}

	// Exactly the free space fits.
	free := capacity - 12<<20
	if r := h.mustReplica("pool-a", "a1b2c3d4-0000-4000-8000-000000000004", free, false); r.GetAllocated() != free {
		t.Fatalf("filling replica = %v", r)
	}
	for _, id := range []string{"a1b2c3d4-0000-4000-8000-000000000004", replica1, replica1} {
		if _, err := h.client.DestroyReplica(h.ctx, &agentv1.DestroyReplicaRequest{Pool: "pool-a", Uuid: id}); err != nil {
			t.Fatalf("DestroyReplica(%s): %v", id, err)
		}
	}
	if _, err := h.client.DestroyReplica(h.ctx, &agentv1.DestroyReplicaRequest{Pool: "nope", Uuid: replica1}); err != nil {
		t.Fatalf("DestroyReplica on a missing pool: %v", err)
	}
	got = h.get("pool-a")
	if got.GetUsed() != 0 || got.GetCommitted() != 100*gib || got.GetReplicaCount() != 1 {
		t.Fatalf("pool after destroys = %v", got)
	}

	q := h.mustCreate("pool-b", ownerA, h.disk("sdc", gib))
	h.mustReplica(q.GetName(), "a1b2c3d4-0000-4000-8000-000000000005", cluster, false)
	all, err := h.client.ListReplicas(h.ctx, &agentv1.ListReplicasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GetReplicas()) != 2 || all.GetReplicas()[0].GetPool() != "pool-a" || all.GetReplicas()[1].GetPool() != "pool-b" {
		t.Fatalf("ListReplicas = %v", all.GetReplicas())
	}
	one, err := h.client.ListReplicas(h.ctx, &agentv1.ListReplicasRequest{Pool: "pool-b"})
	if err != nil || len(one.GetReplicas()) != 1 {
		t.Fatalf("ListReplicas(pool-b) = %v, %v", one, err)
	}
}

func TestReplicaTableFull(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ClusterSize = 4096 })
	h.mustCreate("pool-a", ownerA, h.disk("sdb", gib))
	// Fill the table in memory only (writing 2000 labels one by one is
	// slow); the next CreateReplica must fail to fit the label.
	c := h.agent.get("pool-a").clone()
	for i := 0; i < 2000; i++ {
		c.label.Replicas = append(c.label.Replicas, label.Replica{UUID: fmt.Sprintf("a1b2c3d4-0000-4000-8000-%012d", i), Size: 4096, Allocated: 4096})
	}
	h.agent.commit(c)
	_, err := h.client.CreateReplica(h.ctx, &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: "ffffffff-0000-4000-8000-000000000001", Size: 4096})
	wantRefusal(t, err, codes.ResourceExhausted, poolerr.ReasonNoSpace)
}
