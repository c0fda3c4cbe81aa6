package controller

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// Pool objects of both kinds share the agents' name space: a pool is named
// after its object, and a disk belongs to one pool. When one object is
// refused because another holds the name or the disk, the agent can only
// name the other pool and its owner's uid; these helpers look the owner up
// in the informer caches so that the refusal names the object (kind,
// namespace and name). They read caches only, and the result depends only
// on them, so a repeated refusal gives the same message and costs no write.

// ownerOf returns "Kind namespace/name" of the object that owns the pool
// called pool on node, whose owner uid the agent reports as uid; "" when
// no cached object matches.
func (c *Controller) ownerOf(node, pool, uid string) string {
	for _, kind := range slices.Sorted(maps.Keys(c.kinds)) {
		adapter := c.kinds[kind]
		names, err := adapter.KeysOnNode(node)
		if err != nil {
			continue
		}
		for _, n := range names {
			if n.Name != pool {
				continue
			}
			if obj, ok, err := adapter.Get(n.Namespace, n.Name); err == nil && ok && string(obj.view.UID) == uid {
				return kind + " " + n.String()
			}
		}
	}
	return ""
}

// diskHolder returns the object, other than the one with uid self, whose
// pool on node the agent reports on one of disks, and that disk.
func (c *Controller) diskHolder(node, self string, disks []string) (holder, disk string) {
	for _, kind := range slices.Sorted(maps.Keys(c.kinds)) {
		adapter := c.kinds[kind]
		names, err := adapter.KeysOnNode(node)
		if err != nil {
			continue
		}
		slices.SortFunc(names, func(a, b cache.ObjectName) int { return strings.Compare(a.String(), b.String()) })
		for _, n := range names {
			obj, ok, err := adapter.Get(n.Namespace, n.Name)
			if err != nil || !ok || string(obj.view.UID) == self {
				continue
			}
			p := c.agents.Pool(node, n.Name)
			if !p.Found || p.Pool.OwnerUID != string(obj.view.UID) {
				continue
			}
			for _, d := range disks {
				if slices.Contains(p.Pool.Disks, d) {
					return kind + " " + n.String(), d
				}
			}
		}
	}
	return "", ""
}

// nameHolder adds to a CreatePool refusal which object holds the pool name
// or the disk the refusal is about, when the caches tell. It returns ae
// itself when there is nothing to add, a changed copy otherwise.
func (c *Controller) nameHolder(obj object, req reconcile.CreateRequest, ae *reconcile.AgentError) *reconcile.AgentError {
	if ae == nil {
		return nil
	}
	var note string
	switch ae.Reason {
	case reconcile.ReasonPoolNameTaken:
		p := c.agents.Pool(req.Node, req.Name)
		if !p.Found || p.Pool.OwnerUID == string(obj.view.UID) {
			return ae
		}
		if holder := c.ownerOf(req.Node, req.Name, p.Pool.OwnerUID); holder != "" {
			note = fmt.Sprintf("pool %s is held by %s", req.Name, holder)
		}
	case reconcile.ReasonDiskClaimed:
		if holder, disk := c.diskHolder(req.Node, string(obj.view.UID), req.Disks); holder != "" {
			note = fmt.Sprintf("disk %s is held by the pool of %s", disk, holder)
		}
	}
	if note == "" {
		return ae
	}
	out := *ae
	out.Message += "; " + note
	return &out
}

// enqueueNamesakes queues the objects other than self that name a pool
// called pool on node. A hand-over or a destroy by self's sync changes
// what they observe, and the tracker records the result of the
// controller's own calls without calling OnChange (the agent's stream
// echo of the change may then bring nothing new): without this, a
// MayastorPool whose pool was adopted would go on reporting it as its own
// until the next resync.
func (c *Controller) enqueueNamesakes(self key, node, pool string) {
	for kind, adapter := range c.kinds {
		names, err := adapter.KeysOnNode(node)
		if err != nil {
			continue
		}
		for _, n := range names {
			if k := (key{Kind: kind, Namespace: n.Namespace, Name: n.Name}); n.Name == pool && k != self {
				c.queue.Add(k)
			}
		}
	}
}
