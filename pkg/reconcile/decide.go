package reconcile

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// Decide returns the one next step for the observed object. It is a pure
// function of obs: the same observation always gives the same plan.
func Decide(obs Observation) Plan {
	d := decider{obs: obs, obj: obs.Object, target: targetOf(obs.Object)}
	if d.obj.DeletionTimestamp != nil {
		return d.deleting()
	}
	return d.live()
}

// target is where the pool is, or is to be: the node (and disks) cached in
// status once a create was attempted there, the spec before.
type target struct {
	node   string
	disks  []string
	cached bool
}

// targetOf is the one rule for where an object's pool lives. status.node
// is written together with the disks by the first create attempt whose
// outcome matters (or by the report of a pool), and never changes after:
// once it is set, a spec edit can never move a create or a destroy to
// another node.
func targetOf(obj *v1beta3.DiskPool) target {
	if obj.Status.Node == "" {
		return target{node: obj.Spec.Node, disks: obj.Spec.Disks}
	}
	disks := obj.Status.Disks
	if len(disks) == 0 {
		disks = obj.Spec.Disks
	}
	return target{node: obj.Status.Node, disks: disks, cached: true}
}

// EffectiveNode returns the node obj's pool lives on, or is to be created
// on: status.node once set, spec.node before. Everything that needs "the
// object's node" (the informers' node index, the observation, Decide's
// requests, the pool metrics) uses this one rule.
func EffectiveNode(obj *v1beta3.DiskPool) string {
	return targetOf(obj).node
}

type decider struct {
	obs    Observation
	obj    *v1beta3.DiskPool
	target target
}

func (d decider) hasFinalizer() bool {
	return slices.Contains(d.obj.Finalizers, v1beta3.Finalizer)
}

// ownPool reports whether the agent reports a pool of this name owned by
// this object.
func (d decider) ownPool() bool {
	return d.obs.Node.Agent == AgentReady && d.obs.Pool.Found && d.obs.Pool.Pool.OwnerUID == string(d.obj.UID)
}

// foreignPool reports whether the agent reports a pool of this name owned
// by another object.
func (d decider) foreignPool() bool {
	return d.obs.Node.Agent == AgentReady && d.obs.Pool.Found && d.obs.Pool.Pool.OwnerUID != string(d.obj.UID)
}

// wasCreated reports whether the object's pool was created: its status says
// Created, or Terminating with a cached target.
func (d decider) wasCreated() bool {
	switch d.obj.Status.CRState {
	case v1beta3.CRStateCreated:
		return true
	case v1beta3.CRStateTerminating:
		return d.target.cached
	}
	return false
}

// live decides for an object that is not being deleted.
func (d decider) live() Plan {
	switch {
	case d.obs.Node.Agent.Settling():
		// The stream is being opened or re-opened; the tracker enqueues us
		// when it settles. Reporting anything now would be a guess and a
		// write (an agent back within the grace would cost two).
		return Plan{}
	case wantsEncryption(d.obj):
		// Refused whatever the node: nothing is created, so no finalizer.
		return d.encryptionRefused()
	case d.obs.Node.Agent != AgentReady:
		return d.agentNotReady()
	case d.ownPool():
		if !d.hasFinalizer() {
			return Plan{Action: ActionAddFinalizer}
		}
		if plan, ok := d.expansionStep(); ok {
			return plan
		}
		return d.reportPool()
	}
	if plan, ok := d.adoptOrphan(); ok {
		return plan
	}
	switch {
	case d.foreignPool() && d.adopting():
		if !d.hasFinalizer() {
			return Plan{Action: ActionAddFinalizer}
		}
		req := d.createRequest()
		req.AdoptOwnerUID = d.obs.Pool.Pool.OwnerUID
		return Plan{Action: ActionCreatePool, Create: req}
	case d.foreignPool():
		p := d.obs.Pool.Pool
		owner := "another object"
		if d.obs.Pool.Owner != "" {
			owner = d.obs.Pool.Owner
		}
		msg := fmt.Sprintf("a pool named %q (uuid %s) owned by %s (uid %s) already exists on node %s; nothing was changed. Give this %s another name, or delete the object that owns the pool",
			p.Name, p.UUID, owner, p.OwnerUID, d.target.node, kindName)
		// Not rechecked: the tracker notifies when that pool changes.
		return d.failing(ReasonPoolNameTaken, msg, false)
	case d.obs.LastError != nil && d.obs.LastError.Reason == agentReasonOwnerDeleted:
		// The agent has answered a DestroyPool for this UID: the object
		// is being deleted or gone, and the cache is behind. A status
		// written now would describe an object that is no more.
		return Plan{Retry: true, RetryReason: ReasonOwnerDeleted}
	case d.obs.LastError != nil:
		return d.createFailed(*d.obs.LastError)
	case !d.hasFinalizer():
		// Before anything can exist on disk, so deletion waits for destroy.
		return Plan{Action: ActionAddFinalizer}
	default:
		plan := Plan{Action: ActionCreatePool, Create: d.createRequest()}
		if d.wasCreated() && isPoolReason(readyReason(d.obj.Status)) {
			plan.Events = []Event{{EventWarning, ReasonPoolMissing,
				fmt.Sprintf("Node %s no longer reports pool %s; importing it again from disks %v", d.target.node, orUnknown(d.obj.Status.PoolUUID), d.target.disks)}}
		}
		return plan
	}
}

// isPoolReason reports whether a Ready reason describes an existing pool.
func isPoolReason(reason string) bool {
	return reason == ReasonPoolOnline || reason == ReasonPoolDegraded || reason == ReasonPoolFaulted
}

// adopting reports whether the object asks to take over the pool the agent
// reports under its name (MayastorPool migration, or its rollback).
// Adoption is how an object is first created, never how it comes back: an
// object that was Created and has since lost its pool to another object
// does not take it back. Otherwise two objects annotated to adopt from
// each other would hand the pool back and forth at every sync, rewriting
// its label each time.
func (d decider) adopting() bool {
	owner := d.obj.Annotations[v1beta3.AdoptPoolOwnerAnnotation]
	return owner != "" && owner == d.obs.Pool.Pool.OwnerUID && !d.wasCreated()
}

// kindName is how messages name the object kind; adapters share the
// wording, which reads well for both kinds.
const kindName = "pool object"

func (d decider) createRequest() *CreateRequest {
	var labels map[string]string
	if d.obj.Spec.Topology != nil && len(d.obj.Spec.Topology.Labelled) > 0 {
		labels = make(map[string]string, len(d.obj.Spec.Topology.Labelled))
		for k, v := range d.obj.Spec.Topology.Labelled {
			labels[k] = string(v)
		}
	}
	return &CreateRequest{
		Node:        d.target.node,
		Name:        d.obj.Name,
		OwnerUID:    string(d.obj.UID),
		Disks:       slices.Clone(d.target.disks),
		Labels:      labels,
		ClusterSize: clusterSizeOf(d.obj),
	}
}

// reportPool writes the status of a pool the agent reports as ours.
func (d decider) reportPool() Plan {
	p := d.obs.Pool.Pool
	st := d.baseStatus()
	st.CRState = v1beta3.CRStateCreated
	st.Node, st.Disks = d.target.node, slices.Clone(d.target.disks)
	st.PoolUUID = p.UUID
	st.Capacity, st.Used, st.Committed = p.Capacity, p.Used, p.Committed
	st.Available = max(p.Capacity-p.Used, 0)
	d.setPoolDetails(&st)
	var ready condition
	switch p.Health {
	case PoolHealthOnline:
		st.PoolStatus = v1beta3.PoolStatusOnline
		ready = condition{metav1.ConditionTrue, ReasonPoolOnline, fmt.Sprintf("pool %s is online on node %s", p.UUID, d.target.node)}
	case PoolHealthDegraded:
		st.PoolStatus = v1beta3.PoolStatusDegraded
		ready = condition{metav1.ConditionTrue, ReasonPoolDegraded, fmt.Sprintf("pool %s on node %s is degraded: %s", p.UUID, d.target.node, orUnknown(p.Reason))}
	case PoolHealthFaulted:
		st.PoolStatus = v1beta3.PoolStatusFaulted
		ready = condition{metav1.ConditionFalse, ReasonPoolFaulted, fmt.Sprintf("pool %s on node %s is faulted: %s", p.UUID, d.target.node, orUnknown(p.Reason))}
	default:
		st.PoolStatus = v1beta3.PoolStatusUnknown
		ready = condition{metav1.ConditionUnknown, ReasonAgentUnavailable, fmt.Sprintf("the agent on node %s reports pool %s in an unknown state", d.target.node, p.UUID)}
	}
	d.setReady(&st, d.withSpecNote(ready))

	plan := Plan{Status: d.changed(st)}
	if plan.Status == nil {
		return plan
	}
	switch {
	case d.obs.Pool.FromCreate && d.obs.Pool.AdoptedFrom != "":
		plan.Events = append(plan.Events, Event{EventNormal, ReasonAdopted,
			fmt.Sprintf("Pool %s on node %s, disks %v, taken over from the object with uid %s; its uuid, data and replicas (%d) are unchanged",
				p.UUID, d.target.node, d.target.disks, d.obs.Pool.AdoptedFrom, p.ReplicaCount)})
	case !d.wasCreated() && d.obs.Pool.FromCreate:
		plan.Events = append(plan.Events, Event{EventNormal, ReasonCreated,
			fmt.Sprintf("Pool %s created on node %s, disks %v, capacity %d bytes", p.UUID, d.target.node, d.target.disks, p.Capacity)})
	case !d.wasCreated() || d.obs.Pool.FromCreate && !isPoolReason(readyReason(d.obj.Status)):
		plan.Events = append(plan.Events, Event{EventNormal, ReasonImported,
			fmt.Sprintf("Pool %s imported on node %s, disks %v, capacity %d bytes", p.UUID, d.target.node, d.target.disks, p.Capacity)})
	case d.obj.Status.PoolStatus != st.PoolStatus:
		typ := EventNormal
		if st.PoolStatus != v1beta3.PoolStatusOnline {
			typ = EventWarning
		}
		plan.Events = append(plan.Events, Event{typ, ReasonStateChanged,
			fmt.Sprintf("Pool %s on node %s is %s (was %s)%s", p.UUID, d.target.node, st.PoolStatus, orUnknown(string(d.obj.Status.PoolStatus)), reasonSuffix(p.Reason))})
	}
	return plan
}

// agentNotReady reports a node whose agent cannot be asked.
func (d decider) agentNotReady() Plan {
	st := d.baseStatus()
	var ready condition
	switch {
	case !d.obs.Node.Exists && d.obs.Node.Agent == AgentMissing:
		st.PoolStatus = v1beta3.PoolStatusUnknown
		ready = condition{metav1.ConditionFalse, ReasonNodeNotFound,
			fmt.Sprintf("node %s does not exist; the pool is created when the node joins the cluster and runs a diskpool-agent", d.target.node)}
	case d.obs.Node.Agent == AgentMissing:
		st.PoolStatus = v1beta3.PoolStatusUnknown
		if d.wasCreated() {
			st.PoolStatus = v1beta3.PoolStatusOffline
		}
		ready = condition{metav1.ConditionFalse, ReasonAgentUnavailable,
			fmt.Sprintf("no diskpool-agent runs on node %s (no live Lease); check that the node carries the storage-node label and that the agent pod is running", d.target.node)}
	default: // AgentUnreachable: past the tracker's grace, so the pool is
		// as unusable as with no agent at all.
		st.PoolStatus = v1beta3.PoolStatusUnknown
		if d.wasCreated() {
			st.PoolStatus = v1beta3.PoolStatusOffline
		}
		ready = condition{metav1.ConditionFalse, ReasonAgentUnavailable,
			fmt.Sprintf("the diskpool-agent on node %s does not answer: %s; check that the agent pod on that node is running and not restarting or frozen, and that the operator can reach the node", d.target.node, orUnknown(d.obs.Node.AgentMessage))}
	}
	ready = d.withSpecNote(ready)
	d.keepAgentMessage(st, &ready)
	d.setReady(&st, ready)
	plan := Plan{Status: d.changed(st)}
	if plan.Status != nil && readyReason(d.obj.Status) != ready.reason {
		plan.Events = append(plan.Events, Event{EventWarning, ready.reason, ready.message})
	}
	return plan
}

// keepAgentMessage keeps the stored Ready message when the status already
// reports the agent unavailable, just as it would now, and the agent's
// Lease has since gone too: the Lease expiring 40 s after the stream showed
// the agent gone is the same outage, not a transition worth a write on
// every pool of the node. Any other state's message is written (an agent
// back but refusing TLS must say so).
func (d decider) keepAgentMessage(st v1beta3.DiskPoolStatus, c *condition) {
	prev := meta.FindStatusCondition(d.obj.Status.Conditions, v1beta3.ConditionReady)
	if d.obs.Node.Agent != AgentMissing || prev == nil || prev.Reason != ReasonAgentUnavailable ||
		prev.Status != c.status || c.reason != ReasonAgentUnavailable ||
		d.obj.Status.PoolStatus != st.PoolStatus || d.obj.Status.ObservedGeneration != d.obj.Generation {
		return
	}
	c.message = prev.Message
}

// createFailed reports a failed CreatePool: a refusal is looked at again
// after RecheckAfter, anything else is retried with backoff.
func (d decider) createFailed(e AgentError) Plan {
	reason, recheck, _ := createOutcome(e.Reason)
	msg := e.Message
	if reason == ReasonDiskClaimed {
		for _, disk := range d.target.disks {
			if holder := d.obs.DiskHolders[disk]; holder != "" {
				msg += fmt.Sprintf("; disk %s is held by the pool of %s", disk, holder)
				break
			}
		}
	}
	return d.failing(reason, msg, recheck)
}

// failing reports a condition the user or the node must fix. A refusal the
// admin fixes on the node (recheck) is looked at again after RecheckAfter;
// anything else asks for a rate-limited retry.
func (d decider) failing(reason, message string, recheck bool) Plan {
	st := d.baseStatus()
	if d.wasCreated() {
		st.PoolStatus = v1beta3.PoolStatusUnknown
	}
	if d.obs.LastError != nil && outcomeUnknown(d.obs.LastError.Reason) {
		// A pool may now exist there: pin the target so that retries can
		// never create it elsewhere.
		st.Node, st.Disks = d.target.node, slices.Clone(d.target.disks)
	}
	ready := condition{metav1.ConditionFalse, reason, message}
	d.setReady(&st, d.withSpecNote(ready))
	plan := Plan{Status: d.changed(st), Retry: !recheck, RetryReason: reason}
	if recheck {
		plan.RequeueAfter = RecheckAfter
	}
	if plan.Status != nil || d.obs.LastError != nil && readyReason(d.obj.Status) != reason {
		// The event reason is the Ready reason, so `kubectl describe` and
		// the condition agree.
		plan.Events = append(plan.Events, Event{EventWarning, reason, message})
	}
	return plan
}

// baseStatus is the status that carries over: the lifecycle state (Created
// stays Created while its node is away; anything else is Creating), the
// cached target and the last known figures.
func (d decider) baseStatus() v1beta3.DiskPoolStatus {
	st := *d.obj.Status.DeepCopy()
	if d.wasCreated() {
		st.CRState = v1beta3.CRStateCreated
	} else {
		st.CRState = v1beta3.CRStateCreating
		if st.PoolStatus == "" {
			st.PoolStatus = v1beta3.PoolStatusUnknown
		}
	}
	st.ObservedGeneration = d.obj.Generation
	return st
}

// changed returns st, completed, when it differs from the stored status,
// nil otherwise (status_v1beta3.go: fields an older release never wrote do
// not count as a difference).
func (d decider) changed(st v1beta3.DiskPoolStatus) *v1beta3.DiskPoolStatus {
	complete(&st)
	if sameStatus(d.obj.Status, st) {
		return nil
	}
	return &st
}

// withSpecNote appends to the message when the spec no longer matches the
// cached target: the pool stays where it was created.
func (d decider) withSpecNote(c condition) condition {
	if !d.target.cached {
		return c
	}
	if d.obj.Spec.Node != d.target.node || !slices.Equal(d.obj.Spec.Disks, d.target.disks) {
		c.message += fmt.Sprintf("; spec (node %s, disks %v) differs from where the pool was created (node %s, disks %v) and is ignored: delete and re-create the object to move the pool",
			d.obj.Spec.Node, d.obj.Spec.Disks, d.target.node, d.target.disks)
	}
	return c
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func reasonSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}
