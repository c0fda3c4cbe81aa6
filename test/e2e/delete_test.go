package e2e

import (
	"testing"
	"time"

	"github.com/google/uuid"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestDelete deletes a pool: the object goes once the pool is destroyed,
// the agent no longer has it, and the disk's label is erased.
func TestDelete(t *testing.T) {
	f := setup(t)
	name, disk, p := f.CreatedPool("delete", "node-b")
	if found := harness.ReadLabel(t, disk); found.Label == nil || found.Label.UUID != p.Status.PoolUUID {
		t.Fatalf("before delete: label %+v, want uuid %s", found.Label, p.Status.PoolUUID)
	}

	began := time.Now()
	f.DeletePool(name)
	f.WaitGone(name, harness.ConvergeTimeout)
	t.Logf("Object gone %s after the delete", time.Since(began).Round(time.Millisecond))

	assertErased(t, disk)
	ctx, cancel := f.callCtx()
	defer cancel()
	if _, err := f.agentClient("node-b").GetPool(ctx, &agentv1.GetPoolRequest{Name: name}); err == nil {
		t.Errorf("agent on node-b still has pool %s", name)
	}
}

// assertErased checks that a disk carries no label (neither copy) and that
// its first MiB is zeros again.
func assertErased(t *testing.T, disk string) {
	t.Helper()
	found := harness.ReadLabel(t, disk)
	if found.Label != nil || label.HasMagic(found.Primary) || label.HasMagic(found.Backup) {
		t.Errorf("disk %s still carries a label: %+v", disk, found.Label)
	}
	if !harness.FirstMiBIsZero(t, disk) {
		t.Errorf("first MiB of %s is not zero after the pool was destroyed", disk)
	}
}

// TestDeleteWithReplicas deletes a pool that holds a replica: the agent
// refuses to destroy it, the object stays Terminating with Ready reason
// PoolInUse and a Warning event; once the replica is destroyed, the pool
// is destroyed and the object goes.
func TestDeleteWithReplicas(t *testing.T) {
	f := setup(t)
	name, disk, _ := f.CreatedPool("inuse", "node-a")

	agent := f.agentClient("node-a")
	replica := uuid.NewString()
	ctx, cancel := f.callCtx()
	defer cancel()
	if _, err := agent.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: name, Uuid: replica, Size: 64 << 20}); err != nil {
		t.Fatalf("CreateReplica: %v", err)
	}
	// The operator hears of the replica through the agent's pool stream.
	f.WaitPool(name, "reporting the replica", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool { return p.Status.Used > 0 })

	f.DeletePool(name)
	p := f.WaitPool(name, "blocked with PoolInUse", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		return harness.ReadyReason(p) == reconcile.ReasonPoolInUse
	})
	if p.Status.CRState != v1beta3.CRStateTerminating || p.DeletionTimestamp == nil {
		t.Errorf("blocked pool: %s; want Terminating and deleting", harness.Describe(p))
	}
	if found := harness.ReadLabel(t, disk); found.Label == nil || len(found.Label.Replicas) != 1 {
		t.Fatalf("blocked pool's label: %+v, want the pool with its replica", found.Label)
	}
	out, _ := f.mustKubectl(nil, "-n", f.NS, "describe", "dsp", name)
	if !containsLine(out, "Warning", reconcile.ReasonPoolInUse) {
		t.Errorf("describe shows no Warning PoolInUse event:\n%s", out)
	}

	ctx2, cancel2 := f.callCtx()
	defer cancel2()
	if _, err := agent.DestroyReplica(ctx2, &agentv1.DestroyReplicaRequest{Pool: name, Uuid: replica}); err != nil {
		t.Fatalf("DestroyReplica: %v", err)
	}
	began := time.Now()
	f.WaitGone(name, harness.ConvergeTimeout)
	t.Logf("Released %s after DestroyReplica", time.Since(began).Round(time.Millisecond))
	assertErased(t, disk)
}

// containsLine reports whether some line of s has all the given fields.
func containsLine(s string, fields ...string) bool {
	for _, line := range splitLines(s) {
		ok := true
		for _, f := range fields {
			if !containsField(line, f) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
