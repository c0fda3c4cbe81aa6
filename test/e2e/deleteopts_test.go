package e2e

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestPurgeOnlyWithTheAgentGone: openebs.io/delete-opts=purge on a pool
// whose agent works is refused (PurgeBlocked; the object stays, the pool
// is intact); once the agent is stopped the same purge lets the object go
// and leaves the pool on the disk.
func TestPurgeOnlyWithTheAgentGone(t *testing.T) {
	// Not node-a: the orphan this leaves is announced by an OrphanPool
	// event on its Node, and TestInventoryOrphanRecoverReclaim counts
	// those on node-a (the events broadcaster folds a second one on the
	// same Node into a series of the first).
	const node = "node-b"
	f := setup(t)
	name, disk, p := f.CreatedPool("purge", node)
	labelBefore := harness.ReadLabel(t, disk).Label
	f.annotate(name, v1beta3.DeleteOptsAnnotation, "purge")
	f.DeletePool(name)
	f.WaitPool(name, "purge blocked", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		c := harness.Ready(p)
		return c != nil && c.Reason == reconcile.ReasonPurgeBlocked && p.Status.CRState == v1beta3.CRStateTerminating
	})
	f.WaitEvent(name, "Warning", reconcile.ReasonPurgeBlocked)
	if pool := f.agentPool(node, name); pool.GetUuid() != p.Status.PoolUUID {
		t.Fatalf("pool after a refused purge: %v; want uuid %s intact", pool, p.Status.PoolUUID)
	}

	f.RestartAgentAtEnd(node)
	if err := f.Env.StopAgent(node); err != nil {
		t.Fatal(err)
	}
	f.WaitGone(name, harness.ConvergeTimeout)
	f.WaitEvent(name, "Warning", reconcile.ReasonPurged)
	if after := harness.ReadLabel(t, disk).Label; labelBefore == nil || after == nil || after.UUID != labelBefore.UUID {
		t.Errorf("label after the purge %+v, want the pool's %+v left on the disk", after, labelBefore)
	}

	// The orphan is the admin's now: destroy it, as one would.
	if err := f.Env.StartAgent(f.Ctx, node); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := f.callCtx()
	defer cancel()
	if _, err := f.agentClient(node).DestroyPool(ctx, &agentv1.DestroyPoolRequest{Name: name, OwnerUid: string(p.UID)}); err != nil {
		t.Errorf("destroying the orphan: %v", err)
	}
}

// TestMalformedDeleteOptsBlocks: a delete-opts value that does not parse
// blocks the delete with InvalidDeleteOpts (condition and event) and
// touches nothing; once it is removed the delete destroys the pool.
func TestMalformedDeleteOptsBlocks(t *testing.T) {
	const node = "node-b"
	f := setup(t)
	name, disk, p := f.CreatedPool("badopts", node)
	f.annotate(name, v1beta3.DeleteOptsAnnotation, "purge=yes")
	f.DeletePool(name)
	f.WaitPool(name, "delete blocked", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		c := harness.Ready(p)
		return c != nil && c.Reason == reconcile.ReasonInvalidDeleteOpts
	})
	f.WaitEvent(name, "Warning", reconcile.ReasonInvalidDeleteOpts)
	if pool := f.agentPool(node, name); pool.GetUuid() != p.Status.PoolUUID {
		t.Fatalf("pool while the delete is blocked: %v; want uuid %s intact", pool, p.Status.PoolUUID)
	}
	patch := []byte(`{"metadata":{"annotations":{"` + v1beta3.DeleteOptsAnnotation + `":null}}}`)
	if _, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Patch(f.Ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	f.WaitGone(name, harness.ConvergeTimeout)
	assertErased(t, disk)
}

func (f *fixture) annotate(name, key, value string) {
	f.T.Helper()
	patch := []byte(`{"metadata":{"annotations":{"` + key + `":"` + value + `"}}}`)
	if _, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Patch(f.Ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		f.T.Fatal(err)
	}
}
