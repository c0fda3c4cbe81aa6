package reconcile

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

var (
	t0  = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	now = t0.Add(time.Hour)
)

const uid = "uid-1"

// object builds a DiskPool; opts adjust it.
func object(opts ...func(*v1beta3.DiskPool)) *v1beta3.DiskPool {
	o := &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: "pool-a", Namespace: "ns", UID: uid, Generation: 1},
		Spec:       v1beta3.DiskPoolSpec{Node: "node-a", Disks: []string{"/dev/sdb"}},
	}
	for _, f := range opts {
		f(o)
	}
	return o
}

func withFinalizer(o *v1beta3.DiskPool) { o.Finalizers = []string{v1beta3.Finalizer} }
func deleted(o *v1beta3.DiskPool) {
	ts := metav1.NewTime(t0)
	o.DeletionTimestamp = &ts
}
func annotated(k, v string) func(*v1beta3.DiskPool) {
	return func(o *v1beta3.DiskPool) { o.Annotations = map[string]string{k: v} }
}

// created is the status the operator writes for an Online pool.
func created(o *v1beta3.DiskPool) {
	o.Status = v1beta3.DiskPoolStatus{
		CRState: v1beta3.CRStateCreated, PoolStatus: v1beta3.PoolStatusOnline,
		Capacity: 1000, Used: 100, Available: 900, Committed: 200,
		Node: "node-a", Disks: []string{"/dev/sdb"}, PoolUUID: "uuid-1", ObservedGeneration: 1,
		Conditions: []metav1.Condition{{Type: v1beta3.ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonPoolOnline,
			Message: "pool uuid-1 is online on node node-a", ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(t0)}},
	}
}

func crState(s v1beta3.CRState) func(*v1beta3.DiskPool) {
	return func(o *v1beta3.DiskPool) { o.Status.CRState = s }
}

var (
	ready       = NodeView{Exists: true, Agent: AgentReady}
	missing     = NodeView{Exists: true, Agent: AgentMissing}
	noNode      = NodeView{Exists: false, Agent: AgentMissing}
	unreachable = NodeView{Exists: true, Agent: AgentUnreachable, AgentMessage: "connection refused"}
	syncing     = NodeView{Exists: true, Agent: AgentSyncing}
	// reconnecting: a Ready agent's stream broke within the tracker's grace.
	reconnecting = NodeView{Exists: true, Agent: AgentReconnecting, AgentMessage: "connection refused"}
)

func ourPool(health PoolHealth) PoolView {
	return PoolView{Found: true, Pool: Pool{Name: "pool-a", UUID: "uuid-1", OwnerUID: uid, Disks: []string{"/dev/sdb"},
		Health: health, Capacity: 1000, Used: 100, Committed: 200}}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name      string
		obj       *v1beta3.DiskPool
		node      NodeView
		pool      PoolView
		lastErr   *AgentError
		answered  bool // Observation.DestroyAnswered
		action    Action
		createOn  []string // disks of the CreatePool request
		crState   v1beta3.CRState
		poolState v1beta3.PoolStatus
		ready     string // Ready reason when a status is written; "" = no status write
		readyIs   metav1.ConditionStatus
		events    string // comma-separated event reasons
		retry     bool   // a backoff retry
		recheck   bool   // a look after RecheckAfter
		note      string // a substring of the Ready message
	}{
		// Creating.
		{name: "new object gets the finalizer first", obj: object(), node: ready, action: ActionAddFinalizer},
		{name: "then the pool is created on the spec disks", obj: object(withFinalizer), node: ready, action: ActionCreatePool, createOn: []string{"/dev/sdb"}},
		{name: "create reply becomes Created status", obj: object(withFinalizer), node: ready, pool: fromCreate(ourPool(PoolHealthOnline)),
			crState: v1beta3.CRStateCreated, poolState: v1beta3.PoolStatusOnline, ready: ReasonPoolOnline, readyIs: metav1.ConditionTrue, events: ReasonCreated},
		{name: "pool already on the node (crash before status) is imported", obj: object(withFinalizer), node: ready, pool: ourPool(PoolHealthOnline),
			crState: v1beta3.CRStateCreated, poolState: v1beta3.PoolStatusOnline, ready: ReasonPoolOnline, readyIs: metav1.ConditionTrue, events: ReasonImported},
		{name: "our pool without finalizer gets it back before anything else", obj: object(), node: ready, pool: ourPool(PoolHealthOnline), action: ActionAddFinalizer},
		{name: "created and unchanged writes nothing", obj: object(withFinalizer, created), node: ready, pool: ourPool(PoolHealthOnline)},
		{name: "Error state is treated as Creating", obj: object(withFinalizer, crState(v1beta3.CRStateError)), node: ready, action: ActionCreatePool, createOn: []string{"/dev/sdb"}},
		{name: "unknown state is treated as Creating", obj: object(withFinalizer, crState("Exploded")), node: missing,
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable},

		// Node and agent availability.
		{name: "agent syncing: wait, write nothing", obj: object(withFinalizer, created), node: syncing},
		{name: "no agent, not created", obj: object(), node: missing,
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable},
		{name: "no agent, created: Offline", obj: object(withFinalizer, created), node: missing,
			crState: v1beta3.CRStateCreated, poolState: v1beta3.PoolStatusOffline, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable},
		{name: "agent reconnecting within the grace: wait, write nothing", obj: object(withFinalizer, created), node: reconnecting},
		{name: "agent reconnecting, not created: wait too", obj: object(withFinalizer), node: reconnecting},
		{name: "agent unreachable past the grace, created: Offline in one write", obj: object(withFinalizer, created), node: unreachable,
			crState: v1beta3.CRStateCreated, poolState: v1beta3.PoolStatusOffline, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable,
			note: "does not answer: connection refused; check that the agent pod"},
		{name: "agent unreachable, not created: Unknown", obj: object(withFinalizer), node: unreachable,
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable},
		{name: "node missing", obj: object(), node: noNode,
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonNodeNotFound, readyIs: metav1.ConditionFalse, events: ReasonNodeNotFound},

		// Health follows the node.
		{name: "degraded", obj: object(withFinalizer, created), node: ready, pool: ourPool(PoolHealthDegraded),
			crState: v1beta3.CRStateCreated, poolState: v1beta3.PoolStatusDegraded, ready: ReasonPoolDegraded, readyIs: metav1.ConditionTrue, events: ReasonStateChanged},
		{name: "faulted", obj: object(withFinalizer, created), node: ready, pool: ourPool(PoolHealthFaulted),
			crState: v1beta3.CRStateCreated, poolState: v1beta3.PoolStatusFaulted, ready: ReasonPoolFaulted, readyIs: metav1.ConditionFalse, events: ReasonStateChanged},

		// Agent refusals of CreatePool.
		{name: "disk in use", obj: object(withFinalizer), node: ready, lastErr: createErr("DiskInUse"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonDiskInUse, readyIs: metav1.ConditionFalse, events: ReasonDiskInUse, recheck: true},
		{name: "disk not found", obj: object(withFinalizer), node: ready, lastErr: createErr("DiskNotFound"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonDiskNotFound, readyIs: metav1.ConditionFalse, events: ReasonDiskNotFound, recheck: true},
		{name: "foreign pool label", obj: object(withFinalizer), node: ready, lastErr: createErr("ForeignPool"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonForeignPool, readyIs: metav1.ConditionFalse, events: ReasonForeignPool, recheck: true},
		{name: "disk claimed", obj: object(withFinalizer), node: ready, lastErr: createErr("DiskClaimed"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonDiskClaimed, readyIs: metav1.ConditionFalse, events: ReasonDiskClaimed, recheck: true},
		{name: "disk not allowed", obj: object(withFinalizer), node: ready, lastErr: createErr("DiskNotAllowed"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonDiskNotAllowed, readyIs: metav1.ConditionFalse, events: ReasonDiskNotAllowed, recheck: true},
		{name: "invalid argument", obj: object(withFinalizer), node: ready, lastErr: createErr("InvalidArgument"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonInvalidSpec, readyIs: metav1.ConditionFalse, events: ReasonInvalidSpec, recheck: true},
		{name: "pool disks mismatch", obj: object(withFinalizer), node: ready, lastErr: createErr("PoolDisksMismatch"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonPoolDisksMismatch, readyIs: metav1.ConditionFalse, events: ReasonPoolDisksMismatch, recheck: true},
		{name: "agent unavailable during create", obj: object(withFinalizer), node: ready, lastErr: createErr(ReasonAgentUnavailable),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable, retry: true},
		{name: "unexpected agent error", obj: object(withFinalizer), node: ready, lastErr: createErr("Internal"),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonCreateFailed, readyIs: metav1.ConditionFalse, events: ReasonCreateFailed, retry: true},
		{name: "name taken by another object's pool: nothing is touched", obj: object(withFinalizer), node: ready, pool: foreign(),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonPoolNameTaken, readyIs: metav1.ConditionFalse, events: ReasonPoolNameTaken, retry: true},

		// Migration: adopt a MayastorPool's pool.
		{name: "adopting asks for the finalizer first", obj: object(annotated(v1beta3.AdoptPoolOwnerAnnotation, "someone-else")), node: ready, pool: foreign(),
			action: ActionAddFinalizer},
		{name: "adopting hands the named owner's pool over", obj: object(withFinalizer, annotated(v1beta3.AdoptPoolOwnerAnnotation, "someone-else")), node: ready, pool: foreign(),
			action: ActionCreatePool, createOn: []string{"/dev/sdb"}},
		{name: "adopt annotation naming another owner does not take the pool", obj: object(withFinalizer, annotated(v1beta3.AdoptPoolOwnerAnnotation, "third")), node: ready, pool: foreign(),
			crState: v1beta3.CRStateCreating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonPoolNameTaken, readyIs: metav1.ConditionFalse, events: ReasonPoolNameTaken, retry: true},
		{name: "deleting before the hand-over leaves the old owner's pool alone", obj: object(withFinalizer, deleted, annotated(v1beta3.AdoptPoolOwnerAnnotation, "someone-else")), node: ready, pool: foreign(),
			action: ActionRemoveFinalizer},

		// Re-import.
		{name: "created pool missing from the agent is re-imported on the cached disks", obj: object(withFinalizer, created, func(o *v1beta3.DiskPool) {
			o.Spec.Disks = []string{"/dev/other"}
		}), node: ready, action: ActionCreatePool, createOn: []string{"/dev/sdb"}, events: ReasonPoolMissing},
		{name: "re-import reply", obj: object(withFinalizer, created, withReady(ReasonDiskNotFound)), node: ready, pool: fromCreate(ourPool(PoolHealthOnline)),
			crState: v1beta3.CRStateCreated, poolState: v1beta3.PoolStatusOnline, ready: ReasonPoolOnline, readyIs: metav1.ConditionTrue, events: ReasonImported},

		// Deleting.
		{name: "deleted without finalizer: nothing to do", obj: object(deleted), node: ready},
		{name: "purge lets go without the node", obj: object(withFinalizer, created, deleted, annotated(v1beta3.DeleteOptsAnnotation, "purge")), node: missing,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "deleting: the pool is destroyed first, no Terminating write", obj: object(withFinalizer, created, deleted), node: ready, pool: ourPool(PoolHealthOnline),
			action: ActionDestroyPool},
		{name: "Terminating (a blocked destroy before) is destroyed again", obj: object(withFinalizer, created, deleted, crState(v1beta3.CRStateTerminating)), node: ready, pool: ourPool(PoolHealthOnline),
			action: ActionDestroyPool},
		{name: "a destroy that failed writes Terminating with the reason", obj: object(withFinalizer, created, deleted), node: ready, pool: ourPool(PoolHealthOnline),
			lastErr: destroyErr(ReasonAgentTimeout), crState: v1beta3.CRStateTerminating, poolState: v1beta3.PoolStatusOnline, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable, retry: true},
		{name: "then the finalizer goes", obj: object(withFinalizer, created, deleted, crState(v1beta3.CRStateTerminating)), node: ready, answered: true,
			action: ActionRemoveFinalizer, events: ReasonDestroyed},
		// The agent's answer to a DestroyPool is what makes it refuse a
		// CreatePool still on its way from a stale leader (OwnerDeleted):
		// the finalizer never goes on the report of no pool alone.
		{name: "no pool reported: the agent is asked all the same", obj: object(withFinalizer, created, deleted), node: ready, action: ActionDestroyPool},
		{name: "never created: the agent is asked all the same", obj: object(withFinalizer, deleted), node: ready, action: ActionDestroyPool},
		{name: "never created: the finalizer goes once the agent answered", obj: object(withFinalizer, deleted), node: ready, answered: true, action: ActionRemoveFinalizer},
		{name: "an unanswered destroy of no reported pool keeps the finalizer", obj: object(withFinalizer, deleted), node: ready, lastErr: destroyErr(ReasonAgentTimeout),
			crState: v1beta3.CRStateTerminating, poolState: v1beta3.PoolStatusUnknown, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable, retry: true},
		{name: "another object's pool of the same name is never destroyed", obj: object(withFinalizer, deleted), node: ready, pool: foreign(), action: ActionRemoveFinalizer},
		{name: "no pool reported, the agent says the name is another's: nothing destroyed", obj: object(withFinalizer, deleted), node: ready,
			lastErr: destroyErr("OwnerMismatch"), action: ActionRemoveFinalizer},
		{name: "a stale view: CreatePool refused OwnerDeleted writes nothing", obj: object(withFinalizer), node: ready, lastErr: createErr("OwnerDeleted"),
			retry: true},
		{name: "a stale view of a created object: CreatePool refused OwnerDeleted writes nothing", obj: object(withFinalizer, created), node: ready, lastErr: createErr("OwnerDeleted"),
			retry: true},
		{name: "pool in use blocks", obj: object(withFinalizer, created, deleted, crState(v1beta3.CRStateTerminating)), node: ready, pool: ourPool(PoolHealthOnline),
			lastErr: destroyErr("PoolInUse"), crState: v1beta3.CRStateTerminating, poolState: v1beta3.PoolStatusOnline, ready: ReasonPoolInUse, readyIs: metav1.ConditionFalse, events: ReasonPoolInUse, retry: true},
		{name: "destroy fails otherwise", obj: object(withFinalizer, created, deleted, crState(v1beta3.CRStateTerminating)), node: ready, pool: ourPool(PoolHealthOnline),
			lastErr: destroyErr("Internal"), crState: v1beta3.CRStateTerminating, poolState: v1beta3.PoolStatusOnline, ready: ReasonDestroyFailed, readyIs: metav1.ConditionFalse, events: ReasonDestroyFailed, retry: true},
		{name: "deleting with no agent waits and says how to purge", obj: object(withFinalizer, created, deleted), node: missing,
			crState: v1beta3.CRStateTerminating, poolState: v1beta3.PoolStatusOffline, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable},
		{name: "deleting while the agent syncs waits", obj: object(withFinalizer, created, deleted), node: syncing},
		{name: "deleting while the agent reconnects waits", obj: object(withFinalizer, created, deleted), node: reconnecting},
		{name: "deleting with an unreachable agent: Offline, waits", obj: object(withFinalizer, created, deleted), node: unreachable,
			crState: v1beta3.CRStateTerminating, poolState: v1beta3.PoolStatusOffline, ready: ReasonAgentUnavailable, readyIs: metav1.ConditionFalse, events: ReasonAgentUnavailable, note: "connection refused"},
		{name: "malformed delete-opts blocks the delete, not guessed at", obj: object(withFinalizer, created, deleted, annotated(v1beta3.DeleteOptsAnnotation, "force")), node: missing,
			crState: v1beta3.CRStateTerminating, poolState: v1beta3.PoolStatusOnline, ready: ReasonInvalidDeleteOpts, readyIs: metav1.ConditionFalse, events: ReasonInvalidDeleteOpts, note: "cannot be used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.obj.DeepCopy()
			plan := Decide(Observation{Object: tt.obj, Node: tt.node, Pool: tt.pool, LastError: tt.lastErr, DestroyAnswered: tt.answered, Now: now})
			if !equalObjects(before, tt.obj) {
				t.Fatal("Decide mutated the observed object")
			}
			if plan.Action != tt.action {
				t.Errorf("action = %v, want %v", plan.Action, tt.action)
			}
			if tt.createOn != nil {
				if plan.Create == nil || strings.Join(plan.Create.Disks, ",") != strings.Join(tt.createOn, ",") || plan.Create.OwnerUID != uid {
					t.Errorf("create request = %+v, want disks %v owner %s", plan.Create, tt.createOn, uid)
				}
			}
			if plan.Create != nil {
				wantAdopt := ""
				if tt.obj.Annotations[v1beta3.AdoptPoolOwnerAnnotation] == tt.pool.Pool.OwnerUID && tt.pool.Found {
					wantAdopt = tt.pool.Pool.OwnerUID
				}
				if plan.Create.AdoptOwnerUID != wantAdopt {
					t.Errorf("adopt owner = %q, want %q", plan.Create.AdoptOwnerUID, wantAdopt)
				}
			}
			if plan.Action == ActionDestroyPool && (plan.Destroy == nil || plan.Destroy.OwnerUID != uid || plan.Destroy.Node != "node-a") {
				t.Errorf("destroy request = %+v", plan.Destroy)
			}
			if got := eventReasons(plan.Events); got != tt.events {
				t.Errorf("events = %q, want %q (%+v)", got, tt.events, plan.Events)
			}
			if plan.Retry != tt.retry {
				t.Errorf("retry = %v, want %v", plan.Retry, tt.retry)
			}
			if got := plan.RequeueAfter == RecheckAfter; got != tt.recheck {
				t.Errorf("requeueAfter = %v, want a recheck after %v: %v", plan.RequeueAfter, RecheckAfter, tt.recheck)
			}
			if tt.ready == "" {
				if plan.Status != nil {
					t.Fatalf("unexpected status write: %+v", plan.Status)
				}
				return
			}
			if plan.Status == nil {
				t.Fatal("no status write")
			}
			st := plan.Status
			if st.CRState != tt.crState || st.PoolStatus != tt.poolState {
				t.Errorf("status = %s/%s, want %s/%s", st.CRState, st.PoolStatus, tt.crState, tt.poolState)
			}
			c := meta.FindStatusCondition(st.Conditions, v1beta3.ConditionReady)
			if c == nil || c.Reason != tt.ready || c.Status != tt.readyIs {
				t.Fatalf("Ready = %+v, want %s/%s", c, tt.readyIs, tt.ready)
			}
			if c.Message == "" || c.ObservedGeneration != tt.obj.Generation || st.ObservedGeneration != tt.obj.Generation {
				t.Errorf("Ready message %q, generations %d/%d, want %d", c.Message, c.ObservedGeneration, st.ObservedGeneration, tt.obj.Generation)
			}
			if tt.note != "" && !strings.Contains(c.Message, tt.note) {
				t.Errorf("Ready message %q does not say %q", c.Message, tt.note)
			}
			if st.CRState == v1beta3.CRStateError {
				t.Error("wrote the deprecated Error state")
			}
		})
	}
}

func fromCreate(v PoolView) PoolView {
	v.FromCreate = true
	return v
}

func foreign() PoolView {
	v := ourPool(PoolHealthOnline)
	v.Pool.OwnerUID = "someone-else"
	return v
}

func withReady(reason string) func(*v1beta3.DiskPool) {
	return func(o *v1beta3.DiskPool) { o.Status.Conditions[0].Reason = reason }
}

func createErr(reason string) *AgentError {
	return &AgentError{Op: ActionCreatePool, Reason: reason, Message: "refused: " + reason}
}

func destroyErr(reason string) *AgentError {
	return &AgentError{Op: ActionDestroyPool, Reason: reason, Message: "refused: " + reason}
}

func eventReasons(events []Event) string {
	var r []string
	for _, e := range events {
		r = append(r, e.Reason)
	}
	return strings.Join(r, ",")
}

func equalObjects(a, b *v1beta3.DiskPool) bool {
	return statusEqual(a.Status, b.Status) && strings.Join(a.Finalizers, ",") == strings.Join(b.Finalizers, ",") &&
		strings.Join(a.Spec.Disks, ",") == strings.Join(b.Spec.Disks, ",")
}

func TestAgentTimeoutPinsTheTarget(t *testing.T) {
	plan := Decide(Observation{Object: object(withFinalizer), Node: ready, LastError: createErr(ReasonAgentTimeout), Now: now})
	if plan.Status == nil || plan.Status.Node != "node-a" || strings.Join(plan.Status.Disks, ",") != "/dev/sdb" {
		t.Fatalf("status = %+v, want node and disks cached", plan.Status)
	}
	// A later spec edit (MayastorPool allows it) must not move the retry.
	obj := object(withFinalizer, func(o *v1beta3.DiskPool) { o.Status = *plan.Status; o.Spec.Disks = []string{"/dev/sdc"} })
	next := Decide(Observation{Object: obj, Node: ready, Now: now})
	if next.Action != ActionCreatePool || next.Create.Disks[0] != "/dev/sdb" {
		t.Fatalf("retry = %v %+v, want CreatePool on /dev/sdb", next.Action, next.Create)
	}
	// A refusal that wrote nothing does not pin the target.
	refused := Decide(Observation{Object: object(withFinalizer), Node: ready, LastError: createErr("DiskInUse"), Now: now})
	if refused.Status.Node != "" {
		t.Fatalf("refusal cached node %q", refused.Status.Node)
	}
}

func TestLastTransitionTimeMovesOnlyOnTransition(t *testing.T) {
	obj := object(withFinalizer, created)
	// Same Ready status (True), different reason: time kept.
	plan := Decide(Observation{Object: obj, Node: ready, Pool: ourPool(PoolHealthDegraded), Now: now})
	c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady)
	if !c.LastTransitionTime.Time.Equal(t0) {
		t.Errorf("lastTransitionTime = %v, want %v (no transition)", c.LastTransitionTime, t0)
	}
	// True -> False: time moves to now.
	plan = Decide(Observation{Object: obj, Node: ready, Pool: ourPool(PoolHealthFaulted), Now: now})
	c = meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady)
	if !c.LastTransitionTime.Time.Equal(now) {
		t.Errorf("lastTransitionTime = %v, want %v", c.LastTransitionTime, now)
	}
}

func TestObservedGenerationFollowsSpecEdits(t *testing.T) {
	obj := object(withFinalizer, created, func(o *v1beta3.DiskPool) {
		o.Generation = 2
		o.Spec.Topology = &v1beta3.PoolTopology{Labelled: map[string]v1beta3.LabelValue{"zone": "b"}}
	})
	plan := Decide(Observation{Object: obj, Node: ready, Pool: ourPool(PoolHealthOnline), Now: now})
	if plan.Status == nil || plan.Status.ObservedGeneration != 2 {
		t.Fatalf("status = %+v, want observedGeneration 2", plan.Status)
	}
	if len(plan.Events) != 0 {
		t.Errorf("events = %+v, want none for a generation bump", plan.Events)
	}
}

func TestSpecEditAfterCreationIsReportedAndIgnored(t *testing.T) {
	obj := object(withFinalizer, created, func(o *v1beta3.DiskPool) { o.Spec.Node = "node-b"; o.Generation = 2 })
	plan := Decide(Observation{Object: obj, Node: ready, Pool: ourPool(PoolHealthOnline), Now: now})
	c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady)
	if !strings.Contains(c.Message, "is ignored") || plan.Status.Node != "node-a" {
		t.Fatalf("status = %+v, want cached node-a and an 'ignored' note", plan.Status)
	}
}

// TestAgentOutageWrites walks a created pool through an agent outage and
// counts status writes: one per transition a reader cares about, none for
// a blip within the tracker's grace, none when the Lease of an agent
// already reported unavailable expires.
func TestAgentOutageWrites(t *testing.T) {
	obj := object(withFinalizer, created)
	steps := []struct {
		name      string
		node      NodeView
		write     bool
		poolState v1beta3.PoolStatus
		note      string
	}{
		{name: "stream broke, within the grace", node: reconnecting},
		{name: "back within the grace", node: ready},
		{name: "broke again", node: reconnecting},
		{name: "grace ended: Offline", node: unreachable, write: true, poolState: v1beta3.PoolStatusOffline, note: "connection refused"},
		{name: "redial error changes: the tracker keeps its message", node: unreachable},
		{name: "Lease expired: same outage, no write", node: missing, poolState: v1beta3.PoolStatusOffline, note: "connection refused"},
		{name: "Lease back, stream opening", node: syncing},
		{name: "agent refuses TLS: a new cause is written", node: NodeView{Exists: true, Agent: AgentUnreachable, AgentMessage: "tls: bad certificate"},
			write: true, poolState: v1beta3.PoolStatusOffline, note: "tls: bad certificate"},
		{name: "back: Online", node: ready, write: true, poolState: v1beta3.PoolStatusOnline},
	}
	for _, s := range steps {
		plan := Decide(Observation{Object: obj, Node: s.node, Pool: ourPool(PoolHealthOnline), Now: now})
		if (plan.Status != nil) != s.write {
			t.Fatalf("%s: status write %v, want %v: %+v", s.name, plan.Status != nil, s.write, plan.Status)
		}
		if plan.Action != ActionNone {
			t.Fatalf("%s: action %s, want none", s.name, plan.Action)
		}
		if plan.Status != nil {
			obj = obj.DeepCopy()
			obj.Status = *plan.Status
		}
		if s.poolState != "" && obj.Status.PoolStatus != s.poolState {
			t.Errorf("%s: pool_status %s, want %s", s.name, obj.Status.PoolStatus, s.poolState)
		}
		if c := meta.FindStatusCondition(obj.Status.Conditions, v1beta3.ConditionReady); s.note != "" && !strings.Contains(c.Message, s.note) {
			t.Errorf("%s: Ready message %q, want it to contain %q", s.name, c.Message, s.note)
		}
	}
}
