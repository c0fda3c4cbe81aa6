package fault

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/diskpool/diskpool-operator/test/internal/harness"
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
// agent refuses the stale CreatePool (OwnerDeleted). Whether the stale call
// reaches the agent at all is a race (see staleCreateAttempts): the
// scenario tries up to that many times and says which attempt got there.
func TestDeletedBeforeStaleLeaderCreates(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 19, "object deleted while a frozen leader's CreatePool is on its way")
	r := s.newRun("fault")
	leaderID := "op-" + r.ns
	for attempt := range staleCreateAttempts {
		if before, reached := staleCreate(t, s, r, leaderID, attempt); reached {
			if left := r.agentPools(); len(left) != 0 {
				for name, p := range left {
					t.Errorf("pool %s (uuid %s, owner %s) left on the node for an object that is gone", name, p.GetUuid(), p.GetOwnerUid())
				}
			}
			if f := s.row.Fault; f.CreateOK != before.CreateOK || f.PoolsCreated != before.PoolsCreated {
				t.Errorf("creates: %s, %s before the resume; want the stale CreatePool refused and no pool created", f.creates(), before.creates())
			}
			for _, d := range r.disks {
				if found := harness.ReadLabel(t, d); found.Label != nil {
					t.Errorf("disk %s carries pool %s of owner %s", d, found.Label.UUID, found.Label.OwnerUID)
				}
			}
			return
		}
	}
	t.Skipf("Skipping: in %d attempts the resumed leader's CreatePool never reached the agent after the delete (see the notes); the scenario's premise is not there", staleCreateAttempts)
}

// staleCreateAttempts bounds the attempts of TestDeletedBeforeStaleLeaderCreates:
// on resume, the stale call races the leader's tracker, which finds the
// agent's Lease expired during the freeze and closes its connection.
const staleCreateAttempts = 8

// staleLeaderExit bounds the wait for a resumed leader's CreatePool: a
// leader that lost its Lease exits within the renew deadline of it.
const staleLeaderExit = 20 * time.Second

// staleCreate runs one attempt and says whether the stale CreatePool
// reached the agent; it kills the stale leader, and when the call did not
// reach the agent it stops the standby too, so the next attempt's leader
// leads at once.
func staleCreate(t *testing.T, s *scenario, r *run, leaderID string, attempt int) (before sideEffects, reached bool) {
	a := r.startOperator(opConfig{faults: "stop-before=CreatePool:1;stop-after=CreatePool:1", leaderID: leaderID})
	a.waitLeading(t, convergeTimeout)
	p := r.create(attempt)
	a.waitStopped(t, convergeTimeout)
	if n := len(r.agentPools()); n != 0 {
		t.Fatalf("attempt %d: the leader created %d pools before the resume; want stop-before to hold its CreatePool", attempt+1, n)
	}
	r.delete(p.Name)
	deleted := time.Now()
	b := r.startOperator(opConfig{leaderID: leaderID})
	r.waitEmpty(convergeTimeout)
	s.note("attempt %d: the standby let the object go %s after the delete", attempt+1, time.Since(deleted).Round(10*time.Millisecond))
	before = r.sideEffects()

	resumed := time.Now()
	a.resume(t)
	// Wait for the agent's answer to the stale call (the leader stops
	// again after a successful one), or for the leader to exit on its lost
	// Lease; then kill it at once, so no sync of its own cleans up.
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, staleLeaderExit, true, func(context.Context) (bool, error) {
		return r.sideEffects().CreateCalls > before.CreateCalls || a.Process.Exited(), nil
	})
	if err != nil {
		// Seen once under load while the stop hook did not yet hold its
		// caller (pkg/faultinject stopSelf); noted, the next attempt retries.
		s.note("attempt %d: the resumed leader neither called CreatePool nor exited within %s", attempt+1, staleLeaderExit)
	}
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.row.Converge = time.Since(resumed)
	s.row.Fault = r.sideEffects()
	if s.row.Fault.CreateCalls == before.CreateCalls {
		s.note("attempt %d: the resumed leader's CreatePool did not reach the agent", attempt+1)
		if err := b.Process.Stop(); err != nil {
			t.Fatal(err)
		}
		return before, false
	}
	s.note("attempt %d: the stale CreatePool reached the agent %s after the resume: %s", attempt+1, s.row.Converge.Round(10*time.Millisecond), s.row.Fault.creates())
	return before, true
}
