package agentwatch

import (
	"slices"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// poolCache is what one node's agent last reported, plus the operator's own
// successful calls. The stream is the truth; the calls only run ahead of it.
//
// A stream event sent before one of our calls completed can arrive after
// it. Pool UUIDs tell incarnations apart (assigned at creation, never
// reused, kept by imports), which makes the cache level-based:
//   - after our DestroyPool, an UPSERT (or SNAPSHOT entry) of the destroyed
//     UUID is stale and ignored, until the stream's DELETE of it, or a
//     snapshot without it, confirms the destroy;
//   - a DELETE whose UUID is not the cached pool's is about an older
//     incarnation (e.g. ours just re-created it) and is ignored.
//
// poolCache is not safe for concurrent use; the Tracker guards it.
type poolCache struct {
	pools map[string]reconcile.Pool
	// destroyed maps a pool name to the UUID our DestroyPool removed.
	destroyed map[string]string
}

// replace applies a SNAPSHOT.
func (c *poolCache) replace(pools []reconcile.Pool) {
	next := make(map[string]reconcile.Pool, len(pools))
	seen := make(map[string]bool, len(c.destroyed))
	for _, p := range pools {
		if uuid, ok := c.destroyed[p.Name]; ok && uuid == p.UUID {
			seen[p.Name] = true
			continue
		}
		next[p.Name] = p
	}
	c.pools = next
	for name := range c.destroyed {
		if !seen[name] {
			delete(c.destroyed, name)
		}
	}
}

// upsert applies an UPSERT and reports whether the pool changed.
func (c *poolCache) upsert(p reconcile.Pool) bool {
	if uuid, ok := c.destroyed[p.Name]; ok {
		if uuid == p.UUID {
			return false
		}
		delete(c.destroyed, p.Name)
	}
	if old, ok := c.pools[p.Name]; ok && poolEqual(old, p) {
		return false
	}
	if c.pools == nil {
		c.pools = map[string]reconcile.Pool{}
	}
	c.pools[p.Name] = p
	return true
}

// remove applies a DELETE of name (uuid may be empty) and reports whether
// the cache changed.
func (c *poolCache) remove(name, uuid string) bool {
	if tomb, ok := c.destroyed[name]; ok && (uuid == "" || uuid == tomb) {
		delete(c.destroyed, name)
	}
	old, ok := c.pools[name]
	if !ok {
		return false
	}
	if uuid != "" && old.UUID != "" && old.UUID != uuid {
		return false
	}
	delete(c.pools, name)
	return true
}

// created records a successful CreatePool or ExpandPool and reports whether the cache
// changed.
func (c *poolCache) created(p reconcile.Pool) bool {
	delete(c.destroyed, p.Name)
	if old, ok := c.pools[p.Name]; ok && poolEqual(old, p) {
		return false
	}
	if c.pools == nil {
		c.pools = map[string]reconcile.Pool{}
	}
	c.pools[p.Name] = p
	return true
}

// destroyedPool records a successful DestroyPool of name and reports
// whether the cache changed.
func (c *poolCache) destroyedPool(name string) bool {
	old, ok := c.pools[name]
	if !ok {
		return false
	}
	delete(c.pools, name)
	if old.UUID != "" {
		if c.destroyed == nil {
			c.destroyed = map[string]string{}
		}
		c.destroyed[name] = old.UUID
	}
	return true
}

func (c *poolCache) get(name string) (reconcile.Pool, bool) {
	p, ok := c.pools[name]
	if !ok {
		return reconcile.Pool{}, false
	}
	return clonePool(p), true
}

func (c *poolCache) reset() {
	c.pools, c.destroyed = nil, nil
}

// poolEqual reports whether two reports of a pool say the same thing.
func poolEqual(a, b reconcile.Pool) bool {
	return a.Name == b.Name && a.UUID == b.UUID && a.OwnerUID == b.OwnerUID &&
		slices.Equal(a.Disks, b.Disks) && a.Health == b.Health &&
		a.Capacity == b.Capacity && a.Used == b.Used && a.Committed == b.Committed &&
		a.Reason == b.Reason && a.ReplicaCount == b.ReplicaCount &&
		a.DiskCapacity == b.DiskCapacity && a.ClusterSize == b.ClusterSize
}

// clonePool copies p so callers cannot change the cache through Disks.
func clonePool(p reconcile.Pool) reconcile.Pool {
	p.Disks = slices.Clone(p.Disks)
	return p
}
