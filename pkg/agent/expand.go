package agent

import (
	"context"
	"fmt"

	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// ExpandPool grows a pool into the space its disks gained, capped by
// max_capacity_bytes. The disks' sizes are read now (not taken from the last
// health check), the labels are rewritten for the new sizes with the backup
// moved to each grown disk's new end (checked zero first), and the new
// capacity is recorded in both copies. See the proto for the refusals; none
// of them writes.
func (a *Agent) ExpandPool(ctx context.Context, req *agentv1.ExpandPoolRequest) (*agentv1.Pool, error) {
	if err := validatePoolName(req.GetName()); err != nil {
		return nil, err
	}
	if err := validateOwner("owner_uid", req.GetOwnerUid(), true); err != nil {
		return nil, err
	}
	a.opMu.Lock()
	defer a.opMu.Unlock()

	name := req.GetName()
	p := a.get(name)
	switch {
	case p == nil:
		return nil, errPoolNotFound(name)
	case p.label.OwnerUID != req.GetOwnerUid():
		return nil, errOwnerMismatch(name, req.GetOwnerUid(), p.label.OwnerUID)
	case p.corrupt || p.state == agentv1.PoolState_POOL_STATE_FAULTED:
		return nil, errFaulted(name, p.reason)
	}
	c := p.clone()
	for _, m := range c.members {
		size, err := a.diskSize(m)
		if err != nil {
			return nil, errDisk(name, err)
		}
		if size < m.layout() {
			return nil, errFaulted(name, fmt.Sprintf("disk %s shrank from %d to %d bytes", m.disk.Disk, m.layout(), size))
		}
		m.size = size
	}
	capacity, cluster := p.capacity(), c.label.ClusterSize
	var possible uint64
	for _, m := range c.members {
		possible += label.Capacity(max(m.size, m.layout()), cluster)
	}
	target := possible
	if limit := req.GetMaxCapacityBytes(); limit > 0 {
		if capacity >= limit-limit%cluster {
			a.commit(c) // the sizes just read are news to watchers
			return nil, errExpansionLimit(name, capacity, limit)
		}
		target = min(target, limit-limit%cluster)
	}
	if target <= capacity {
		a.commit(c)
		return nil, errDiskNotGrown(name, capacity, c.diskCapacity(), possible)
	}
	for _, m := range c.members {
		if m.size > m.layout() {
			m.grow = m.size
		}
	}
	c.label.Capacity = target
	if err := a.writeLabels(c); err != nil {
		return nil, errWrite(name, err)
	}
	out := a.commit(c)
	klog.FromContext(ctx).Info("Expanded pool", "pool", name, "uuid", out.GetUuid(), "from", capacity, "to", out.GetCapacity(),
		"diskCapacity", out.GetDiskCapacityBytes(), "maxCapacity", req.GetMaxCapacityBytes())
	return out, nil
}

// diskSize opens m's disk read-only and returns its current size.
func (a *Agent) diskSize(m *member) (int64, error) {
	dev, err := a.cfg.Opener.Open(m.disk, false)
	if err != nil {
		return 0, err
	}
	defer func() { _ = dev.Close() }() // read-only
	return dev.Size(), nil
}
