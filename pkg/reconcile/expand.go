package reconcile

import (
	"fmt"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// expansionStep decides what openebs.io/expand asks of a live object whose
// pool the agent reports as ours (the caller has checked the agent is
// ready, the pool ours and the finalizer on). ok is false when the object
// does not ask for an expansion: report the pool as usual.
//
//   - the reply of an ExpandPool: the new size in status, an Expanded
//     event, and the annotation removed;
//   - the agent refused it (DiskNotGrown, ExpansionLimit, ...): a Warning
//     event that says why and the annotation removed; a transient failure
//     keeps the annotation and retries;
//   - the disk is larger than status.maxExpandableSize: refused before
//     asking the agent, nothing changed;
//   - otherwise: ExpandPool, capped at maxExpandableSize.
//
// A value other than "true" is refused the same way, so it does not sit
// on the object looking like a pending request.
//
// Wiring (the controller): live() calls it in its ownPool case once the
// finalizer is on, before reportPool; the controller performs
// ActionExpandPool (folding the reply into Observation.Pool with
// FromExpand) and ActionRemoveExpandAnnotation (an Update of the object,
// resourceVersion and UID preconditions, like the finalizer).
func (d decider) expansionStep() (plan Plan, ok bool) {
	value, annotated := d.obj.Annotations[v1beta3.ExpandAnnotation]
	if !annotated || d.obj.DeletionTimestamp != nil || !d.wasCreated() {
		// Not Created yet: the first report comes first.
		return Plan{}, false
	}
	p := d.obs.Pool.Pool
	base := d.reportPool()
	if d.obs.Pool.FromExpand {
		base.Events = append(base.Events, Event{EventNormal, ReasonExpanded,
			fmt.Sprintf("Pool %s on node %s grew to capacity %s (disk %s, limit %s)", p.UUID, d.target.node, quantity(p.Capacity), quantity(p.DiskCapacity), quantity(d.maxExpandable()))})
		base.Action = ActionRemoveExpandAnnotation
		return base, true
	}
	if e := d.obs.LastError; e != nil && e.Op == ActionExpandPool {
		if e.Reason == ReasonAgentUnavailable || e.Reason == ReasonAgentTimeout {
			base.Retry, base.RetryReason = true, ReasonAgentUnavailable
			return base, true
		}
		msg := fmt.Sprintf("expansion of pool %s refused by the agent on node %s: %s; nothing changed", p.UUID, d.target.node, e.Message)
		// The agent's typed refusals keep their reason.
		switch e.Reason {
		case ReasonDiskNotGrown:
			return d.expansionRefused(base, ReasonDiskNotGrown, msg), true
		case ReasonExpansionLimit:
			return d.expansionRefused(base, ReasonExpansionLimit, msg), true
		default:
			return d.expansionRefused(base, ReasonExpansionRefused, msg), true
		}
	}
	limit := d.maxExpandable()
	switch {
	case value != "true":
		return d.expansionRefused(base, ReasonExpansionRefused, fmt.Sprintf("annotation %s=%q is not \"true\"; nothing changed", v1beta3.ExpandAnnotation, value)), true
	case p.DiskCapacity <= 0 || limit <= 0:
		return d.expansionRefused(base, ReasonExpansionRefused, fmt.Sprintf("the agent on node %s does not report the size of disks %v, so pool %s cannot be expanded; nothing changed", d.target.node, d.target.disks, p.UUID)), true
	case p.DiskCapacity > limit:
		return d.expansionRefused(base, ReasonExpansionLimit, fmt.Sprintf("disk %v of pool %s is %s, beyond the pool's maxExpandableSize %s (spec.maxExpansion %s); nothing changed",
			d.target.disks, p.UUID, quantity(p.DiskCapacity), quantity(limit), orDefault(d.obj.Spec.MaxExpansion, "unset: 1x"))), true
	}
	base.Action = ActionExpandPool
	base.Expand = &ExpandRequest{Node: d.target.node, Name: d.obj.Name, OwnerUID: string(d.obj.UID), MaxCapacity: limit}
	return base, true
}

// expansionRefused removes the annotation and says why, with base's status.
func (d decider) expansionRefused(base Plan, reason, message string) Plan {
	base.Action = ActionRemoveExpandAnnotation
	base.Events = append(base.Events, Event{EventWarning, reason, message})
	return base
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
