package legacy

import (
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func msp(state v1alpha1.MayastorPoolState) *v1alpha1.MayastorPool {
	return &v1alpha1.MayastorPool{
		ObjectMeta: metav1.ObjectMeta{Name: "my-new-pool", Namespace: "mayastor", UID: "uid-1", Generation: 1,
			Finalizers: []string{v1beta3.Finalizer}},
		Spec: v1alpha1.MayastorPoolSpec{Node: "node1", Disks: []string{"/dev/loop0"}},
		Status: v1alpha1.MayastorPoolStatus{State: state, Node: "node1", Disks: []string{"/dev/loop0"},
			Capacity: 1000, Used: 10, ObservedGeneration: 1},
	}
}

func TestToDiskPoolStates(t *testing.T) {
	tests := []struct {
		state   v1alpha1.MayastorPoolState
		deleted bool
		cr      v1beta3.CRState
		pool    v1beta3.PoolStatus
	}{
		{"", false, "", ""},
		{v1alpha1.StatePending, false, v1beta3.CRStateCreating, v1beta3.PoolStatusUnknown},
		{v1alpha1.StateOnline, false, v1beta3.CRStateCreated, v1beta3.PoolStatusOnline},
		{v1alpha1.StateDegraded, false, v1beta3.CRStateCreated, v1beta3.PoolStatusDegraded},
		{v1alpha1.StateFaulted, false, v1beta3.CRStateCreated, v1beta3.PoolStatusFaulted},
		{v1alpha1.StateOffline, false, v1beta3.CRStateCreated, v1beta3.PoolStatusOffline},
		{v1alpha1.StateOnline, true, v1beta3.CRStateTerminating, v1beta3.PoolStatusOnline},
		{v1alpha1.StatePending, true, v1beta3.CRStateCreating, v1beta3.PoolStatusUnknown},
	}
	for _, tt := range tests {
		m := msp(tt.state)
		if tt.deleted {
			ts := metav1.Now()
			m.DeletionTimestamp = &ts
		}
		d := ToDiskPool(m)
		if d.Status.CRState != tt.cr || d.Status.PoolStatus != tt.pool {
			t.Errorf("%s (deleted %v): got %s/%s, want %s/%s", tt.state, tt.deleted, d.Status.CRState, d.Status.PoolStatus, tt.cr, tt.pool)
		}
		if d.UID != m.UID || d.Spec.Node != "node1" || d.Status.Disks[0] != "/dev/loop0" {
			t.Errorf("identity or target lost: %+v", d)
		}
		d.Status.Disks[0] = "changed"
		if m.Status.Disks[0] != "/dev/loop0" {
			t.Error("view shares memory with the MayastorPool")
		}
	}
}

// TestSteadyStateRoundTrip: once the legacy status says what Decide wants,
// converting the next desired status gives the same legacy status, so the
// controller writes nothing.
func TestSteadyStateRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	pool := reconcile.PoolView{Found: true, Pool: reconcile.Pool{Name: "my-new-pool", UUID: "u", OwnerUID: "uid-1",
		Health: reconcile.PoolHealthOnline, Capacity: 1000, Used: 10}}
	nodes := map[string]reconcile.NodeView{
		"online":  {Exists: true, Agent: reconcile.AgentReady},
		"offline": {Exists: true, Agent: reconcile.AgentMissing},
		"no node": {Exists: false, Agent: reconcile.AgentMissing},
	}
	for name, node := range nodes {
		t.Run(name, func(t *testing.T) {
			m := msp("")
			for step := 0; step < 3; step++ {
				plan := reconcile.Decide(reconcile.Observation{Object: ToDiskPool(m), Node: node, Pool: pool, Now: now})
				if plan.Status == nil {
					continue
				}
				next := FromDiskPoolStatus(plan.Status)
				if step == 2 && !apiequality.Semantic.DeepEqual(next, m.Status) {
					t.Fatalf("status still changing at step %d:\n%+v\n%+v", step, m.Status, next)
				}
				m.Status = next
			}
		})
	}
}

func TestFromDiskPoolStatus(t *testing.T) {
	ready := func(status metav1.ConditionStatus, msg string) []metav1.Condition {
		return []metav1.Condition{{Type: v1beta3.ConditionReady, Status: status, Reason: "R", Message: msg}}
	}
	tests := []struct {
		name   string
		st     v1beta3.DiskPoolStatus
		state  v1alpha1.MayastorPoolState
		reason string
	}{
		{"online has no reason", v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolStatus: v1beta3.PoolStatusOnline, Node: "node1",
			Conditions: ready(metav1.ConditionTrue, "pool is online")}, v1alpha1.StateOnline, ""},
		{"creating is pending with the reason", v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreating, PoolStatus: v1beta3.PoolStatusUnknown,
			Conditions: ready(metav1.ConditionFalse, "disk has ext4")}, v1alpha1.StatePending, "disk has ext4"},
		{"created but agent gone is offline", v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolStatus: v1beta3.PoolStatusOffline, Node: "node1",
			Conditions: ready(metav1.ConditionFalse, "no agent")}, v1alpha1.StateOffline, "no agent"},
		{"created but unknown is offline", v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolStatus: v1beta3.PoolStatusUnknown, Node: "node1",
			Conditions: ready(metav1.ConditionUnknown, "unreachable")}, v1alpha1.StateOffline, "unreachable"},
		{"spec edit is reported even when online", v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolStatus: v1beta3.PoolStatusOnline, Node: "node1",
			Conditions: ready(metav1.ConditionTrue, "online; spec ... is ignored")}, v1alpha1.StateOnline, "online; spec ... is ignored"},
		{"terminating keeps the pool state and says why", v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateTerminating, PoolStatus: v1beta3.PoolStatusOnline, Node: "node1",
			Conditions: ready(metav1.ConditionFalse, "pool in use")}, v1alpha1.StateOnline, "pool in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromDiskPoolStatus(&tt.st)
			if got.State != tt.state || got.Reason != tt.reason {
				t.Errorf("got %s %q, want %s %q", got.State, got.Reason, tt.state, tt.reason)
			}
		})
	}
}
