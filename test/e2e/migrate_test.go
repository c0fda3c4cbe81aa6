package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// legacyPool is one MayastorPool of a migration test and what must
// survive the migration.
type legacyPool struct {
	name, node, disk string
	uid              string
	poolUUID         string
	replicas         []string
}

// legacyPools creates n MayastorPools (on node-a, node-b, node-a, ...) in
// the fixture's namespace, waits until they are online, puts replicas on
// them (1, 2, 1, ...) through the agents' gRPC API (mutual TLS) and records
// their pool uuids and replicas.
func (f *fixture) legacyPools(prefix string, n int) []*legacyPool {
	f.T.Helper()
	var pools []*legacyPool
	for i := range n {
		node := []string{"node-a", "node-b"}[i%2]
		p := &legacyPool{name: harness.UniqueName(fmt.Sprintf("%s-%d", prefix, i+1)), node: node, disk: f.NewDisk(node)}
		p.uid = string(f.newMSP(f.NS, p.name, node, p.disk).UID)
		pools = append(pools, p)
	}
	for i, p := range pools {
		f.waitMSPOnline(f.NS, p.name)
		agent := f.agentClient(p.node)
		for range 1 + i%2 {
			ctx, cancel := f.callCtx()
			r, err := agent.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: p.name, Uuid: uuid.NewString(), Size: 16 << 20})
			cancel()
			if err != nil {
				f.T.Fatalf("CreateReplica on %s: %v", p.name, err)
			}
			p.replicas = append(p.replicas, r.GetUuid())
		}
		slices.Sort(p.replicas)
		ap := f.agentPool(p.node, p.name)
		if ap == nil || ap.GetOwnerUid() != p.uid {
			f.T.Fatalf("agent pool %v, want one owned by MayastorPool uid %s", ap, p.uid)
		}
		p.poolUUID = ap.GetUuid()
		f.waitMSP(f.NS, p.name, "reporting its replicas", harness.ConvergeTimeout, func(m *v1alpha1.MayastorPool) bool { return m.Status.Used > 0 })
	}
	return pools
}

// checkMigrated checks the end state of a migration: no MayastorPool left,
// one Created/Online DiskPool per pool owning the very same pool (uuid,
// replicas, on-disk label), and no DestroyPool call on any agent since
// before.
func (f *fixture) checkMigrated(pools []*legacyPool, before map[string]int) {
	f.T.Helper()
	t := f.T
	left, err := f.Pools.OpenebsV1alpha1().MayastorPools(f.NS).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 0 {
		t.Errorf("%d MayastorPools left", len(left.Items))
	}
	dsps, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dsps.Items) != len(pools) {
		t.Errorf("%d DiskPools, want %d", len(dsps.Items), len(pools))
	}
	for _, p := range pools {
		d := f.WaitCreated(p.name)
		if d.Status.PoolUUID != p.poolUUID || d.Status.Node != p.node || !slices.Equal(d.Status.Disks, []string{p.disk}) {
			t.Errorf("DiskPool %s: %s; want pool %s on %s %s", p.name, harness.Describe(d), p.poolUUID, p.node, p.disk)
		}
		if d.Annotations[v1beta3.AdoptPoolOwnerAnnotation] != p.uid {
			t.Errorf("DiskPool %s annotations %v: want it adopting from %s", p.name, d.Annotations, p.uid)
		}
		ap := f.agentPool(p.node, p.name)
		if ap == nil || ap.GetUuid() != p.poolUUID || ap.GetOwnerUid() != string(d.UID) || int(ap.GetReplicaCount()) != len(p.replicas) {
			t.Errorf("agent pool %s: %v; want uuid %s owned by the DiskPool (%s) with %d replicas", p.name, ap, p.poolUUID, d.UID, len(p.replicas))
		}
		if got := f.replicaUUIDs(p.node, p.name); !slices.Equal(got, p.replicas) {
			t.Errorf("replicas of %s: %v, want %v", p.name, got, p.replicas)
		}
		l := harness.ReadLabel(t, p.disk).Label
		if l == nil || l.UUID != p.poolUUID || l.OwnerUID != string(d.UID) || len(l.Replicas) != len(p.replicas) {
			t.Errorf("label of %s: %+v; want pool %s owned by %s with %d replicas", p.disk, l, p.poolUUID, d.UID, len(p.replicas))
		}
		if d.Status.Used <= 0 {
			t.Errorf("DiskPool %s reports used %d with %d replicas", p.name, d.Status.Used, len(p.replicas))
		}
	}
	after := f.destroyPoolCalls()
	if !maps.Equal(before, after) {
		t.Errorf("DestroyPool calls on the agents went from %v to %v during the migration", before, after)
	}
}

// TestMigrateMayastorPools migrates three MayastorPools holding replicas
// with `diskpool-operator migrate-mayastorpools` run as the admin: a dry
// run changes nothing; the run leaves three Created DiskPools owning the
// same pools (uuid, replicas) and no MayastorPool; no pool is destroyed; a
// second run has nothing to do.
func TestMigrateMayastorPools(t *testing.T) {
	f := setup(t)
	pools := f.legacyPools("mig", 3)
	before := f.destroyPoolCalls()

	code, out := f.migrateCLI("--namespace="+f.NS, "--dry-run")
	if code != 0 || !strings.Contains(out, "Done: 3 would be migrated.") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if dsps, _ := f.Pools.OpenebsV1beta3().DiskPools(f.NS).List(f.Ctx, metav1.ListOptions{}); len(dsps.Items) != 0 {
		t.Fatalf("the dry run created %d DiskPools", len(dsps.Items))
	}

	began := time.Now()
	code, out = f.migrateCLI("--namespace="+f.NS, "--timeout=1m")
	t.Logf("migrate-mayastorpools took %s:\n%s", time.Since(began).Round(time.Millisecond), out)
	if code != 0 || !strings.Contains(out, "Done: 3 migrated.") {
		t.Fatalf("exit %d", code)
	}
	f.checkMigrated(pools, before)

	code, out = f.migrateCLI("--namespace=" + f.NS)
	if code != 0 || !strings.Contains(out, "nothing to migrate") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
}

// TestMigrateInterrupted interrupts a real migration after each of its
// steps and runs it again: the operator is stopped, so the run creates the
// first adopting DiskPool and gives up waiting (interrupted after step 1);
// the operator then hands the pool over with nothing else done (after
// step 2); stopped again, a run deletes the first MayastorPool and gives up
// waiting for it to go (after step 3). A last run with the operator back
// finishes: three Created DiskPools on the very same pools, no
// MayastorPool, and no DestroyPool call on any agent throughout.
func TestMigrateInterrupted(t *testing.T) {
	f := setup(t)
	pools := f.legacyPools("int", 3)
	first := pools[0] // the run goes by name
	before := f.destroyPoolCalls()
	t.Cleanup(func() {
		if err := f.Env.StartOperator(t.Context()); err != nil {
			t.Errorf("restart operator: %v", err)
		}
	})

	// Step 1, then interrupted: the DiskPool exists, nothing else changed.
	if err := f.Env.StopOperator(); err != nil {
		t.Fatal(err)
	}
	code, out := f.migrateCLI("--namespace="+f.NS, "--timeout=2s")
	t.Logf("run 1 (operator stopped):\n%s", out)
	if code != 1 || !strings.Contains(out, first.name+": created DiskPool") || !strings.Contains(out, "did not become Created") {
		t.Fatalf("run 1: exit %d, want 1 after creating the first DiskPool", code)
	}
	for _, p := range pools {
		if _, err := f.Pools.OpenebsV1alpha1().MayastorPools(f.NS).Get(f.Ctx, p.name, metav1.GetOptions{}); err != nil {
			t.Errorf("MayastorPool %s after run 1: %v", p.name, err)
		}
		if l := harness.ReadLabel(t, p.disk).Label; l == nil || l.OwnerUID != p.uid {
			t.Errorf("label of %s after run 1: %+v; want it still owned by the MayastorPool", p.disk, l)
		}
	}

	// Step 2 (the hand-over) happens when the operator is back, with no
	// run going.
	if err := f.Env.StartOperator(f.Ctx); err != nil {
		t.Fatal(err)
	}
	d := f.WaitCreated(first.name)
	if d.Status.PoolUUID != first.poolUUID {
		t.Errorf("adopted %s, want pool %s", harness.Describe(d), first.poolUUID)
	}
	m := f.waitMSPReason(f.NS, first.name, "owned by DiskPool "+f.NS+"/"+first.name)
	t.Logf("MayastorPool after the hand-over: %s", describeMSP(m))

	// Step 3, then interrupted: the MayastorPool is deleted but cannot go
	// while the operator (its finalizer's owner) is stopped.
	if err := f.Env.StopOperator(); err != nil {
		t.Fatal(err)
	}
	code, out = f.migrateCLI("--namespace="+f.NS, "--timeout=2s")
	t.Logf("run 2 (operator stopped):\n%s", out)
	if code != 1 || !strings.Contains(out, "DiskPool exists from an earlier run") || !strings.Contains(out, "is still there") {
		t.Fatalf("run 2: exit %d, want 1 waiting for the first MayastorPool to go", code)
	}
	if m, err := f.Pools.OpenebsV1alpha1().MayastorPools(f.NS).Get(f.Ctx, first.name, metav1.GetOptions{}); err != nil || m.DeletionTimestamp == nil {
		t.Fatalf("first MayastorPool after run 2: %s, %v; want it deleted, held by its finalizer", describeMSP(m), err)
	}

	// The operator back, a last run finishes the job.
	if err := f.Env.StartOperator(f.Ctx); err != nil {
		t.Fatal(err)
	}
	code, out = f.migrateCLI("--namespace="+f.NS, "--timeout=1m")
	t.Logf("run 3:\n%s", out)
	if code != 0 || !strings.Contains(out, "Done: ") {
		t.Fatalf("run 3: exit %d", code)
	}
	f.checkMigrated(pools, before)
}

// TestMigrateRollback gives a migrated pool back to a MayastorPool as
// docs/migration.md says: a MayastorPool annotated to adopt from the
// DiskPool takes the pool over (the DiskPool then reports the name taken),
// and deleting the DiskPool destroys nothing. The pool keeps its uuid and
// replicas throughout.
func TestMigrateRollback(t *testing.T) {
	f := setup(t)
	p := f.legacyPools("back", 1)[0]
	before := f.destroyPoolCalls()
	if code, out := f.migrateCLI("--namespace="+f.NS, "--timeout=1m"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	d := f.WaitCreated(p.name)

	back, err := f.Pools.OpenebsV1alpha1().MayastorPools(f.NS).Create(f.Ctx, &v1alpha1.MayastorPool{
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: f.NS,
			Annotations: map[string]string{v1beta3.AdoptPoolOwnerAnnotation: string(d.UID)}},
		Spec: v1alpha1.MayastorPoolSpec{Node: p.node, Disks: []string{p.disk}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := f.waitMSPOnline(f.NS, p.name)
	if m.Status.Reason != "" || m.Status.Used <= 0 {
		t.Errorf("rolled-back MayastorPool: %s", describeMSP(m))
	}
	f.WaitPool(p.name, "reporting the name taken", harness.ConvergeTimeout, func(d *v1beta3.DiskPool) bool {
		return harness.ReadyReason(d) == "PoolNameTaken"
	})
	f.DeletePool(p.name)
	f.WaitGone(p.name, harness.ConvergeTimeout)

	ap := f.agentPool(p.node, p.name)
	if ap == nil || ap.GetUuid() != p.poolUUID || ap.GetOwnerUid() != string(back.UID) {
		t.Errorf("agent pool after the rollback: %v; want uuid %s owned by %s", ap, p.poolUUID, back.UID)
	}
	if got := f.replicaUUIDs(p.node, p.name); !slices.Equal(got, p.replicas) {
		t.Errorf("replicas %v, want %v", got, p.replicas)
	}
	if l := harness.ReadLabel(t, p.disk).Label; l == nil || l.UUID != p.poolUUID || l.OwnerUID != string(back.UID) {
		t.Errorf("label after the rollback: %+v", l)
	}
	if after := f.destroyPoolCalls(); !maps.Equal(before, after) {
		t.Errorf("DestroyPool calls went from %v to %v", before, after)
	}
	// The pool is the MayastorPool's again, to keep or delete as usual
	// (once its replica is gone).
	if err := f.Pools.OpenebsV1alpha1().MayastorPools(f.NS).Delete(f.Ctx, p.name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := f.callCtx()
	defer cancel()
	if _, err := f.agentClient(p.node).DestroyReplica(ctx, &agentv1.DestroyReplicaRequest{Pool: p.name, Uuid: p.replicas[0]}); err != nil {
		t.Fatal(err)
	}
	f.waitMSPGone(f.NS, p.name, harness.ConvergeTimeout)
	assertErased(t, p.disk)
}
