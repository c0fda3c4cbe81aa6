package fault

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// crashPools is the workload of the crash scenarios: two pools, created
// (and deleted) together, so the crash also hits whatever the other one
// was doing.
const crashPools = 2

// baseline runs workload with a fault-free operator and returns the end
// state; its side effects go into the scenario's row.
func (s *scenario) baseline(workload func(r *run)) []string {
	s.t.Helper()
	r := s.newRun("base")
	r.startOperator(opConfig{})
	workload(r)
	s.row.Base, s.row.HasBase = r.sideEffects(), true
	state := r.endState()
	r.stopAll()
	return state
}

// faultRun takes the baseline of workload and returns its end state with
// the run the fault is injected into.
func (s *scenario) faultRun(workload func(r *run)) ([]string, *run) {
	s.t.Helper()
	base := s.baseline(workload)
	return base, s.newRun("fault")
}

func createAll(r *run) {
	r.createN(crashPools)
	r.waitCreated(crashPools, convergeTimeout)
}

func createAndDeleteAll(r *run) {
	createAll(r)
	r.deleteN(crashPools)
	r.waitEmpty(convergeTimeout)
}

// atCrash describes the state a crash left: which objects carry the
// finalizer, which pools exist, which objects say Terminating.
func (r *run) atCrash() (finalized, pools, terminating int) {
	r.t.Helper()
	for _, p := range r.list() {
		if slices.Contains(p.Finalizers, v1beta3.Finalizer) {
			finalized++
		}
		if p.Status.CRState == v1beta3.CRStateTerminating {
			terminating++
		}
	}
	return finalized, len(r.agentPools()), terminating
}

// TestCrashAfterFinalizerBeforeCreate crashes the operator right after its
// first finalizer write, before that object's CreatePool: a fresh operator
// creates each pool exactly once.
func TestCrashAfterFinalizerBeforeCreate(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 1, "crash after adding the finalizer, before CreatePool")
	base, r := s.faultRun(createAll)
	crashed := r.crashDuringCreate("crash-after=update:diskpools:1")
	fin, pools, _ := r.atCrash()
	s.note("at the crash: %d finalizers, %d pools", fin, pools)
	if fin == 0 || pools >= fin {
		t.Errorf("the crash left %d finalizers and %d pools; want a finalizer without its pool", fin, pools)
	}
	r.recoverAfter(base, crashed, r.waitCreatedAll)
	s.wantCreated(crashPools)
}

// TestCrashAfterCreateBeforeStatus crashes the operator right after its
// first successful CreatePool, before the status write: the fresh operator
// finds the pool (create-or-import) and reports it; no second pool, the
// uuid is the one created before the crash.
func TestCrashAfterCreateBeforeStatus(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 2, "crash after CreatePool, before the status write")
	base, r := s.faultRun(createAll)
	crashed := r.crashDuringCreate("crash-after=CreatePool:1")
	before := map[string]string{}
	for name, p := range r.agentPools() {
		before[name] = p.GetUuid()
		if obj, err := r.get(name); err == nil && obj.Status.PoolUUID != "" {
			s.note("pool %s already had its status at the crash", name)
		}
	}
	s.note("at the crash: %d pools on the agent", len(before))
	if len(before) == 0 {
		t.Fatal("no pool on the agent after a crash-after=CreatePool fault")
	}
	r.recoverAfter(base, crashed, r.waitCreatedAll)
	for name, u := range before {
		if p, err := r.get(name); err != nil || p.Status.PoolUUID != u {
			t.Errorf("pool %s: uuid %q after recovery, %s was created before the crash (%v)", name, p.Status.PoolUUID, u, err)
		}
	}
	s.wantCreated(crashPools)
}

// TestCreateReplyLost lets the first CreatePool reach the agent and do its
// work, then reports DeadlineExceeded to the operator: it reports the
// timeout, then finds the pool (stream or idempotent retry); one pool.
func TestCreateReplyLost(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 3, "CreatePool reply lost (agent did the work)")
	base, r := s.faultRun(createAll)
	op := r.startOperator(opConfig{faults: "drop-reply=CreatePool:1"})
	r.createN(crashPools)
	op.waitLog(t, "dropped the reply", convergeTimeout)
	dropped := time.Now()
	r.waitCreated(crashPools, convergeTimeout)
	s.row.Converge = time.Since(dropped)
	s.row.Fault = r.sideEffects()
	compare(t, base, r.endState())
	s.wantCreated(crashPools)
	m, err := op.Scrape(t.Context())
	if err == nil {
		s.note("operator saw %v CreatePool DeadlineExceeded", m.Sum("diskpool_grpc_client_requests_total", "method=CreatePool", "code=DeadlineExceeded"))
	}
}

// TestCrashAfterDestroyBeforeFinalizer crashes the operator right after
// its first DestroyPool, before the finalizer is removed: the fresh
// operator finds no pool and lets the objects go; no destroy is repeated
// on a pool that exists.
func TestCrashAfterDestroyBeforeFinalizer(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 4, "crash after DestroyPool, before removing the finalizer")
	base, r := s.faultRun(createAndDeleteAll)
	op := r.startOperator(opConfig{faults: "crash-after=DestroyPool:1"})
	createAll(r)
	r.deleteN(crashPools)
	op.waitCrash(t, convergeTimeout)
	crashed := time.Now()
	fin, pools, _ := r.atCrash()
	s.note("at the crash: %d finalizers, %d pools", fin, pools)
	if fin <= pools {
		t.Errorf("the crash left %d finalizers and %d pools; want a finalizer whose pool is gone", fin, pools)
	}
	r.recoverAfter(base, crashed, r.waitEmpty)
	s.wantDestroyed(crashPools)
}

// crashDuringCreate starts an operator with faults, creates the run's
// crashPools pools and waits for the fault's crash; it returns its time.
func (r *run) crashDuringCreate(faults string) time.Time {
	r.t.Helper()
	op := r.startOperator(opConfig{faults: faults})
	r.createN(crashPools)
	op.waitCrash(r.t, convergeTimeout)
	return time.Now()
}

// recoverAfter starts a fresh operator after the fault at since, waits for
// the run to converge (converged, bounded by convergeTimeout), records the
// row and compares the end state with the fault-free run's.
func (r *run) recoverAfter(base []string, since time.Time, converged func(time.Duration)) {
	r.t.Helper()
	r.startOperator(opConfig{noWait: true})
	converged(convergeTimeout)
	r.s.row.Converge = time.Since(since)
	r.s.row.Fault = r.sideEffects()
	compare(r.t, base, r.endState())
}

// waitCreatedAll waits until the crashPools pools of the run are Created.
func (r *run) waitCreatedAll(timeout time.Duration) { r.waitCreated(crashPools, timeout) }

// TestCrashAfterTerminatingBeforeDestroy crashes the operator right after
// it wrote Terminating, before the DestroyPool that follows. A delete
// destroys first and writes Terminating only when the destroy cannot
// complete, so pool 0 holds a replica: its destroy is refused (PoolInUse),
// Terminating is written, and the operator crashes there. The replica is
// then released and a fresh operator destroys the pool and lets the object
// go; pool 1 is destroyed once, before the crash.
func TestCrashAfterTerminatingBeforeDestroy(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 5, "crash after writing Terminating, before DestroyPool")
	workload := func(r *run, beforeDelete, blocked func()) {
		createAll(r)
		replica := uuid.NewString()
		ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
		defer cancel()
		agent := harness.AgentClient(t, env, r.node(0))
		if _, err := agent.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: r.name(0), Uuid: replica, Size: 8 << 20}); err != nil {
			t.Fatalf("CreateReplica: %v", err)
		}
		r.waitPool(r.name(0), "reporting its replica", convergeTimeout, func(p *v1beta3.DiskPool) bool { return p.Status.Used > 0 })
		beforeDelete()
		r.deleteN(crashPools)
		blocked()
		if _, err := agent.DestroyReplica(ctx, &agentv1.DestroyReplicaRequest{Pool: r.name(0), Uuid: replica}); err != nil {
			t.Fatalf("DestroyReplica: %v", err)
		}
	}
	base := s.baseline(func(r *run) {
		workload(r, func() {}, func() {
			r.waitPool(r.name(0), "Terminating", convergeTimeout, func(p *v1beta3.DiskPool) bool {
				return p.Status.CRState == v1beta3.CRStateTerminating
			})
		})
		r.waitEmpty(convergeTimeout)
	})

	r := s.newRun("fault")
	first := r.startOperator(opConfig{})
	var crashed time.Time
	var op *operator
	workload(r, func() {
		// A fresh leader writes nothing for Created pools, and pool 1's
		// destroy writes nothing: its first status write is pool 0's
		// Terminating.
		if err := first.Process.Stop(); err != nil {
			t.Fatal(err)
		}
		op = r.startOperator(opConfig{faults: "crash-after=update:diskpools/status:1"})
	}, func() {
		op.waitCrash(t, convergeTimeout)
		crashed = time.Now()
		p, err := r.get(r.name(0))
		if err != nil || p.Status.CRState != v1beta3.CRStateTerminating || r.agentPools()[r.name(0)] == nil {
			t.Fatalf("the crash left %s (%v); want Terminating with its pool", harness.Describe(p), err)
		}
		s.note("at the crash: pool 0 Terminating (%s) with its pool", harness.ReadyReason(p))
	})
	r.recoverAfter(base, crashed, r.waitEmpty)
	s.wantDestroyed(crashPools)
}

// TestCreatedAndDeletedWhileDown creates and deletes objects while no
// operator runs: the operator that starts later touches nothing on disk.
func TestCreatedAndDeletedWhileDown(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 6, "object created and deleted while the operator is down")
	base := s.baseline(func(r *run) {
		r.createN(crashPools)
		r.deleteN(crashPools)
		r.waitEmpty(convergeTimeout)
		// With the operator running, a delete can win the race with the
		// finalizer write; the pool created for it is destroyed just after
		// its object is gone (TestCreateThenDeleteAtOnce), so wait for that.
		r.waitNoPools(convergeTimeout)
	})

	r := s.newRun("fault")
	r.createN(crashPools)
	hashes := map[string]string{}
	for _, d := range r.disks {
		hashes[d] = harness.FileHash(t, d)
	}
	r.deleteN(crashPools)
	r.waitEmpty(convergeTimeout) // no finalizer: gone at once
	began := time.Now()
	op := r.startOperator(opConfig{})
	op.waitLeading(t, convergeTimeout)
	s.row.Converge = time.Since(began)
	s.row.Fault = r.sideEffects()
	compare(t, base, r.endState())
	if f := s.row.Fault; f.CreateCalls+f.DestroyCalls+f.PoolsCreated+f.PoolsDestroyed != 0 {
		t.Errorf("side effects for objects that no longer exist: %+v", f)
	}
	for d, h := range hashes {
		if got := harness.FileHash(t, d); got != h {
			t.Errorf("disk %s changed", d)
		}
	}
	s.note("disks byte-for-byte unchanged (sha256)")
}

// TestDeletionMissedWhileDown deletes Created pools while no operator
// runs: the next operator destroys them and lets the objects go.
func TestDeletionMissedWhileDown(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 7, "deletion missed while the operator is down")
	base, r := s.faultRun(createAndDeleteAll)
	first := r.startOperator(opConfig{})
	createAll(r)
	if err := first.Process.Stop(); err != nil {
		t.Fatal(err)
	}
	r.deleteN(crashPools)
	for i := range crashPools {
		if p, err := r.get(r.name(i)); err != nil || p.DeletionTimestamp == nil {
			t.Fatalf("pool %s after delete with no operator: %s (%v); want it kept by its finalizer", r.name(i), harness.Describe(p), err)
		}
	}
	began := time.Now()
	r.recoverAfter(base, began, r.waitEmpty)
	s.wantDestroyed(crashPools)
}
