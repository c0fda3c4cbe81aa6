package fault

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

// agentRestartPools is the workload of TestAgentRestart.
const agentRestartPools = 4

// restartAgent kills node's agent (SIGKILL) and starts it again; it
// returns the agent's gRPC counters just before the kill (a new process
// counts from zero).
func (r *run) restartAgent(node string) metrics.Calls {
	r.t.Helper()
	before := harness.AgentCalls(r.t, r.ctx, env, node)
	if err := env.KillAgent(node); err != nil {
		r.t.Fatal(err)
	}
	if err := env.StartAgent(r.ctx, node); err != nil {
		r.t.Fatal(err)
	}
	return before
}

// TestAgentRestart kills and restarts the node's agent while pools are
// being created, then while they are being destroyed: every pool is
// created once and destroyed once, whatever the restart interrupted.
func TestAgentRestart(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 12, "agent restart during create and during destroy")
	const node = "s12"
	base := s.baseline(func(r *run) {
		r.createN(agentRestartPools)
		r.waitCreated(agentRestartPools, convergeTimeout)
		r.deleteN(agentRestartPools)
		r.waitEmpty(convergeTimeout)
	})

	r := s.newRun("fault")
	r.startOperator(opConfig{})
	var counted []metrics.Calls
	r.createN(agentRestartPools)
	r.waitFor("a first pool on the agent", convergeTimeout, func() (bool, string) { return len(r.agentPools()) > 0, "" })
	began := time.Now()
	counted = append(counted, r.restartAgent(node))
	r.waitCreated(agentRestartPools, convergeTimeout)
	createTook := time.Since(began)

	r.deleteN(agentRestartPools)
	r.waitFor("a first pool destroyed", convergeTimeout, func() (bool, string) {
		return len(r.agentPools()) < agentRestartPools, ""
	})
	began = time.Now()
	counted = append(counted, r.restartAgent(node))
	r.waitEmpty(convergeTimeout)
	s.row.Converge = time.Since(began)
	s.row.Fault = r.sideEffects(counted...)
	s.note("Created %s after the restart during create; empty %s after the restart during destroy", createTook.Round(10*time.Millisecond), s.row.Converge.Round(10*time.Millisecond))
	compare(t, base, r.endState())
	if f := s.row.Fault; f.PoolsCreated != agentRestartPools || f.PoolsDestroyed != agentRestartPools {
		t.Errorf("%d pools created and %d destroyed, want %d each", f.PoolsCreated, f.PoolsDestroyed, agentRestartPools)
	}
	l := r.ledger()
	for i := range agentRestartPools {
		uuids := l.Names[r.name(i)]
		if len(uuids) != 1 {
			t.Errorf("pool %s had uuids %v; want one: created once", r.name(i), uuids)
		}
		for _, u := range uuids {
			if l.Destroyed[u] != 1 {
				t.Errorf("pool %s uuid %s destroyed %d times, want once", r.name(i), u, l.Destroyed[u])
			}
		}
	}
}

// outage is the number: the agent is away for a minute.
const outage = 60 * time.Second

// TestAgentUnreachable60s takes a node's agent away for 60 s while a pool
// is created on it and another deleted, in two ways at once: frozen
// (SIGSTOP: its connections stay open and its Lease stays live until it
// expires) and stopped (SIGTERM: it releases its Lease). During the outage
// the pools are reported unavailable; after it, everything converges as in
// the fault-free run.
func TestAgentUnreachable60s(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, node string
		// down and up take the agent away and bring it back.
		down, up func(t *testing.T, node string)
	}{
		{name: "SIGSTOP", node: "s13a",
			down: func(t *testing.T, node string) { signal(t, env.Agent(node).PID(), syscall.SIGSTOP) },
			up:   func(t *testing.T, node string) { signal(t, env.Agent(node).PID(), syscall.SIGCONT) }},
		{name: "Stopped", node: "s13b",
			down: func(t *testing.T, node string) {
				if err := env.StopAgent(node); err != nil {
					t.Fatal(err)
				}
			},
			up: func(t *testing.T, node string) {
				if err := env.StartAgent(t.Context(), node); err != nil {
					t.Fatal(err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newScenario(t, 13, "agent unreachable for 60 s, then back: "+tc.name)
			s.nodes = []string{tc.node}
			t.Cleanup(func() {
				// Whatever happened, leave the agent running.
				if p := env.Agent(tc.node); p != nil && procState(p.PID()) == 'T' {
					_ = syscall.Kill(p.PID(), syscall.SIGCONT)
				}
				_ = env.StartAgent(t.Context(), tc.node)
			})
			workload := func(r *run, during func()) {
				r.createN(2)
				r.waitCreated(2, convergeTimeout)
				during()
				r.create(2)
				r.delete(r.name(1))
			}
			base := s.baseline(func(r *run) {
				workload(r, func() {})
				r.waitCreated(2, convergeTimeout)
				r.waitFor("pool 1 gone", convergeTimeout, func() (bool, string) { _, err := r.get(r.name(1)); return ignoreNotFound(err) == nil && err != nil, "" })
			})

			r := s.newRun("fault")
			r.startOperator(opConfig{})
			var wentDown time.Time
			var restarts []metrics.Calls
			workload(r, func() {
				if tc.name == "Stopped" {
					restarts = append(restarts, harness.AgentCalls(t, t.Context(), env, tc.node))
				}
				tc.down(t, tc.node)
				wentDown = time.Now()
			})
			p := r.waitPool(r.name(0), "reported unavailable", convergeTimeout, func(p *v1beta3.DiskPool) bool {
				return harness.ReadyReason(p) == reconcile.ReasonAgentUnavailable
			})
			s.note("pool_status %s (%s) %s after the agent went away", p.Status.PoolStatus, harness.ReadyReason(p), time.Since(wentDown).Round(10*time.Millisecond))
			// Frozen or stopped, the first report is already the truth:
			// Offline, Ready False (a frozen agent misses its heartbeats;
			// there is no Unknown step).
			if c := harness.Ready(p); p.Status.CRState != v1beta3.CRStateCreated || p.Status.PoolStatus != v1beta3.PoolStatusOffline || c.Status != metav1.ConditionFalse {
				t.Errorf("a created pool whose agent is away: %s; want it to stay Created, Offline, Ready False", harness.Describe(p))
			}
			select {
			case <-time.After(outage - time.Since(wentDown)):
			case <-t.Context().Done():
				t.Fatal(t.Context().Err())
			}
			if p, err := r.get(r.name(1)); err != nil || p.DeletionTimestamp == nil {
				t.Errorf("deleted pool during the outage: %s (%v); want it kept until its pool is destroyed", harness.Describe(p), err)
			}
			back := time.Now()
			tc.up(t, tc.node)
			r.waitCreated(2, convergeTimeout)
			r.waitFor("pool 1 gone", convergeTimeout, func() (bool, string) {
				p, err := r.get(r.name(1))
				if err == nil {
					return false, harness.Describe(p)
				}
				return ignoreNotFound(err) == nil, err.Error()
			})
			s.row.Converge = time.Since(back)
			s.row.Fault = r.sideEffects(restarts...)
			compare(t, base, r.endState())
			if f := s.row.Fault; f.PoolsCreated != 3 || f.PoolsDestroyed != 1 {
				t.Errorf("%d pools created and %d destroyed, want 3 and 1", f.PoolsCreated, f.PoolsDestroyed)
			}
		})
	}
}

// TestDiskRemoved renames an Online pool's disk away (the disk is gone) and
// back: the pool goes Faulted, then Online again, with the same uuid and
// no CreatePool.
func TestDiskRemoved(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 16, "disk removed under an Online pool, then back")
	base := s.baseline(func(r *run) {
		r.create(0)
		r.waitCreated(1, convergeTimeout)
	})

	r := s.newRun("fault")
	r.startOperator(opConfig{})
	before := r.create(0)
	before = r.waitPool(before.Name, "Created", convergeTimeout, isCreatedOnline)
	disk := before.Spec.Disks[0]
	away := filepath.Join(env.WorkDir(), "away-"+r.tag)
	if err := os.Rename(disk, away); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	restored := false
	t.Cleanup(func() {
		if !restored {
			_ = os.Rename(away, disk)
		}
	})
	faulted := r.waitPool(before.Name, "Faulted", convergeTimeout, func(p *v1beta3.DiskPool) bool {
		return p.Status.PoolStatus == v1beta3.PoolStatusFaulted
	})
	tookFault := time.Since(removed)
	if faulted.Status.CRState != v1beta3.CRStateCreated || harness.ReadyReason(faulted) != reconcile.ReasonPoolFaulted ||
		faulted.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("faulted pool: %s; want Created, Ready reason PoolFaulted, the same uuid", harness.Describe(faulted))
	}
	if err := os.Rename(away, disk); err != nil {
		t.Fatal(err)
	}
	restored = true
	back := time.Now()
	after := r.waitPool(before.Name, "Online again", convergeTimeout, isCreatedOnline)
	s.row.Converge = time.Since(back)
	s.row.Fault = r.sideEffects()
	s.note("Faulted %s after the disk went (disk checks every %s); Online %s after it came back",
		tookFault.Round(10*time.Millisecond), harness.DiskCheckInterval, s.row.Converge.Round(10*time.Millisecond))
	compare(t, base, r.endState())
	if after.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("uuid %s after recovery, was %s", after.Status.PoolUUID, before.Status.PoolUUID)
	}
	if s.row.Fault.PoolsCreated != 1 {
		t.Errorf("%d pools created, want 1", s.row.Fault.PoolsCreated)
	}
}

// TestDeletedWhileDiskAway deletes an object while its pool's disk is
// renamed away, then brings the disk back and restarts the agent: the
// destroyed pool is not imported again as an orphan, and a re-created
// object of the same name gets a new pool on that disk.
func TestDeletedWhileDiskAway(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 18, "object deleted while its disk is away, then the disk back and the agent restarted")
	const node = "s18"
	cycle := func(r *run, disk string) *v1beta3.DiskPool {
		p := r.createOn(r.name(0), node, disk)
		return r.waitPool(p.Name, "Created", convergeTimeout, isCreatedOnline)
	}
	base := s.baseline(func(r *run) {
		disk := r.newDisk(node)
		cycle(r, disk)
		r.delete(r.name(0))
		r.waitEmpty(convergeTimeout)
		cycle(r, disk)
		r.delete(r.name(0))
		r.waitEmpty(convergeTimeout)
	})

	r := s.newRun("fault")
	r.startOperator(opConfig{})
	disk := r.newDisk(node)
	before := cycle(r, disk)
	away := filepath.Join(env.WorkDir(), "away-"+r.tag)
	if err := os.Rename(disk, away); err != nil {
		t.Fatal(err)
	}
	restored := false
	t.Cleanup(func() {
		if !restored {
			_ = os.Rename(away, disk)
		}
	})
	r.waitPool(before.Name, "Faulted", convergeTimeout, func(p *v1beta3.DiskPool) bool {
		return p.Status.PoolStatus == v1beta3.PoolStatusFaulted
	})
	r.delete(before.Name)
	r.waitEmpty(convergeTimeout)
	if err := os.Rename(away, disk); err != nil {
		t.Fatal(err)
	}
	restored = true
	counted := r.restartAgent(node)
	if left := r.agentPools(); len(left) != 0 {
		t.Fatalf("pools on the agent after the disk came back: %v; want none (the destroyed pool imported as an orphan)", left)
	}
	began := time.Now()
	again := cycle(r, disk)
	s.row.Converge = time.Since(began)
	if again.Status.PoolUUID == before.Status.PoolUUID {
		t.Errorf("re-created object has the destroyed pool's uuid %s", before.Status.PoolUUID)
	}
	r.delete(again.Name)
	r.waitEmpty(convergeTimeout)
	s.row.Fault = r.sideEffects(counted)
	s.note("the destroyed pool's label was erased when its disk came back; a re-created object got a new pool in %s", s.row.Converge.Round(10*time.Millisecond))
	compare(t, base, r.endState())
	if f := s.row.Fault; f.PoolsCreated != 2 || f.PoolsDestroyed != 2 {
		t.Errorf("%d pools created and %d destroyed, want 2 each", f.PoolsCreated, f.PoolsDestroyed)
	}
}
