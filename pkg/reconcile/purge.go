package reconcile

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/deleteopts"
)

// deleteOptsStep decides what openebs.io/delete-opts asks of a deleted
// object that still has the finalizer. ok is false when the annotation
// does not change the delete (absent, or no purge): the pool is destroyed
// as usual. Otherwise plan is the step:
//
//   - a value that does not parse blocks the delete (InvalidDeleteOpts)
//     until it is fixed: guessing could orphan a pool or destroy one;
//   - a purge while the node's agent works is refused (PurgeBlocked): a
//     normal delete destroys the pool, which a purge would leave behind;
//   - a purge of a pool with replicas needs accept and accept-volume-loss
//     (or accept-data-loss), as in Mayastor: this operator cannot tell
//     whether they are the last healthy replicas of their volumes;
//   - otherwise the purge lets the object go without contacting the node.
//
// Wiring (the controller): deleting() calls it in place of its own
// check of DeleteOptsPurge, and Observation.LastReplicas is filled from
// the tracker's last report of the pool.
func (d decider) deleteOptsStep() (plan Plan, ok bool) {
	value, annotated := d.obj.Annotations[v1beta3.DeleteOptsAnnotation]
	if !annotated {
		return Plan{}, false
	}
	opts, err := deleteopts.Parse(value)
	switch {
	case err != nil:
		return d.deleteBlocked(ReasonInvalidDeleteOpts, fmt.Sprintf("annotation %s=%q cannot be used: %v; the delete waits until the annotation is fixed or removed (nothing was destroyed or purged)",
			v1beta3.DeleteOptsAnnotation, value, err)), true
	case !opts.Purge:
		return Plan{}, false
	case d.obs.Node.Agent.Settling():
		return Plan{}, true
	case d.obs.Node.Agent == AgentReady:
		return d.deleteBlocked(ReasonPurgeBlocked, fmt.Sprintf("purge refused: the pool's node %s has a working diskpool-agent, so a normal delete destroys the pool; remove %s from the annotation %s to delete normally (a purge is for a node or agent that is gone)",
			d.target.node, deleteopts.KeyPurge, v1beta3.DeleteOptsAnnotation)), true
	}
	if n := d.obs.LastReplicas; n.Known && n.Count > 0 && !acceptsLoss(opts) {
		return d.deleteBlocked(ReasonPurgeAcceptRequired, fmt.Sprintf("purge refused: the pool held %d replica(s) when its agent last reported it, and they may be the last healthy copies of their volumes; to purge anyway set %s=%s,%s,%s (or %s)",
			n.Count, v1beta3.DeleteOptsAnnotation, deleteopts.KeyPurge, deleteopts.KeyAccept, deleteopts.KeyAcceptVolumeLoss, deleteopts.KeyPurgeAcceptAll)), true
	}
	return d.purge(), true
}

// deleteBlocked reports a delete that waits for the user: Terminating,
// Ready False with reason, a Warning event when the reason is new. No
// retry: the user's edit of the annotation, or the agent's coming or
// going, queues the object again.
func (d decider) deleteBlocked(reason, message string) Plan {
	st := d.terminatingStatus()
	d.setReady(&st, condition{metav1.ConditionFalse, reason, message})
	plan := Plan{Status: d.changed(st)}
	if plan.Status != nil && readyReason(d.obj.Status) != reason {
		plan.Events = []Event{{EventWarning, reason, message}}
	}
	return plan
}

// acceptsLoss reports whether the options confirm the purge of a pool
// with replicas: accept, and the volume loss.
func acceptsLoss(o deleteopts.Options) bool {
	return o.Accept && o.AcceptVolumeLoss
}
