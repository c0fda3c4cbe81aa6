package app

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	"k8s.io/client-go/tools/cache"

	v1alpha1informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1alpha1"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// leaseAgents is the disk inventory's view of the agents: the nodes with a
// live Lease whose agent the tracker has connected, and a ListDisks call
// through the tracker's connection to the node (one connection per node
// for both). The tracker's change handler enqueues a node once it connects.
type leaseAgents struct {
	leases  coordinationlisters.LeaseNamespaceLister
	tracker nodeAgents
	now     func() time.Time
}

// nodeAgents is what the inventory needs of agentwatch.Tracker.
type nodeAgents interface {
	Agent(node string) (reconcile.AgentState, string)
	ListDisks(ctx context.Context, node string) ([]*agentv1.Disk, error)
}

var _ inventory.Source = (*leaseAgents)(nil)

func newLeaseAgents(leases coordinationlisters.LeaseNamespaceLister, tracker nodeAgents) *leaseAgents {
	return &leaseAgents{leases: leases, tracker: tracker, now: time.Now}
}

// ReadyNodes returns the nodes whose agent Lease is live and whose agent
// is connected.
func (a *leaseAgents) ReadyNodes() []string {
	leases, err := a.leases.List(labels.Everything())
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range leases {
		n := agentlease.NodeOf(l)
		if n == "" || !agentlease.Live(l, a.now()) {
			continue
		}
		if s, _ := a.tracker.Agent(n); s == reconcile.AgentReady {
			out = append(out, n)
		}
	}
	return out
}

// ListDisks calls ListDisks on node's agent.
func (a *leaseAgents) ListDisks(ctx context.Context, node string) ([]*agentv1.Disk, error) {
	return a.tracker.ListDisks(ctx, node)
}

// poolObjectInformers returns the informers of every pool object: the
// owners a disk label may name.
func poolObjectInformers(diskPools []v1beta3informers.DiskPoolInformer, msps []v1alpha1informers.MayastorPoolInformer) []cache.SharedIndexInformer {
	out := make([]cache.SharedIndexInformer, 0, len(diskPools)+len(msps))
	for _, inf := range diskPools {
		out = append(out, inf.Informer())
	}
	for _, inf := range msps {
		out = append(out, inf.Informer())
	}
	return out
}
