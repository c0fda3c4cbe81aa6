package reconcile

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// TestPoolNameTakenNamesTheOwner: when the controller knows which object
// owns the pool that holds the name, the refusal says so; without it, the
// message still gives the owner's uid.
func TestPoolNameTakenNamesTheOwner(t *testing.T) {
	for _, tc := range []struct {
		owner string
		want  string
	}{
		{"DiskPool storage/pool-a", "owned by DiskPool storage/pool-a (uid someone-else)"},
		{"", "owned by another object (uid someone-else)"},
	} {
		pool := foreign()
		pool.Owner = tc.owner
		plan := Decide(Observation{Object: object(withFinalizer), Node: ready, Pool: pool, Now: now})
		if plan.Action != ActionNone || !plan.Retry || plan.Status == nil {
			t.Fatalf("owner %q: plan %+v, want a refusal and no side effect", tc.owner, plan)
		}
		c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady)
		if c == nil || c.Reason != ReasonPoolNameTaken || !strings.Contains(c.Message, tc.want) {
			t.Errorf("owner %q: Ready = %+v, want %s with %q", tc.owner, c, ReasonPoolNameTaken, tc.want)
		}
	}
}

// TestDeletingAfterHandOverReleases: a created object deleted after its
// pool was handed over to another object (migration) lets go without a
// destroy, and its event says the pool lives on rather than "destroyed".
func TestDeletingAfterHandOverReleases(t *testing.T) {
	pool := foreign()
	pool.Owner = "DiskPool ns/pool-a"
	plan := Decide(Observation{Object: object(withFinalizer, created, deleted), Node: ready, Pool: pool, Now: now})
	if plan.Action != ActionRemoveFinalizer || plan.Destroy != nil {
		t.Fatalf("plan %+v, want the finalizer removed and nothing destroyed", plan)
	}
	if len(plan.Events) != 1 || plan.Events[0].Reason != ReasonReleased ||
		!strings.Contains(plan.Events[0].Message, "now belongs to DiskPool ns/pool-a") || strings.Contains(plan.Events[0].Message, "destroyed on") {
		t.Errorf("events = %+v, want one %s naming the new owner", plan.Events, ReasonReleased)
	}
	// Without a cached uuid (a MayastorPool has none), the Destroyed event
	// names the pool by name rather than "unknown".
	obj := object(withFinalizer, created, deleted, func(o *v1beta3.DiskPool) { o.Status.PoolUUID = "" })
	plan = Decide(Observation{Object: obj, Node: ready, DestroyAnswered: true, Now: now})
	if len(plan.Events) != 1 || plan.Events[0].Reason != ReasonDestroyed || !strings.Contains(plan.Events[0].Message, "Pool pool-a destroyed") {
		t.Errorf("events = %+v", plan.Events)
	}
}

// TestAdoptionIsReportedAsAdopted: the status written after a CreatePool
// that took a pool over comes with an Adopted event, not Created.
func TestAdoptionIsReportedAsAdopted(t *testing.T) {
	pool := ourPool(PoolHealthOnline)
	pool.FromCreate, pool.AdoptedFrom = true, "msp-uid"
	pool.Pool.ReplicaCount = 2
	plan := Decide(Observation{Object: object(withFinalizer, annotated(v1beta3.AdoptPoolOwnerAnnotation, "msp-uid")), Node: ready, Pool: pool, Now: now})
	if plan.Status == nil || plan.Status.CRState != v1beta3.CRStateCreated || plan.Status.PoolUUID != "uuid-1" {
		t.Fatalf("status = %+v, want Created with the adopted pool's uuid", plan.Status)
	}
	if len(plan.Events) != 1 || plan.Events[0].Reason != ReasonAdopted || !strings.Contains(plan.Events[0].Message, "taken over from the object with uid msp-uid") ||
		!strings.Contains(plan.Events[0].Message, "replicas (2) are unchanged") {
		t.Errorf("events = %+v", plan.Events)
	}
}

// TestNoHandOverPingPong: an object that was Created and lost its pool to
// another object does not take it back, even when annotated to adopt from
// that object: two objects adopting from each other would otherwise hand
// the pool back and forth at every sync.
func TestNoHandOverPingPong(t *testing.T) {
	obj := object(withFinalizer, created, annotated(v1beta3.AdoptPoolOwnerAnnotation, "someone-else"))
	plan := Decide(Observation{Object: obj, Node: ready, Pool: foreign(), Now: now})
	if plan.Action != ActionNone || plan.Create != nil || !plan.Retry {
		t.Fatalf("plan %+v, want a PoolNameTaken refusal and no CreatePool", plan)
	}
	if c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady); c == nil || c.Reason != ReasonPoolNameTaken {
		t.Errorf("Ready = %+v, want %s", c, ReasonPoolNameTaken)
	}
	// Not yet Created (a failed or interrupted adoption): it adopts.
	obj = object(withFinalizer, annotated(v1beta3.AdoptPoolOwnerAnnotation, "someone-else"), crState(v1beta3.CRStateCreating))
	if plan := Decide(Observation{Object: obj, Node: ready, Pool: foreign(), Now: now}); plan.Action != ActionCreatePool || plan.Create.AdoptOwnerUID != "someone-else" {
		t.Errorf("plan %+v, want CreatePool adopting from someone-else", plan)
	}
}
