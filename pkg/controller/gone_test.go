package controller

import (
	"testing"

	"k8s.io/client-go/tools/cache"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// TestPoolOfAGoneObjectIsDestroyed: the API server removed an object that
// still carried the finalizer (its delete won the race with the finalizer
// write) after a sync had created its pool. The delete event's final state
// is remembered, and the sync of the now missing object destroys the pool,
// by owner UID; a purged object's pool and another object's pool stay.
func TestPoolOfAGoneObjectIsDestroyed(t *testing.T) {
	tests := []struct {
		name        string
		finalState  func(*v1beta3.DiskPool)
		poolOwner   string
		wantDestroy bool
	}{
		{name: "gone with the finalizer: its pool is destroyed", finalState: func(d *v1beta3.DiskPool) {}, wantDestroy: true},
		{name: "purged: the pool is a reported orphan, kept", finalState: func(d *v1beta3.DiskPool) {
			d.Annotations = map[string]string{v1beta3.DeleteOptsAnnotation: v1beta3.DeleteOptsPurge}
		}},
		{name: "gone without the finalizer (normal delete): nothing to check", finalState: func(d *v1beta3.DiskPool) { d.Finalizers = nil }},
		{name: "the pool of that name is another object's: kept", finalState: func(d *v1beta3.DiskPool) {}, poolOwner: "another-uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, newDiskPool("pool-a"), newNode(testNode))
			created(t, f)
			if tt.poolOwner != "" {
				f.agents.updatePool(testNode, "pool-a", func(p *reconcile.Pool) { p.OwnerUID = tt.poolOwner })
			}
			f.agents.takeCalls()
			final := f.stored("pool-a").DeepCopy()
			tt.finalState(final)

			// The object leaves the API (and the cache) with that final state.
			if err := f.client.Tracker().Delete(diskPoolsResource, testNS, "pool-a"); err != nil {
				t.Fatal(err)
			}
			if err := f.dspIndexer.Delete(final); err != nil {
				t.Fatal(err)
			}
			f.c.rememberDeleted(f.c.kinds[KindDiskPool], cache.DeletedFinalStateUnknown{Key: testNS + "/pool-a", Obj: final})

			f.mustSync("pool-a")
			var want []string
			if tt.wantDestroy {
				want = []string{"DestroyPool node-a/pool-a"}
			}
			equal(t, "agent calls", f.agents.takeCalls(), want)
			// Checked once: a later sync of the missing object does nothing.
			f.mustSync("pool-a")
			equal(t, "agent calls on a second sync", f.agents.takeCalls(), nil)
		})
	}
}
