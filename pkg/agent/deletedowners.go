package agent

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/klog/v2"
)

// maxDeletedOwners bounds the deleted owners remembered: beyond it the
// oldest is forgotten. A CreatePool for a deleted owner can only come from
// an operator that decided on a stale view (a frozen or deposed leader, a
// call that sat in a socket), moments after the delete, not a thousand
// deletes on this node later. An entry is about 150 bytes of state file.
const maxDeletedOwners = 1024

// deletedOwner is an owner UID and pool name the agent answered a
// DestroyPool for: the operator removes the object's finalizer only after
// that answer, and object UIDs are never reused, so no later CreatePool of
// that pool for that owner is one to carry out (see rememberDeletedOwner).
// The name is part of the key because the agent's API lets one owner have
// several pools; the operator names a pool after its object, so for it the
// UID alone decides.
type deletedOwner struct {
	UID     string    `json:"uid"`
	Pool    string    `json:"pool"`
	Deleted time.Time `json:"deleted"`
}

// ownerDeleted says whether pool of owner uid is a remembered deleted owner.
func (a *Agent) ownerDeleted(uid, pool string) (deletedOwner, bool) {
	a.deletedMu.Lock()
	defer a.deletedMu.Unlock()
	for _, o := range a.deletedOwners {
		if o.UID == uid && o.Pool == pool {
			return o, true
		}
	}
	return deletedOwner{}, false
}

// addDeletedOwners records owners, forgetting the oldest beyond
// maxDeletedOwners, and says whether any was new.
func (a *Agent) addDeletedOwners(ctx context.Context, owners ...deletedOwner) bool {
	a.deletedMu.Lock()
	defer a.deletedMu.Unlock()
	added := false
	for _, o := range owners {
		if !containsOwner(a.deletedOwners, o) {
			a.deletedOwners = append(a.deletedOwners, o)
			added = true
		}
	}
	if n := len(a.deletedOwners) - maxDeletedOwners; n > 0 {
		klog.FromContext(ctx).V(2).Info("Forgetting the oldest deleted owners", "count", n, "oldest", a.deletedOwners[0].UID)
		a.deletedOwners = append([]deletedOwner(nil), a.deletedOwners[n:]...)
	}
	return added
}

func (a *Agent) forgetDeletedOwner(uid, pool string) {
	a.deletedMu.Lock()
	defer a.deletedMu.Unlock()
	for i, o := range a.deletedOwners {
		if o.UID == uid && o.Pool == pool {
			a.deletedOwners = append(a.deletedOwners[:i:i], a.deletedOwners[i+1:]...)
			return
		}
	}
}

func (a *Agent) deletedOwnerList() []deletedOwner {
	a.deletedMu.Lock()
	defer a.deletedMu.Unlock()
	return append([]deletedOwner(nil), a.deletedOwners...)
}

func containsOwner(owners []deletedOwner, d deletedOwner) bool {
	for _, o := range owners {
		if o.UID == d.UID && o.Pool == d.Pool {
			return true
		}
	}
	return false
}

// rememberDeletedOwner records that DestroyPool of pool for owner uid was
// answered, and saves it before the caller answers: the operator removes
// the object's finalizer on that answer, and a CreatePool of pool for uid that
// arrives afterwards (from an operator that decided on a stale view) must
// be refused even across a restart of this agent. opMu must be held, so
// no CreatePool runs between the destroy and the record. saved says
// whether it wrote the state file (not when an earlier DestroyPool had
// recorded the same).
func (a *Agent) rememberDeletedOwner(ctx context.Context, uid, pool string) (saved bool, err error) {
	if !a.addDeletedOwners(ctx, deletedOwner{UID: uid, Pool: pool, Deleted: a.cfg.Clock.Now().UTC()}) {
		return false, nil // remembered (and saved) by an earlier DestroyPool
	}
	if err := a.saveStateNow(); err != nil {
		a.forgetDeletedOwner(uid, pool)
		return false, status.Errorf(codes.Internal, "pool %s: cannot save that owner %s is deleted, which must be on disk before DestroyPool answers (retry): %v",
			pool, uid, err)
	}
	return a.cfg.StateDir != "", nil
}
