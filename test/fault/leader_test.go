package fault

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// Sizes of TestLeaderKilledDuringBurst.
const (
	burstPools   = 500
	burstWriters = 8
	// burstKillAt: the leader is killed once this many pools are Created.
	burstKillAt   = 100
	burstConverge = 5 * time.Minute
)

// createBurst creates n pools (disks allocated first, in order) with
// burstWriters concurrent writers; creates that fail on a connection error
// are retried (bounded), so a control-plane restart does not lose one.
func (r *run) createBurst(n int) {
	r.t.Helper()
	disks := make([]string, n)
	for i := range n {
		disks[i] = r.newDisk(r.node(i))
	}
	wait := harness.Burst(r.ctx, n, burstWriters, func(i int) error {
		return r.createRetrying(r.name(i), r.node(i), disks[i])
	})
	for _, err := range wait() {
		r.t.Error(err)
	}
}

// startBurst starts createBurst(n) in the background and waits until at
// pools are Created; done closes when the burst has returned.
func (r *run) startBurst(n, at int, timeout time.Duration) (done <-chan struct{}) {
	r.t.Helper()
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		r.createBurst(n)
	}()
	r.waitFor(fmt.Sprintf("%d pools Created", at), timeout, func() (bool, string) {
		n := r.createdCount()
		return n >= at, fmt.Sprintf("%d Created", n)
	})
	return ch
}

// createRetrying creates one pool, retrying for up to a minute while the
// API server cannot be reached; AlreadyExists after a retry is success.
func (r *run) createRetrying(name, node, disk string) error {
	var last error
	err := wait.PollUntilContextTimeout(r.ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p, err := r.s.pools.OpenebsV1beta3().DiskPools(r.ns).Create(cctx, &v1beta3.DiskPool{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.ns},
			Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: []string{disk}},
		}, metav1.CreateOptions{})
		switch {
		case err == nil:
			r.setUID(name, string(p.UID))
			return true, nil
		case last != nil && isAlreadyExists(err):
			return true, nil
		}
		last = err
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("create %s: %w (last: %w)", name, err, last)
	}
	return nil
}

// createdCount counts the run's Created/Online objects.
func (r *run) createdCount() int {
	n := 0
	l, err := r.s.pools.OpenebsV1beta3().DiskPools(r.ns).List(r.ctx, metav1.ListOptions{})
	if err != nil {
		return 0
	}
	for i := range l.Items {
		if isCreatedOnline(&l.Items[i]) {
			n++
		}
	}
	return n
}

// TestLeaderKilledDuringBurst runs two operator replicas with leader
// election and kills the leader (SIGKILL) after 100 of 500 creations: the
// standby takes over when the Lease expires, every pool is created exactly
// once (one "Created pool" per name in the agents' logs, every label at
// generation 1), within the Lease duration plus the time the remaining
// pools take in the fault-free run.
func TestLeaderKilledDuringBurst(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 10, fmt.Sprintf("two replicas, leader killed during %d creates", burstPools))
	var baseTook time.Duration
	base := s.baseline(func(r *run) {
		began := time.Now()
		r.createBurst(burstPools)
		r.waitCreated(burstPools, burstConverge)
		baseTook = time.Since(began)
	})
	s.note("fault-free: %d pools Created in %s", burstPools, baseTook.Round(10*time.Millisecond))

	r := s.newRun("fault")
	leaderID := "op-" + r.ns
	a := r.startOperator(opConfig{leaderID: leaderID})
	a.waitLeading(t, convergeTimeout)
	b := r.startOperator(opConfig{leaderID: leaderID})
	done := r.startBurst(burstPools, burstKillAt, burstConverge)
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	atKill := r.createdCount()
	b.waitLeading(t, convergeTimeout)
	tookOver := time.Since(killed)
	<-done
	r.waitCreated(burstPools, burstConverge)
	s.row.Converge = time.Since(killed)
	s.row.Fault = r.sideEffects()
	s.note("killed with %d Created; standby led after %s", atKill, tookOver.Round(10*time.Millisecond))
	compare(t, base, r.endState())
	if s.row.Fault.PoolsCreated != burstPools {
		t.Errorf("%d pools created, want %d (one each)", s.row.Fault.PoolsCreated, burstPools)
	}
	// Lease + sync: the Lease expires at most harness.LeaderLease after the kill;
	// the remaining pools then take what they took fault-free, with room
	// for a loaded machine.
	remaining := float64(burstPools-atKill) / burstPools
	bound := harness.LeaderLease + 2*time.Duration(remaining*float64(baseTook)) + 10*time.Second
	if s.row.Converge > bound {
		t.Errorf("converged %s after the kill, want within %s (lease %s + sync)", s.row.Converge.Round(10*time.Millisecond), bound.Round(10*time.Millisecond), harness.LeaderLease)
	}
}

// TestSIGTERMHandOver stops the leader gracefully (SIGTERM) with a standby
// running, and measures: the old leader's exit, the standby leading, and a
// pool created right after the SIGTERM becoming Created. The Lease is
// released on the way out, so the hand-over takes a retry period, not a
// Lease duration.
func TestSIGTERMHandOver(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 11, "SIGTERM hand-over to a standby")
	workload := func(r *run, between func()) {
		r.createN(2)
		r.waitCreated(2, convergeTimeout)
		between()
		r.create(2)
		r.waitCreated(3, convergeTimeout)
	}
	base, r := s.faultRun(func(r *run) { workload(r, func() {}) })
	leaderID := "op-" + r.ns
	a := r.startOperator(opConfig{leaderID: leaderID})
	a.waitLeading(t, convergeTimeout)
	b := r.startOperator(opConfig{leaderID: leaderID})
	var sigterm time.Time
	var exited time.Duration
	stopped := make(chan error, 1)
	workload(r, func() {
		sigterm = time.Now()
		go func() {
			err := a.Process.Stop()
			exited = time.Since(sigterm)
			stopped <- err
		}()
	})
	created := time.Since(sigterm)
	b.waitLeading(t, convergeTimeout)
	led := time.Since(sigterm)
	if err := <-stopped; err != nil {
		t.Error(err)
	}
	s.row.Converge = created
	s.row.Fault = r.sideEffects()
	s.note("old leader exited %s after SIGTERM; standby leading by %s; new pool Created %s after SIGTERM",
		exited.Round(10*time.Millisecond), led.Round(10*time.Millisecond), created.Round(10*time.Millisecond))
	compare(t, base, r.endState())
	if exited > harness.LeaderLease {
		t.Errorf("old leader took %s to exit", exited)
	}
	if created > harness.LeaderLease+5*time.Second {
		t.Errorf("a pool created after SIGTERM took %s, want well under the Lease duration %s + a sync: the Lease was not released", created, harness.LeaderLease)
	}
}
