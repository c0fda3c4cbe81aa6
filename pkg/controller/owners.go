package controller

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/client-go/tools/cache"
)

// Pool objects of both kinds share the agents' name space: a pool is named
// after its object, and a disk belongs to one pool. When one object is
// refused because another holds the name or the disk, the agent can only
// name the other pool and its owner's uid; these helpers look the owner up
// in the informer caches for the observation, so that Decide's message
// names the object (kind, namespace and name). They read caches only, and
// the result depends only on them, so a repeated refusal gives the same
// message and costs no write.

// ownerOf returns the object ("Kind namespace/name") that owns the pool
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
				return adapter.Ref(n)
			}
		}
	}
	return ""
}

// diskHolders returns, for each of disks that the pool of an object other
// than the one with uid self uses on node, that object; nil when none.
func (c *Controller) diskHolders(node, self string, disks []string) map[string]string {
	var out map[string]string
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
				if _, taken := out[d]; !taken && slices.Contains(p.Pool.Disks, d) {
					if out == nil {
						out = map[string]string{}
					}
					out[d] = adapter.Ref(n)
				}
			}
		}
	}
	return out
}
