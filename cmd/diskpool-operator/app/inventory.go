package app

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"

	v1alpha1informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1alpha1"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
)

// leaseAgents is the disk inventory's view of the agents: the nodes with a
// live Lease, and a ListDisks call through the tracker's connection to the
// node (one connection per node for both).
type leaseAgents struct {
	leases coordinationlisters.LeaseNamespaceLister
	disks  diskLister
	now    func() time.Time
}

// diskLister lists a node's disks (agentwatch.Tracker).
type diskLister interface {
	ListDisks(ctx context.Context, node string) ([]*agentv1.Disk, error)
}

var _ inventory.Source = (*leaseAgents)(nil)

func newLeaseAgents(leases coordinationlisters.LeaseNamespaceLister, disks diskLister) *leaseAgents {
	return &leaseAgents{leases: leases, disks: disks, now: time.Now}
}

// ReadyNodes returns the nodes whose agent Lease is live.
func (a *leaseAgents) ReadyNodes() []string {
	leases, err := a.leases.List(labels.Everything())
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range leases {
		if n := agentlease.NodeOf(l); n != "" && agentlease.Live(l, a.now()) {
			out = append(out, n)
		}
	}
	return out
}

// ListDisks calls ListDisks on node's agent.
func (a *leaseAgents) ListDisks(ctx context.Context, node string) ([]*agentv1.Disk, error) {
	return a.disks.ListDisks(ctx, node)
}

// poolOwners gives the uids of the cached DiskPools and MayastorPools.
type poolOwners struct {
	diskPools []v1beta3informers.DiskPoolInformer
	msps      []v1alpha1informers.MayastorPoolInformer
}

var _ inventory.Owners = poolOwners{}

func (o poolOwners) HasSynced() bool {
	for _, inf := range o.diskPools {
		if !inf.Informer().HasSynced() {
			return false
		}
	}
	for _, inf := range o.msps {
		if !inf.Informer().HasSynced() {
			return false
		}
	}
	return true
}

func (o poolOwners) LiveUIDs() (map[string]bool, error) {
	out := map[string]bool{}
	for _, inf := range o.diskPools {
		l, err := inf.Lister().List(labels.Everything())
		if err != nil {
			return nil, err
		}
		for _, d := range l {
			out[string(d.UID)] = true
		}
	}
	for _, inf := range o.msps {
		l, err := inf.Lister().List(labels.Everything())
		if err != nil {
			return nil, err
		}
		for _, m := range l {
			out[string(m.UID)] = true
		}
	}
	return out, nil
}
