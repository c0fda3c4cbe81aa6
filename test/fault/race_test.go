package fault

import (
	"testing"
	"time"
)

// raceRounds objects are created and deleted at once.
const raceRounds = 20

// TestCreateThenDeleteAtOnce creates pools and deletes each right away,
// with the operator running. The API server may delete an object although
// the operator's finalizer write on it succeeded (the delete had read it
// before), so a pool can be created for an object that is already gone:
// the operator must destroy it. No pool is left on the node, and every
// pool created was destroyed.
func TestCreateThenDeleteAtOnce(t *testing.T) {
	t.Parallel()
	s := newScenario(t, 17, "create and delete at once, operator running (no fault injected)")
	r := s.newRun("fault")
	r.startOperator(opConfig{args: []string{"-v=4"}})
	began := time.Now()
	for i := range raceRounds {
		r.create(i)
		r.delete(r.name(i))
	}
	r.waitEmpty(convergeTimeout)
	r.waitNoPools(convergeTimeout)
	s.row.Converge = time.Since(began)
	s.row.Fault = r.sideEffects()
	s.note("%d objects; %d pools created before their object was seen deleted, all destroyed", raceRounds, s.row.Fault.PoolsCreated)
	if f := s.row.Fault; f.PoolsCreated != f.PoolsDestroyed {
		t.Errorf("%d pools created, %d destroyed", f.PoolsCreated, f.PoolsDestroyed)
	}
}
