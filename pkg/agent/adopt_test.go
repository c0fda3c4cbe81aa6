package agent

import (
	"testing"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// TestAdoptOrphanRewritesOwner: adopting an orphan (a pool whose owner is
// gone, imported after a restart) rewrites the owner's uid, kind, namespace
// and name in the label and nothing else: same uuid and replicas, and every
// write lands in the label areas.
func TestAdoptOrphanRewritesOwner(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	orig, err := h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d},
		OwnerKind: "DiskPool", OwnerNamespace: "openebs", OwnerName: "pool-a"})
	if err != nil {
		t.Fatal(err)
	}
	h.mustReplica("pool-a", replica1, 10<<20, false)
	h.mustReplica("pool-a", replica2, 20<<20, true)
	h.restart()
	path := canon(t, d)
	writesBefore := len(h.opener.written(path))

	p, err := h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerB, AdoptOwnerUid: ownerA, Disks: []string{d},
		OwnerKind: "DiskPool", OwnerNamespace: "storage", OwnerName: "pool-a"})
	if err != nil {
		t.Fatal(err)
	}
	if p.GetUuid() != orig.GetUuid() || p.GetReplicaCount() != 2 || p.GetOwnerUid() != ownerB ||
		p.GetOwnerNamespace() != "storage" || p.GetOwnerKind() != "DiskPool" || p.GetOwnerName() != "pool-a" {
		t.Fatalf("adopted = %v", p)
	}
	if len(h.opener.written(path)) == writesBefore {
		t.Fatal("adoption wrote nothing: the new owner is not on disk")
	}
	areas := label.Areas(gib, 0)
	for _, w := range h.opener.written(path)[writesBefore:] {
		in := false
		for _, a := range areas {
			in = in || (w.Off >= a.Off && w.Off+w.Len <= a.Off+a.Len)
		}
		if !in {
			t.Errorf("adoption wrote [%d, %d), outside the label areas %v", w.Off, w.Off+w.Len, areas)
		}
	}
	rs, err := h.client.ListReplicas(h.ctx, &agentv1.ListReplicasRequest{Pool: "pool-a"})
	if err != nil || len(rs.GetReplicas()) != 2 {
		t.Fatalf("replicas after adoption = %v, %v", rs, err)
	}
}
