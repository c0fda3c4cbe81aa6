package agent

import (
	"errors"
	"fmt"

	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// writeLabels writes p's label to every member of p, which must be a private
// copy (clone) not yet committed. Every disk is opened for writing and every
// byte to be written is read back through that handle and checked (zero or
// this pool's label, label.PrepareWrite) before the first byte is written,
// so a disk that is gone, busy (a block device somebody holds) or holds
// anything else in those ranges fails the call with nothing written. Each
// member's generation and recorded size are updated. A write error part-way
// leaves some members with the new label and others with the old: the next
// write, or import, settles on the newest.
func (a *Agent) writeLabels(p *pool) error {
	devs := make([]disk.Device, len(p.members))
	defer func() {
		for _, d := range devs {
			if d != nil {
				_ = d.Close() // after Sync in label.Write; a close error cannot lose data here
			}
		}
	}()
	for i, m := range p.members {
		if m.disk.ID.Kind == 0 {
			return fmt.Errorf("disk %s of pool %s is missing", m.disk.Disk, p.label.Name)
		}
		dev, err := a.cfg.Opener.Open(m.disk, true)
		if err != nil {
			return err
		}
		devs[i] = dev
	}
	if p.label.Capacity == 0 {
		// A new pool, or a version 1 label: record the capacity it has.
		p.label.Capacity = p.layoutCapacity()
	}
	labels := make([]*label.Label, len(p.members))
	plans := make([]*label.Plan, len(p.members))
	for i, m := range p.members {
		l := p.label.Clone()
		l.DiskIndex, l.Generation, l.DiskSize = i, m.gen, m.recorded
		plan, err := label.PrepareWrite(devs[i], l, m.layout())
		if err != nil {
			return &checkError{disk: m.disk.Disk, err: err}
		}
		labels[i], plans[i] = l, plan
	}
	for i, m := range p.members {
		if err := plans[i].Commit(); err != nil {
			return fmt.Errorf("write label of pool %s to disk %s: %w", p.label.Name, m.disk.Disk, err)
		}
		m.gen, m.recorded, m.size, m.grow = labels[i].Generation, labels[i].DiskSize, devs[i].Size(), 0
	}
	return nil
}

// checkError is a disk whose bytes to be written did not check out.
type checkError struct {
	disk string
	err  error
}

func (e *checkError) Error() string { return fmt.Sprintf("disk %s: %v", e.disk, e.err) }
func (e *checkError) Unwrap() error { return e.err }

// errWrite maps a writeLabels error: a disk that could not be opened is
// reported like a resolution error (DiskInUse when busy, DiskNotFound when
// gone); anything else is an I/O failure.
func errWrite(pool string, err error) error {
	var de *disk.Error
	if errors.As(err, &de) {
		return errDisk(pool, err)
	}
	var ce *checkError
	var no *label.NotOursError
	if errors.As(err, &ce) && errors.As(err, &no) {
		return errNotOurs(pool, ce.disk, no)
	}
	return errIO(pool, "its disks", err)
}
