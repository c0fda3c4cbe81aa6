package agent

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// RunHealthMonitor checks the pools' disks every Config.HealthInterval until
// ctx is done. This is the agent watching its own hardware; clients are
// told of changes through WatchPools and never poll.
func (a *Agent) RunHealthMonitor(ctx context.Context) {
	t := a.cfg.Clock.NewTicker(a.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			a.CheckHealth(ctx)
		}
	}
}

// CheckHealth checks every disk of every pool once:
//   - a disk that is gone, or whose label is gone, damaged or another pool's,
//     makes its pool Faulted;
//   - a read error makes it Degraded, and FaultThreshold consecutive ones
//     Faulted;
//   - a disk that grew is recorded (disk_capacity_bytes grows; the pool
//     only grows by ExpandPool); one that shrank makes the pool Faulted;
//   - a disk that checks out again clears its fault;
//   - a disk that comes back to a tombstone's path carrying exactly that
//     destroyed pool's label is erased (sweepTombstones).
//
// The pool lock is taken per pool, not for the whole sweep, so creates and
// destroys wait for at most one pool's check (an agent with thousands of
// pools spent most of its time in this sweep).
func (a *Agent) CheckHealth(ctx context.Context) {
	for _, listed := range a.all() {
		a.checkPool(ctx, listed.label.Name)
	}
	if a.sweepTombstones(ctx) {
		a.saveKnownDisks(ctx)
	}
}

// checkPool checks the pool named name, if it still exists.
func (a *Agent) checkPool(ctx context.Context, name string) {
	a.opMu.Lock()
	defer a.opMu.Unlock()
	if p := a.get(name); p != nil && !p.corrupt {
		c := p.clone()
		repair := false
		for i, m := range c.members {
			repair = a.checkMember(ctx, c, i, m) || repair
		}
		c.refreshState()
		if repair && c.state != agentv1.PoolState_POOL_STATE_FAULTED {
			if err := a.writeLabels(c); err != nil {
				klog.FromContext(ctx).Error(err, "Cannot repair pool labels", "pool", c.label.Name)
			}
		}
		if c.diskCapacity() > p.diskCapacity() {
			klog.FromContext(ctx).Info("Disk grew; ExpandPool can grow the pool", "pool", c.label.Name,
				"diskCapacity", c.diskCapacity(), "capacity", c.capacity())
		}
		before := p.state
		out := a.commit(c)
		if out.GetState() != before {
			klog.FromContext(ctx).Info("Pool state changed", "pool", out.GetName(), "from", before, "to", out.GetState(), "reason", out.GetReason())
		}
	}
}

// checkMember checks disk i of p and updates m in place. It reports whether
// its label needs repair.
func (a *Agent) checkMember(ctx context.Context, p *pool, i int, m *member) (repair bool) {
	found, size, err := a.readMember(m)
	if err == nil {
		defer found.Release() // the sweep keeps only what it parsed
	}
	switch {
	case errors.Is(err, disk.ErrNotFound):
		m.readErrors, m.degraded = 0, ""
		m.fault = fmt.Sprintf("disk %s is gone", m.disk.Disk)
		return false
	case errors.Is(err, disk.ErrNotAllowed), errors.Is(err, disk.ErrInvalid):
		// The path now leads somewhere the agent must not go.
		m.readErrors, m.degraded = 0, ""
		m.fault = err.Error()
		return false
	case err != nil:
		m.readErrors++
		if m.readErrors >= a.cfg.FaultThreshold {
			m.fault = fmt.Sprintf("disk %s failed %d consecutive reads: %v", m.disk.Disk, m.readErrors, err)
		} else {
			m.degraded = fmt.Sprintf("read error on disk %s (%d of %d before the pool is Faulted): %v", m.disk.Disk, m.readErrors, a.cfg.FaultThreshold, err)
		}
		klog.FromContext(ctx).V(2).Info("Disk read error", "pool", p.label.Name, "disk", m.disk.Disk, "count", m.readErrors, "err", err)
		return false
	}
	m.readErrors, m.degraded = 0, ""
	l := found.Label
	switch {
	case l == nil:
		m.fault = fmt.Sprintf("the label on disk %s is gone or damaged (%v); the pool is not re-initialised", m.disk.Disk, found.Err())
		return false
	case l.UUID != p.label.UUID || l.DiskIndex != i:
		m.fault = fmt.Sprintf("disk %s now carries pool %s (uuid %s, disk %d), not this pool", m.disk.Disk, l.Name, l.UUID, l.DiskIndex)
		return false
	case size < l.DiskSize:
		m.fault = fmt.Sprintf("disk %s shrank from %d to %d bytes; the end of the pool is gone", m.disk.Disk, l.DiskSize, size)
		return false
	}
	m.fault = ""
	m.size, m.gen, m.recorded = size, l.Generation, l.DiskSize
	return found.NeedsRepair()
}

// readMember reads the labels of m's disk. A disk that is gone or was
// replaced at its path is resolved again, so a disk that comes back (under a
// new device number) is found.
func (a *Agent) readMember(m *member) (*label.Found, int64, error) {
	if m.disk.ID.Kind == 0 || !a.sameFile(m.disk) {
		r, err := a.cfg.Resolver.Resolve(m.disk.Disk)
		if err != nil {
			return nil, 0, err
		}
		m.disk = r
	}
	dev, err := a.cfg.Opener.Open(m.disk, false)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = dev.Close() }() // read-only
	found, err := label.Read(dev, dev.Size(), m.recorded)
	return found, dev.Size(), err
}

// sameFile reports whether d's path still resolves to the same file.
func (a *Agent) sameFile(d *disk.Resolved) bool {
	r, err := a.cfg.Resolver.Resolve(d.Disk)
	return err == nil && r.ID == d.ID
}
