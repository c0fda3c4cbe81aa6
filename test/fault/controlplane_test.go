package fault

import (
	"context"
	"testing"
	"time"
)

// Sizes of the control-plane scenarios.
const (
	cpBurst  = 60
	cpKillAt = 10
)

// controlPlaneBurst creates cpBurst pools and, once cpKillAt are Created,
// runs restart (an API server or etcd restart) while the rest are being
// created: every pool ends Created, created once. These scenarios are not
// parallel: the control plane is everyone's.
func controlPlaneBurst(t *testing.T, id int, title string, restart func(ctx context.Context) error) {
	s := newScenario(t, id, title)
	base := s.baseline(func(r *run) {
		r.createBurst(cpBurst)
		r.waitCreated(cpBurst, convergeTimeout)
	})

	r := s.newRun("fault")
	// The operator may lose its Lease while the API server is away (the
	// suite's renew deadline is 3 s); it then exits and is restarted, as
	// its Deployment would do.
	op := r.startOperator(opConfig{restart: true})
	done := r.startBurst(cpBurst, cpKillAt, convergeTimeout)
	began := time.Now()
	if err := restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	<-done
	r.waitCreated(cpBurst, convergeTimeout)
	s.row.Converge = time.Since(restarted)
	s.row.Fault = r.sideEffects()
	s.note("restart took %s; the operator exited and was restarted %d times", restarted.Sub(began).Round(10*time.Millisecond), op.restarts.Load())
	compare(t, base, r.endState())
	s.wantCreated(cpBurst)
}

// TestAPIServerRestart restarts kube-apiserver (same etcd) during a burst
// of creations.
func TestAPIServerRestart(t *testing.T) {
	suite.Env(t)
	controlPlaneBurst(t, 14, "kube-apiserver restarted during a burst", env.Cluster().RestartAPIServer)
}

// TestEtcdRestart kills etcd (SIGKILL) during a burst of creations and
// starts it again.
func TestEtcdRestart(t *testing.T) {
	suite.Env(t)
	controlPlaneBurst(t, 15, "etcd killed and restarted during a burst", func(ctx context.Context) error {
		if err := env.Cluster().Etcd().Kill(); err != nil {
			return err
		}
		return env.Cluster().StartEtcd(ctx)
	})
}
