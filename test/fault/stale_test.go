package fault

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestRecreateWithStaleLeader deletes a pool object and re-creates it under
// the same name (a new UID, the same node and disk) while a frozen leader
// still holds the old object's view, mid-delete:
//
//  1. operator A leads; operator B stands by (same leader Lease);
//  2. the object is Created, then deleted: A decides DestroyPool and is
//     frozen right before sending it (stop-before fault: SIGSTOP);
//  3. A's Lease expires, B takes over, destroys the pool, lets the object
//     go; the object is re-created, and B creates the new pool (owner: the
//     new UID) on the same disk;
//  4. A resumes (SIGCONT) with its stale plan: DestroyPool(name, old UID),
//     then stale object writes, until it finds it lost the Lease and exits.
//
// The new pool survives: the agent refuses a destroy whose owner UID is not
// the pool's, and the API server refuses writes on the stale object (UID
// and resourceVersion preconditions).
func TestRecreateWithStaleLeader(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 8, "delete and re-create the same name while a frozen leader holds the old view")
	base := s.baseline(func(r *run) {
		p := r.create(0)
		r.waitCreated(1, convergeTimeout)
		r.delete(p.Name)
		r.waitEmpty(convergeTimeout)
		r.createOn(p.Name, p.Spec.Node, p.Spec.Disks[0])
		r.waitCreated(1, convergeTimeout)
	})

	r := s.newRun("fault")
	leaderID := "op-" + r.ns
	a := r.startOperator(opConfig{faults: "stop-before=DestroyPool:1", leaderID: leaderID})
	a.waitLeading(t, convergeTimeout)
	b := r.startOperator(opConfig{leaderID: leaderID})
	old := r.create(0)
	r.waitCreated(1, convergeTimeout)
	if b.Leading(t.Context()) {
		t.Fatal("both operators lead")
	}
	r.delete(old.Name)
	a.waitStopped(t, convergeTimeout)
	if p, err := r.get(old.Name); err != nil || p.DeletionTimestamp == nil || len(r.agentPools()) != 1 {
		t.Fatalf("the frozen leader left %s (%v), %d pools; want the object deleting with its pool (stop-before must hold the DestroyPool)", harness.Describe(p), err, len(r.agentPools()))
	}
	frozen := time.Now()
	r.waitEmpty(convergeTimeout)
	s.note("standby took over and finished the delete %s after the leader froze", time.Since(frozen).Round(10*time.Millisecond))
	renewed := r.createOn(old.Name, old.Spec.Node, old.Spec.Disks[0])
	if renewed.UID == old.UID {
		t.Fatal("re-created object has the old UID")
	}
	r.waitCreated(1, convergeTimeout)
	p2 := r.agentPools()[old.Name]
	if p2 == nil || p2.GetOwnerUid() != string(renewed.UID) {
		t.Fatalf("new pool %v, want one owned by %s", p2, renewed.UID)
	}
	beforeResume := r.sideEffects()

	resumed := time.Now()
	a.resume(t)
	code := a.waitExit(t, convergeTimeout)
	s.row.Converge = time.Since(resumed)
	s.note("resumed stale leader exited with %d after %s", code, s.row.Converge.Round(10*time.Millisecond))
	if !b.Leading(t.Context()) {
		t.Error("the standby no longer leads after the stale leader resumed")
	}
	r.waitCreated(1, convergeTimeout)
	s.row.Fault = r.sideEffects()
	if refused := s.row.Fault.DestroyCalls - s.row.Fault.DestroyOK - (beforeResume.DestroyCalls - beforeResume.DestroyOK); refused > 0 {
		s.note("the stale DestroyPool(old UID) reached the agent and was refused")
	} else {
		s.note("the stale leader's DestroyPool was cancelled before it reached the agent")
	}
	compare(t, base, r.endState())
	p, err := r.get(old.Name)
	if err != nil || p.UID != renewed.UID || p.Status.PoolUUID != p2.GetUuid() {
		t.Errorf("object after the stale leader: %s (%v); want UID %s with pool %s", harness.Describe(p), err, renewed.UID, p2.GetUuid())
	}
	if found := harness.ReadLabel(t, old.Spec.Disks[0]); found.Label == nil || found.Label.UUID != p2.GetUuid() || found.Label.OwnerUID != string(renewed.UID) {
		t.Errorf("disk label %+v; want pool %s owned by %s", found.Label, p2.GetUuid(), renewed.UID)
	}
}

// Sizes of TestStatusConflicts.
const (
	conflictPools = 4
	// conflictEdits label edits per object run while the pools are created.
	conflictEdits = 10
	// conflictInjected status writes are answered 409 by the fault hook.
	conflictInjected = 3
)

// TestStatusConflicts answers the first status writes with 409 Conflict
// while a user edits every object's labels concurrently (real 409s on
// stale resourceVersions): every pool converges, through the queue's
// retries, with a bounded number of them.
func TestStatusConflicts(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 9, "status write conflicts (409) under concurrent edits")
	workload := func(r *run) (conflicts, reconciles float64) {
		r.createN(conflictPools)
		var wg sync.WaitGroup
		for i := range conflictPools {
			name := r.name(i)
			wg.Go(func() {
				for e := 1; e <= conflictEdits; e++ {
					patch := fmt.Appendf(nil, `{"metadata":{"labels":{"edit":"%d"}}}`, e)
					ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
					_, err := r.s.pools.OpenebsV1beta3().DiskPools(r.ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
					cancel()
					if err != nil {
						t.Errorf("edit %d of %s: %v", e, name, err)
						return
					}
				}
			})
		}
		wg.Wait()
		r.waitCreated(conflictPools, convergeTimeout)
		m, err := r.ops[len(r.ops)-1].Scrape(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m.Sum("diskpool_api_conflicts_total"), m.Sum("diskpool_reconcile_total")
	}
	var baseConflicts, baseSyncs float64
	base, r := s.faultRun(func(r *run) { baseConflicts, baseSyncs = workload(r) })
	op := r.startOperator(opConfig{faults: fmt.Sprintf("conflict=update:diskpools/status:1-%d", conflictInjected)})
	began := time.Now()
	conflicts, syncs := workload(r)
	s.row.Converge = time.Since(began)
	s.row.Fault = r.sideEffects()
	compare(t, base, r.endState())
	if !op.logHas("faultinject: conflict=") {
		t.Error("no injected conflict in the operator's log")
	}
	s.note("409s seen by the operator: %v (fault-free %v); syncs %v (fault-free %v)", conflicts, baseConflicts, syncs, baseSyncs)
	if conflicts < conflictInjected {
		t.Errorf("operator counted %v conflicts, want at least the %d injected", conflicts, conflictInjected)
	}
	// Every conflict costs one retry through the queue, and each edit at
	// most one sync: anything beyond is a retry loop.
	if limit := float64(conflictPools*(4+conflictEdits)) + conflicts; syncs > limit {
		t.Errorf("%v syncs for %d pools, %d edits and %v conflicts; want at most %v", syncs, conflictPools, conflictPools*conflictEdits, conflicts, limit)
	}
	s.wantCreated(conflictPools)
}
