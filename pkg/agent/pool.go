package agent

import (
	"sort"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// pool is the agent's view of one pool. A *pool in the registry is never
// modified: changes build a copy (clone) and commit it.
type pool struct {
	// label is the pool's record, common to all members (DiskIndex,
	// Generation and DiskSize are per member, kept in member).
	label   *label.Label
	members []*member
	state   agentv1.PoolState
	reason  string
	// corrupt marks a pool whose label could not be read: it is reported
	// Faulted and never written, except erased by DestroyPool.
	corrupt bool
}

// member is one disk of a pool.
type member struct {
	disk *disk.Resolved
	// gen and recorded are the generation and disk size in this disk's label.
	gen      uint64
	recorded int64
	// size is the disk size last seen.
	size int64
	// grow, when set, is the disk size the next label write lays the disk
	// out for (ExpandPool); otherwise the layout stays at recorded.
	grow int64
	// readErrors counts consecutive failed health checks.
	readErrors int
	// fault, when set, is why this disk makes the pool Faulted; degraded
	// why it makes it Degraded.
	fault, degraded string
}

func (p *pool) clone() *pool {
	c := *p
	c.label = p.label.Clone()
	c.members = make([]*member, len(p.members))
	for i, m := range p.members {
		mc := *m
		c.members[i] = &mc
	}
	return &c
}

// layout is the disk size m's label is (or, for a new member, will be)
// laid out for.
func (m *member) layout() int64 {
	switch {
	case m.grow > 0:
		return m.grow
	case m.recorded > 0:
		return m.recorded
	}
	return m.size
}

// capacity is the pool's data capacity: as recorded in the label, or, for a
// version 1 label, the data regions of all members at their recorded sizes.
// A disk that grew adds nothing until ExpandPool.
func (p *pool) capacity() uint64 {
	if p.label.Capacity > 0 {
		return p.label.Capacity
	}
	return p.layoutCapacity()
}

// layoutCapacity is the data capacity of all members at their layout size.
func (p *pool) layoutCapacity() uint64 {
	var n uint64
	for _, m := range p.members {
		n += label.Capacity(m.layout(), p.label.ClusterSize)
	}
	return n
}

// diskCapacity is the sum of the members' current sizes.
func (p *pool) diskCapacity() uint64 {
	var n uint64
	for _, m := range p.members {
		n += uint64(max(m.size, 0))
	}
	return n
}

// refreshState derives state and reason from the members.
func (p *pool) refreshState() {
	if p.corrupt {
		p.state = agentv1.PoolState_POOL_STATE_FAULTED
		return
	}
	p.state, p.reason = agentv1.PoolState_POOL_STATE_ONLINE, ""
	for _, m := range p.members {
		if m.fault != "" {
			p.state, p.reason = agentv1.PoolState_POOL_STATE_FAULTED, m.fault
			return
		}
	}
	for _, m := range p.members {
		if m.degraded != "" {
			p.state, p.reason = agentv1.PoolState_POOL_STATE_DEGRADED, m.degraded
			return
		}
	}
}

// proto returns the wire form of p for node.
func (p *pool) proto(node string) *agentv1.Pool {
	l := p.label
	out := &agentv1.Pool{
		Name:         l.Name,
		Uuid:         l.UUID,
		OwnerUid:     l.OwnerUID,
		Node:         node,
		Disks:        append([]string(nil), l.Disks...),
		State:        p.state,
		ClusterSize:  l.ClusterSize,
		Reason:       p.reason,
		ReplicaCount: uint32(len(l.Replicas)),

		OwnerKind:         l.OwnerKind,
		OwnerNamespace:    l.OwnerNamespace,
		OwnerName:         l.OwnerName,
		DiskCapacityBytes: p.diskCapacity(),
	}
	if len(l.Labels) > 0 {
		out.Labels = make(map[string]string, len(l.Labels))
		for k, v := range l.Labels {
			out.Labels[k] = v
		}
	}
	if !p.corrupt {
		out.Capacity = p.capacity()
		out.Used = l.Used()
		out.Committed = l.Committed()
	}
	return out
}

func replicaProto(pool string, r label.Replica) *agentv1.Replica {
	return &agentv1.Replica{Uuid: r.UUID, Pool: pool, Size: r.Size, Thin: r.Thin, Allocated: r.Allocated}
}

func sortReplicas(rs []label.Replica) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].UUID < rs[j].UUID })
}
