package agent

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// DestroyPool erases the pool's labels and forgets it. A missing pool is
// success; a pool with replicas or another owner is refused. Unless the
// owner's pool is still here (replicas, an I/O failure), the owner is
// remembered as deleted before the answer, so a later CreatePool for it
// is refused (deletedowners.go): the operator lets the object go on this
// answer.
func (a *Agent) DestroyPool(ctx context.Context, req *agentv1.DestroyPoolRequest) (*agentv1.DestroyPoolResponse, error) {
	if err := validatePoolName(req.GetName()); err != nil {
		return nil, err
	}
	if err := validateOwner("owner_uid", req.GetOwnerUid(), true); err != nil {
		return nil, err
	}
	name, owner := req.GetName(), req.GetOwnerUid()
	logger := klog.FromContext(ctx).WithValues("pool", name)
	err := a.removePool(ctx, name, func(p *pool) (bool, error) {
		switch {
		case p == nil:
			_, err := a.rememberDeletedOwner(ctx, owner, name)
			return false, err
		case p.label.OwnerUID != owner:
			// Nothing of this owner's is here either: the name is another's.
			if _, err := a.rememberDeletedOwner(ctx, owner, name); err != nil {
				return false, err
			}
			return false, errOwnerMismatch(name, owner, p.label.OwnerUID)
		}
		return true, nil
	}, func(p *pool) (bool, error) {
		logger.Info("Destroyed pool", "uuid", p.label.UUID, "owner", p.label.OwnerUID, "disks", p.label.Disks)
		return a.rememberDeletedOwner(ctx, owner, name) // the retry finds no pool and saves the owner again
	})
	if err != nil {
		return nil, err
	}
	return &agentv1.DestroyPoolResponse{}, nil
}

// removePool is the frame DestroyPool and ReclaimPool share. Under opMu it
// hands the pool named (nil when there is none) to check, the caller's own
// refusals: an error refuses, erase false answers with nothing erased. A
// pool that check lets through is refused while it holds replicas; else its
// labels are erased, it is forgotten and removed runs, still under opMu.
// The state file is saved after opMu is released, unless removed saved it
// (after the pool was forgotten, so that write has the change).
func (a *Agent) removePool(ctx context.Context, name string, check func(*pool) (erase bool, err error), removed func(*pool) (stateSaved bool, err error)) error {
	disksChanged := false
	defer a.lockOp(ctx, &disksChanged)()

	p := a.get(name)
	if erase, err := check(p); !erase || err != nil {
		return err
	}
	if n := len(p.label.Replicas); n > 0 {
		return errInUse(name, n)
	}
	if err := a.eraseMembers(ctx, p); err != nil {
		return err
	}
	a.remove(name)
	saved, err := removed(p)
	disksChanged = !saved
	return err
}

// eraseMembers erases p's label from each of its disks. For a disk that is
// away it saves a tombstone, before the caller answers: once the caller
// forgets p, nothing else remembers that this label is to be erased. A
// tombstone that cannot be saved fails the call and p is kept.
func (a *Agent) eraseMembers(ctx context.Context, p *pool) error {
	var away []tombstone
	for i, m := range p.members {
		gone, err := a.eraseMember(ctx, p, m)
		if err != nil {
			return errIO(p.label.Name, m.disk.Disk, err)
		}
		if gone && !p.corrupt {
			away = append(away, tombstone{Pool: p.label.Name, UUID: p.label.UUID, OwnerUID: p.label.OwnerUID,
				DiskIndex: i, Disk: m.disk.Disk, Path: m.disk.Path, Destroyed: a.cfg.Clock.Now().UTC()})
		}
	}
	if len(away) == 0 {
		return nil
	}
	a.addTombstones(ctx, away)
	if err := a.saveStateNow(); err != nil {
		a.forgetTombstones(func(t tombstone) bool { return t.UUID == p.label.UUID })
		return status.Errorf(codes.Internal, "pool %s: cannot save the tombstone of disk %s, which is away, so the pool is kept (retry): %v",
			p.label.Name, away[0].Disk, err)
	}
	klog.FromContext(ctx).Info("Remembering the disks that are away; their label is erased when they come back",
		"pool", p.label.Name, "uuid", p.label.UUID, "disks", len(away))
	return nil
}

// eraseMember zeroes the label areas of one disk of p, but only when the disk
// still carries p's label (or, for a corrupt pool, a diskpool label): a disk
// that now holds something else is left alone, and one that is away is
// reported gone (the caller leaves a tombstone for it).
func (a *Agent) eraseMember(ctx context.Context, p *pool, m *member) (gone bool, err error) {
	logger := klog.FromContext(ctx).WithValues("pool", p.label.Name, "disk", m.disk.Disk)
	if m.disk.ID.Kind == 0 {
		logger.Info("Disk is missing; its label is erased if it comes back")
		return true, nil
	}
	pr, err := a.probeDisk(m.disk, m.recorded)
	if errors.Is(err, disk.ErrNotFound) || errors.Is(err, disk.ErrChanged) {
		logger.Info("Disk is gone; its label is erased if it comes back", "err", err)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	ours := false
	switch pr.content {
	case contentLabel, contentOverwritten:
		ours = pr.found.Label.UUID == p.label.UUID
	case contentCorruptLabel:
		ours = p.corrupt
	}
	if !ours {
		logger.Info("Disk no longer carries this pool's label; leaving it untouched", "path", m.disk.Path)
		return false, nil
	}
	dev, err := a.cfg.Opener.Open(m.disk, true)
	if err != nil {
		return false, err
	}
	var recorded int64
	if pr.found.Label != nil {
		recorded = pr.found.Label.DiskSize
	}
	uuid := p.label.UUID
	if p.corrupt {
		uuid = "" // unknown: erase the damaged diskpool label areas
	}
	err = label.Erase(dev, uuid, max(recorded, m.recorded))
	if cerr := dev.Close(); err == nil {
		err = cerr
	}
	return false, err
}
