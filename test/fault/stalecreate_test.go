package fault

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// TestDeletedBeforeStaleLeaderCreates is the interleaving soak seed 2001
// found (a pool created twice under one UID and left an orphan):
//
//  1. operator A leads; the object is created (the finalizer comes with
//     it, from the admission policy); A decides CreatePool and is frozen
//     right before sending it (stop-before fault: SIGSTOP);
//  2. the object is deleted; A's Lease expires and operator B takes over:
//     it sees the object Terminating and no pool on the node, and lets it go;
//  3. A resumes (SIGCONT) with its stale plan: its CreatePool reaches the
//     agent, for the UID of an object that is gone; A is killed right after
//     (stop-after fault, then SIGKILL), so no sync of its own cleans up.
//
// Nothing may be left on the node: B lets the object go only after the
// agent answered its DestroyPool for the UID (nothing there), and the
// agent refuses the stale CreatePool (OwnerDeleted).
func TestDeletedBeforeStaleLeaderCreates(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 19, "object deleted while a frozen leader's CreatePool is on its way")
	base := s.baseline(func(r *run) {
		p := r.create(0)
		r.waitCreated(1, convergeTimeout)
		r.delete(p.Name)
		r.waitEmpty(convergeTimeout)
	})

	r := s.newRun("fault")
	leaderID := "op-" + r.ns
	a := r.startOperator(opConfig{faults: "stop-before=CreatePool:1;stop-after=CreatePool:1", leaderID: leaderID})
	a.waitLeading(t, convergeTimeout)
	p := r.create(0)
	a.waitStopped(t, convergeTimeout)
	if n := len(r.agentPools()); n != 0 {
		t.Fatalf("%d pools before the stale CreatePool went out; want none", n)
	}
	r.delete(p.Name)
	frozen := time.Now()
	r.startOperator(opConfig{leaderID: leaderID})
	r.waitEmpty(convergeTimeout)
	s.note("standby let the object go %s after the delete", time.Since(frozen).Round(10*time.Millisecond))
	before := r.sideEffects()

	resumed := time.Now()
	a.resume(t)
	// Wait for the agent's answer to the stale call, then kill A at once.
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, convergeTimeout, true, func(context.Context) (bool, error) {
		return r.sideEffects().CreateCalls > before.CreateCalls || a.p.Exited(), nil
	})
	if err != nil {
		t.Fatalf("the stale CreatePool was not answered within %s: %v", convergeTimeout, err)
	}
	if err := a.p.Kill(); err != nil {
		t.Fatal(err)
	}
	s.row.Converge = time.Since(resumed)
	s.row.Fault = r.sideEffects()
	if s.row.Fault.CreateCalls == before.CreateCalls {
		t.Skipf("Skipping: the resumed leader exited before its CreatePool reached the agent (%s); the scenario's premise is not there", s.row.Fault.creates())
	}
	s.note("the stale CreatePool reached the agent %s after the resume: %s", s.row.Converge.Round(10*time.Millisecond), s.row.Fault.creates())
	if left := r.agentPools(); len(left) != 0 {
		for name, p := range left {
			t.Errorf("pool %s (uuid %s, owner %s) left on the node for an object that is gone", name, p.GetUuid(), p.GetOwnerUid())
		}
	}
	if s.row.Fault.CreateOK != before.CreateOK || s.row.Fault.PoolsCreated != 0 {
		t.Errorf("creates: %s; want the stale CreatePool refused and no pool created", s.row.Fault.creates())
	}
	compare(t, base, r.endState())
}
