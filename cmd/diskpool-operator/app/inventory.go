package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"

	v1alpha1informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1alpha1"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
	"github.com/diskpool/diskpool-operator/pkg/poolclient"
)

// leaseAgents is the disk inventory's view of the agents: the nodes with a
// live Lease, and a ListDisks call to the endpoint the Lease publishes. It
// keeps one client per endpoint (the tracker's clients are its own).
type leaseAgents struct {
	leases coordinationlisters.LeaseNamespaceLister
	opts   poolclient.Options
	now    func() time.Time

	mu      sync.Mutex
	clients map[string]*poolclient.Client
}

var _ inventory.Source = (*leaseAgents)(nil)

func newLeaseAgents(leases coordinationlisters.LeaseNamespaceLister, opts poolclient.Options) *leaseAgents {
	return &leaseAgents{leases: leases, opts: opts, now: time.Now, clients: map[string]*poolclient.Client{}}
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
	l, err := a.leases.Get(agentlease.Name(node))
	if err != nil {
		return nil, fmt.Errorf("agent Lease of node %s: %w", node, err)
	}
	ep := agentlease.Endpoint(l)
	if ep == "" || !agentlease.Live(l, a.now()) {
		return nil, fmt.Errorf("node %s has no live agent", node)
	}
	c, err := a.client(ep)
	if err != nil {
		return nil, err
	}
	return c.ListDisks(ctx)
}

func (a *leaseAgents) client(endpoint string) (*poolclient.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.clients[endpoint]; c != nil {
		return c, nil
	}
	c, err := poolclient.Dial(endpoint, a.opts)
	if err != nil {
		return nil, err
	}
	a.clients[endpoint] = c
	return c, nil
}

// Close closes every client.
func (a *leaseAgents) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ep, c := range a.clients {
		_ = c.Close()
		delete(a.clients, ep)
	}
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
