package agent

import (
	"fmt"
	"os"
	"testing"

	"google.golang.org/grpc/codes"
	"k8s.io/klog/v2/ktesting"

	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// TestCreateAfterDestroyRefused: once DestroyPool of a pool for an owner
// is answered (destroyed, not found, or the name held by another owner),
// a CreatePool of that pool for that owner is refused with OwnerDeleted,
// writing nothing, also after a restart of the agent. That CreatePool can
// only come from an operator that decided on a stale view: the operator
// lets the object go on the DestroyPool's answer, and UIDs are never
// reused. Another owner (a re-created object) and another pool name are
// not affected.
func TestCreateAfterDestroyRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(h *harness, d string)
	}{
		{"destroyed", func(h *harness, d string) {
			h.mustCreate("pool-a", ownerA, d)
			if err := h.destroy("pool-a", ownerA); err != nil {
				t.Fatal(err)
			}
		}},
		{"never created", func(h *harness, d string) {
			if err := h.destroy("pool-a", ownerA); err != nil {
				t.Fatal(err)
			}
		}},
		{"the name held by another owner", func(h *harness, d string) {
			h.mustCreate("pool-a", ownerB, d)
			wantRefusal(t, h.destroy("pool-a", ownerA), codes.FailedPrecondition, poolerr.ReasonOwnerMismatch)
			if err := h.destroy("pool-a", ownerB); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			d := h.disk("sdb", gib)
			tc.setup(h, d)
			sum := fileHash(t, d)
			_, err := h.create("pool-a", ownerA, d)
			wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonOwnerDeleted)
			h.restart()
			_, err = h.create("pool-a", ownerA, d)
			wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonOwnerDeleted)
			if got := fileHash(t, d); got != sum {
				t.Error("a refused CreatePool wrote to the disk")
			}
			if err := h.destroy("pool-a", ownerA); err != nil {
				t.Errorf("DestroyPool again: %v", err)
			}
			// A re-created object of the same name is another owner.
			h.mustCreate("pool-a", ownerC, d)
			// The agent's API lets an owner have other pools.
			h.mustCreate("pool-b", ownerA, h.disk("sdc", gib))
		})
	}
}

// TestDeletedOwnerSavedBeforeAnswer: an owner that cannot be saved as
// deleted fails the DestroyPool, so the operator keeps the finalizer and
// retries; the retry saves it.
func TestDeletedOwnerSavedBeforeAnswer(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	if err := os.RemoveAll(h.stateDir); err != nil {
		t.Fatal(err)
	}
	if err := h.destroy("pool-a", ownerA); err == nil {
		t.Fatal("DestroyPool answered without saving the deleted owner")
	}
	if err := os.Mkdir(h.stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := h.destroy("pool-a", ownerA); err != nil {
		t.Fatal(err)
	}
	h.restart()
	_, err := h.create("pool-a", ownerA, d)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonOwnerDeleted)
}

func TestDeletedOwnersBounded(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	a := &Agent{}
	for i := range maxDeletedOwners + 3 {
		if !a.addDeletedOwners(ctx, deletedOwner{UID: fmt.Sprintf("uid-%d", i), Pool: "pool-a"}) {
			t.Fatalf("owner %d not added", i)
		}
	}
	if a.addDeletedOwners(ctx, deletedOwner{UID: "uid-5", Pool: "pool-a"}) {
		t.Error("an owner remembered already was added again")
	}
	got := a.deletedOwnerList()
	if len(got) != maxDeletedOwners || got[0].UID != "uid-3" {
		t.Fatalf("kept %d owners from %s, want %d from uid-3", len(got), got[0].UID, maxDeletedOwners)
	}
	if _, ok := a.ownerDeleted("uid-0", "pool-a"); ok {
		t.Error("the oldest owner is still refused")
	}
	if _, ok := a.ownerDeleted("uid-5", "pool-b"); ok {
		t.Error("another pool of a deleted owner is refused")
	}
	if _, ok := a.ownerDeleted(fmt.Sprintf("uid-%d", maxDeletedOwners+2), "pool-a"); !ok {
		t.Error("the newest owner is not refused")
	}
}

// TestDestroyWritesTheStateOnce: the deleted owner's save, after the pool
// is forgotten, also records its disks gone; no second fsync follows.
func TestDestroyWritesTheStateOnce(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	if _, err := h.create("pool-a", ownerA, d); err != nil {
		t.Fatal(err)
	}
	before := h.agent.stateWrites.Load()
	if err := h.destroy("pool-a", ownerA); err != nil {
		t.Fatal(err)
	}
	if n := h.agent.stateWrites.Load() - before; n != 1 {
		t.Errorf("DestroyPool wrote the state file %d times, want 1", n)
	}
	kd, err := h.agent.loadKnownDisks()
	if err != nil {
		t.Fatal(err)
	}
	if len(kd.Disks) != 0 || len(kd.DeletedOwners) != 1 {
		t.Errorf("state after destroy: disks %v, deleted owners %v; want no disk and one owner", kd.Disks, kd.DeletedOwners)
	}
}
