package app

import (
	"context"
	"slices"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// agentStates stands in for the tracker: a state per node.
type agentStates map[string]reconcile.AgentState

func (s agentStates) Agent(node string) (reconcile.AgentState, string) { return s[node], "" }

func (s agentStates) ListDisks(context.Context, string) ([]*agentv1.Disk, error) { return nil, nil }

func TestLeaseAgentsReadyNodes(t *testing.T) {
	now := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	lease := func(node string, renewed time.Time) *coordinationv1.Lease {
		return &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: agentlease.Name(node), Namespace: "diskpool-system", Labels: agentlease.Labels(node)},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node), LeaseDurationSeconds: ptr.To(int32(40)),
				RenewTime: &metav1.MicroTime{Time: renewed}},
		}
	}
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, l := range []*coordinationv1.Lease{
		lease("ready", now),
		lease("syncing", now),     // Lease live, stream not up yet
		lease("unreachable", now), // Lease live, stream failed
		lease("expired", now.Add(-time.Hour)),
	} {
		if err := indexer.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	a := newLeaseAgents(coordinationlisters.NewLeaseLister(indexer).Leases("diskpool-system"), agentStates{
		"ready": reconcile.AgentReady, "syncing": reconcile.AgentSyncing,
		"unreachable": reconcile.AgentUnreachable, "expired": reconcile.AgentReady,
	})
	a.now = func() time.Time { return now }
	if got := a.ReadyNodes(); !slices.Equal(got, []string{"ready"}) {
		t.Errorf("ReadyNodes() = %v, want [ready]: a live Lease and a connected agent", got)
	}
}
