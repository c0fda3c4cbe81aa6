package reconcile

import (
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/deleteopts"
)

// world is a tiny simulation of one pool object, its node and its agent,
// driven by fuzz input. Decide's plans are executed against it, and the
// invariants are checked on every plan.
type world struct {
	obj      *v1beta3.DiskPool
	node     NodeView
	pools    map[string]Pool // what the agent has, by name
	replicas bool            // the pool holds replicas: destroy is refused
	gone     bool            // the object has left the API
	now      time.Time
}

var agentErrors = []string{"DiskInUse", "DiskNotFound", "ForeignPool", "DiskClaimed", "PoolNameTaken",
	"DiskNotAllowed", "InvalidArgument", ReasonAgentUnavailable, ReasonAgentTimeout, "Internal"}

func FuzzDecide(f *testing.F) {
	f.Add([]byte{8, 8, 8, 8, 2, 8, 8, 8})
	f.Add([]byte{0, 3, 8, 5, 8, 2, 8, 0, 0, 8})
	f.Add([]byte{8, 9, 1, 8, 4, 9, 8, 2, 3, 0, 8})
	f.Add([]byte{8, 8, 6, 8, 7, 2, 8, 10, 8, 8})
	f.Fuzz(func(t *testing.T, input []byte) {
		w := &world{
			obj:   object(),
			node:  ready,
			pools: map[string]Pool{},
			now:   t0,
		}
		for i := 0; i < len(input) && !w.gone; i++ {
			b := input[i]
			arg := byte(0)
			if i+1 < len(input) {
				arg = input[i+1]
			}
			w.now = w.now.Add(time.Second)
			switch b % 12 {
			case 0:
				w.node.Agent = AgentState(arg % 5)
				i++
			case 1:
				w.node.Exists = !w.node.Exists
			case 2:
				if w.obj.DeletionTimestamp == nil {
					ts := metav1.NewTime(w.now)
					w.obj.DeletionTimestamp = &ts
				}
			case 3:
				w.obj.Annotations = map[string]string{v1beta3.DeleteOptsAnnotation: []string{"purge", "force", ""}[arg%3]}
				i++
			case 4:
				// A spec edit: possible for MayastorPool and through old clients.
				w.obj.Spec.Disks = []string{fmt.Sprintf("/dev/sd%c", 'b'+arg%4)}
				w.obj.Spec.Node = []string{"node-a", "node-b"}[arg%2]
				w.obj.Generation++
				i++
			case 5:
				delete(w.pools, w.obj.Name) // the agent lost its view
			case 6:
				if _, ok := w.pools[w.obj.Name]; !ok {
					w.pools[w.obj.Name] = Pool{Name: w.obj.Name, UUID: "foreign", OwnerUID: "other-uid", Health: PoolHealthOnline}
				}
			case 7:
				if p, ok := w.pools[w.obj.Name]; ok {
					p.Health = PoolHealth(arg % 4)
					p.Used = int64(arg) * 10
					w.pools[w.obj.Name] = p
				}
				i++
			case 8:
				w.sync(t, nil)
			case 9:
				w.sync(t, &agentErrors[int(arg)%len(agentErrors)])
				i++
			case 10:
				w.replicas = !w.replicas
			case 11:
				// The whole status is lost (restored from an old backup).
				w.obj.Status = v1beta3.DiskPoolStatus{}
			}
		}
	})
}

// sync runs one reconcile: Decide and execute until done, at most 8 steps.
// failWith, when set, makes the first side effect fail with that reason.
func (w *world) sync(t *testing.T, failWith *string) {
	var lastErr *AgentError
	var fromCreate bool
	for step := 0; step < 8 && !w.gone; step++ {
		obs := Observation{Object: w.obj.DeepCopy(), Node: w.node, LastError: lastErr, Now: w.now}
		if w.node.Agent == AgentReady {
			if p, ok := w.pools[w.obj.Name]; ok {
				obs.Pool = PoolView{Found: true, Pool: p, FromCreate: fromCreate}
			}
		}
		plan := Decide(obs)
		w.checkInvariants(t, obs, plan)
		lastErr, fromCreate = nil, false
		if plan.Status != nil {
			w.obj.Status = *plan.Status
		}
		switch plan.Action {
		case ActionAddFinalizer:
			w.obj.Finalizers = append(w.obj.Finalizers, v1beta3.Finalizer)
		case ActionRemoveFinalizer:
			w.obj.Finalizers = slices.DeleteFunc(w.obj.Finalizers, func(s string) bool { return s == v1beta3.Finalizer })
			if w.obj.DeletionTimestamp != nil {
				w.gone = true
			}
		case ActionCreatePool:
			if failWith != nil {
				lastErr = &AgentError{Op: ActionCreatePool, Reason: *failWith, Message: *failWith}
				if *failWith == ReasonAgentTimeout {
					w.createPool(plan.Create) // the agent did the work; the reply was lost
				}
				failWith = nil
				continue
			}
			if reason := w.createPool(plan.Create); reason != "" {
				lastErr = &AgentError{Op: ActionCreatePool, Reason: reason, Message: reason}
				continue
			}
			fromCreate = true
		case ActionDestroyPool:
			if w.replicas {
				lastErr = &AgentError{Op: ActionDestroyPool, Reason: ReasonPoolInUse, Message: "in use"}
				continue
			}
			if p, ok := w.pools[plan.Destroy.Name]; ok && p.OwnerUID == plan.Destroy.OwnerUID {
				delete(w.pools, plan.Destroy.Name)
			}
		case ActionNone:
			return
		}
		if plan.Retry {
			return
		}
	}
}

func (w *world) createPool(req *CreateRequest) string {
	if p, ok := w.pools[req.Name]; ok {
		if p.OwnerUID != req.OwnerUID {
			return ReasonPoolNameTaken
		}
		return ""
	}
	w.pools[req.Name] = Pool{Name: req.Name, UUID: "uuid-" + req.OwnerUID, OwnerUID: req.OwnerUID, Disks: req.Disks,
		Health: PoolHealthOnline, Capacity: 1 << 30}
	return ""
}

func (w *world) checkInvariants(t *testing.T, obs Observation, plan Plan) {
	t.Helper()
	obj := obs.Object
	switch plan.Action {
	case ActionDestroyPool:
		if obj.DeletionTimestamp == nil {
			t.Fatalf("destroy without deletionTimestamp: %+v", obj)
		}
		if plan.Destroy == nil || plan.Destroy.OwnerUID != string(obj.UID) {
			t.Fatalf("destroy request %+v does not carry the owner uid", plan.Destroy)
		}
	case ActionCreatePool:
		if obj.DeletionTimestamp != nil {
			t.Fatalf("create while deleting")
		}
		if !slices.Contains(obj.Finalizers, v1beta3.Finalizer) {
			t.Fatalf("create without the finalizer")
		}
		if obj.Status.Node != "" && len(obj.Status.Disks) > 0 &&
			(plan.Create.Node != obj.Status.Node || !slices.Equal(plan.Create.Disks, obj.Status.Disks)) {
			t.Fatalf("create on %s %v, but the cached target is %s %v", plan.Create.Node, plan.Create.Disks, obj.Status.Node, obj.Status.Disks)
		}
	case ActionRemoveFinalizer:
		opts, err := deleteopts.Parse(obj.Annotations[v1beta3.DeleteOptsAnnotation])
		// A purge is honoured only while the node's agent is not ready.
		purge := err == nil && opts.Purge && obs.Node.Agent != AgentReady
		mayExist := obs.Node.Agent != AgentReady || (obs.Pool.Found && obs.Pool.Pool.OwnerUID == string(obj.UID))
		if mayExist && !purge {
			t.Fatalf("finalizer removed while the pool may exist (agent %v, pool %+v)", obs.Node.Agent, obs.Pool)
		}
		if obj.DeletionTimestamp == nil {
			t.Fatalf("finalizer removed from a live object")
		}
	}
	if plan.Status != nil {
		if statusEqual(*plan.Status, obj.Status) {
			t.Fatalf("status write identical to the stored status: %+v", plan.Status)
		}
		if plan.Status.CRState == v1beta3.CRStateError || plan.Status.CRState == "" {
			t.Fatalf("wrote cr_state %q", plan.Status.CRState)
		}
		if plan.Status.ObservedGeneration != obj.Generation {
			t.Fatalf("observedGeneration %d, generation %d", plan.Status.ObservedGeneration, obj.Generation)
		}
	}
	if plan.Retry && plan.RetryReason == "" {
		t.Fatalf("retry without a reason")
	}
}
