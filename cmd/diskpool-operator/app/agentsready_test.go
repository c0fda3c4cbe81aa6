package app

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

type fakeStates struct {
	synced bool
	states map[string]reconcile.AgentState
}

func (f *fakeStates) HasSynced() bool { return f.synced }
func (f *fakeStates) Agent(node string) (reconcile.AgentState, string, time.Time) {
	return f.states[node], "", time.Time{}
}

func lease(node string, renewed time.Time) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: "diskpool-system", Name: agentlease.Name(node), Labels: agentlease.Labels(node)},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node), LeaseDurationSeconds: ptr.To[int32](15),
			RenewTime: &metav1.MicroTime{Time: renewed}},
	}
}

func TestAgentsReady(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, l := range []*coordinationv1.Lease{lease("live", now.Add(-time.Second)), lease("expired", now.Add(-time.Hour))} {
		if err := idx.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	lister := coordinationlisters.NewLeaseLister(idx).Leases("diskpool-system")
	tracker := &fakeStates{states: map[string]reconcile.AgentState{}}
	ready := agentsReady(lister, tracker, func() time.Time { return now })

	if ready() {
		t.Error("ready before the tracker's Lease handler synced")
	}
	tracker.synced = true
	if ready() {
		t.Error("ready while a live agent is still reported Missing (the tracker has not run)")
	}
	tracker.states["live"] = reconcile.AgentSyncing
	if !ready() {
		t.Error("not ready although every live Lease is known; the expired one must not count")
	}
}
