package reconcile

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// deleting decides for an object whose deletionTimestamp is set: destroy
// its pool, then let it go; when the destroy cannot complete (replicas, no
// agent), mark it Terminating with the reason and retry. The finalizer stays while
// the pool may still exist on the node, unless the user asks to purge.
//
// The finalizer goes only once the agent itself has answered a DestroyPool
// for the object's UID in this sync, even when its report shows no pool of
// ours: a CreatePool from an operator that decided on a stale view (a
// frozen or deposed leader) may still be on its way to the agent, and the
// agent refuses it once it has answered that DestroyPool (OwnerDeleted).
// This costs one DestroyPool call on such deletes, and no API write. A
// pool reported under another owner (handed over) is released without one,
// so a migration calls no DestroyPool.
func (d decider) deleting() Plan {
	if !d.hasFinalizer() {
		return Plan{}
	}
	if plan, ok := d.deleteOptsStep(); ok {
		return plan
	}
	switch {
	case d.obs.Node.Agent.Settling():
		return Plan{}
	case d.obs.Node.Agent != AgentReady:
		return d.terminatingBlocked()
	case d.destroyAnswered() || d.foreignPool():
		// Nothing of ours is left on the node (destroyed now, never
		// created, or the name belongs to another object's pool). A
		// pool reported under another owner is released without a call:
		// a stale CreatePool for this UID is refused PoolNameTaken while
		// that pool exists.
		plan := Plan{Action: ActionRemoveFinalizer}
		created := d.obj.Status.CRState == v1beta3.CRStateTerminating || d.wasCreated()
		switch {
		case (d.nameHeldByAnother() || d.foreignPool()) && created:
			// Handed over (a MayastorPool migration or its rollback):
			// the pool lives on under its new owner.
			plan.Events = []Event{d.releasedEvent()}
		case d.nameHeldByAnother() || d.foreignPool():
		case created:
			pool := d.obj.Status.PoolUUID
			if pool == "" {
				pool = d.obj.Name
			}
			plan.Events = []Event{{EventNormal, ReasonDestroyed,
				fmt.Sprintf("Pool %s destroyed on node %s; disks %v are empty again", pool, d.target.node, d.target.disks)}}
		}
		return plan
	case d.obs.LastError != nil:
		return d.destroyFailed(*d.obs.LastError)
	default:
		// Destroy first: when it succeeds the object is gone a moment later
		// and a Terminating status would be one more write nobody reads.
		// Terminating is written when the destroy cannot complete.
		return Plan{Action: ActionDestroyPool, Destroy: &DestroyRequest{
			Node: d.target.node, Name: d.obj.Name, OwnerUID: string(d.obj.UID)}}
	}
}

// destroyAnswered reports whether the agent answered this sync's
// DestroyPool for the object's UID with nothing of that UID's left: it
// destroyed the pool, found none, or found the name held by another
// owner's pool (OwnerMismatch). In each case it now refuses any CreatePool
// for the UID.
func (d decider) destroyAnswered() bool {
	return d.obs.DestroyAnswered || d.nameHeldByAnother()
}

// nameHeldByAnother reports a DestroyPool answered OwnerMismatch in this
// sync: the pool of the object's name is another object's.
func (d decider) nameHeldByAnother() bool {
	return d.obs.LastError != nil && leftNothing(d.obs.LastError)
}

// releasedEvent says that the pool of the object's name, found to be
// another object's, was left alone.
func (d decider) releasedEvent() Event {
	if d.foreignPool() {
		p := d.obs.Pool.Pool
		owner := "another object"
		if d.obs.Pool.Owner != "" {
			owner = d.obs.Pool.Owner
		}
		return Event{EventNormal, ReasonReleased,
			fmt.Sprintf("Pool %s on node %s now belongs to %s (uid %s); it was not destroyed", p.UUID, d.target.node, owner, p.OwnerUID)}
	}
	return Event{EventNormal, ReasonReleased,
		fmt.Sprintf("Pool %s on node %s belongs to another object; it was not destroyed: %s", d.obj.Name, d.target.node, d.obs.LastError.Message)}
}

func (d decider) purge() Plan {
	msg := fmt.Sprintf("Finalizer removed without contacting node %s (%s=%s)", d.target.node, v1beta3.DeleteOptsAnnotation, v1beta3.DeleteOptsPurge)
	if d.wasCreated() || d.target.cached {
		msg += fmt.Sprintf("; pool %s on disks %v is left on the node as an orphan and is never destroyed automatically", orUnknown(d.obj.Status.PoolUUID), d.target.disks)
	}
	return Plan{Action: ActionRemoveFinalizer, Events: []Event{{EventWarning, ReasonPurged, msg}}}
}

// terminatingBlocked reports a deletion that waits for the node's agent.
func (d decider) terminatingBlocked() Plan {
	st := d.terminatingStatus()
	var ready condition
	if !d.obs.Node.Exists && d.obs.Node.Agent == AgentMissing {
		st.PoolStatus = v1beta3.PoolStatusUnknown
		ready = condition{metav1.ConditionFalse, ReasonNodeNotFound, fmt.Sprintf("node %s does not exist, so the pool cannot be destroyed", d.target.node)}
	} else {
		if d.wasCreated() {
			st.PoolStatus = v1beta3.PoolStatusOffline
		} else {
			st.PoolStatus = v1beta3.PoolStatusUnknown
		}
		ready = condition{metav1.ConditionFalse, ReasonAgentUnavailable, fmt.Sprintf("the diskpool-agent on node %s is not available (%s), so the pool cannot be destroyed",
			d.target.node, orUnknown(d.obs.Node.AgentMessage))}
	}
	ready.message += fmt.Sprintf("; it is destroyed when the agent returns. To let the object go without destroying the pool, annotate it with %s=%s (the pool is then left on the disk as an orphan)",
		v1beta3.DeleteOptsAnnotation, v1beta3.DeleteOptsPurge)
	d.keepAgentMessage(st, &ready)
	d.setReady(&st, ready)
	plan := Plan{Status: d.changed(st)}
	if plan.Status != nil && readyReason(d.obj.Status) != ready.reason {
		plan.Events = []Event{{EventWarning, ready.reason, ready.message}}
	}
	return plan
}

func (d decider) destroyFailed(e AgentError) Plan {
	reason, _ := destroyOutcome(e.Reason)
	st := d.terminatingStatus()
	msg := e.Message
	if reason == ReasonPoolInUse {
		msg = fmt.Sprintf("pool %s on node %s still holds %d replica(s) and is not destroyed; it is destroyed once they are gone (retried with backoff): %s",
			d.obs.Pool.Pool.UUID, d.target.node, d.obs.Pool.Pool.ReplicaCount, e.Message)
	}
	d.setReady(&st, condition{metav1.ConditionFalse, reason, msg})
	plan := Plan{Status: d.changed(st), Retry: true, RetryReason: reason}
	if plan.Status != nil {
		plan.Events = []Event{{EventWarning, reason, msg}}
	}
	return plan
}

// terminatingStatus is the current status marked Terminating.
func (d decider) terminatingStatus() v1beta3.DiskPoolStatus {
	st := *d.obj.Status.DeepCopy()
	st.CRState = v1beta3.CRStateTerminating
	st.ObservedGeneration = d.obj.Generation
	if st.PoolStatus == "" {
		st.PoolStatus = v1beta3.PoolStatusUnknown
	}
	if !d.target.cached && d.ownPool() {
		st.Node, st.Disks = d.target.node, d.target.disks
	}
	return st
}
