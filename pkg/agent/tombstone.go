package agent

import (
	"context"
	"fmt"
	"time"

	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// maxTombstones bounds the tombstones kept: beyond it the oldest is
// forgotten (its disk, if it comes back, then reads as a foreign pool, as it
// did before tombstones existed). A node rarely has more than a few.
const maxTombstones = 256

// tombstone remembers one member disk of a pool that DestroyPool destroyed
// while that disk was away. When the disk comes back still carrying exactly
// that label (same pool uuid, owner and place), the destroy is finished:
// the label is erased instead of being imported as an orphan.
type tombstone struct {
	Pool      string    `json:"pool"`
	UUID      string    `json:"uuid"`
	OwnerUID  string    `json:"ownerUID"`
	DiskIndex int       `json:"diskIndex"`
	Disk      string    `json:"disk"`
	Path      string    `json:"path,omitempty"`
	Destroyed time.Time `json:"destroyed"`
}

// matches says l is exactly the label the tombstone stands for.
func (t tombstone) matches(l *label.Label) bool {
	return l != nil && l.UUID == t.UUID && l.OwnerUID == t.OwnerUID && l.DiskIndex == t.DiskIndex
}

// addTombstones records ts, forgetting the oldest beyond maxTombstones.
func (a *Agent) addTombstones(ctx context.Context, ts []tombstone) {
	a.tombMu.Lock()
	defer a.tombMu.Unlock()
	a.tombstones = append(a.tombstones, ts...)
	if n := len(a.tombstones) - maxTombstones; n > 0 {
		for _, t := range a.tombstones[:n] {
			klog.FromContext(ctx).Info("Forgetting the oldest tombstone; its disk, if it comes back, will read as a foreign pool",
				"pool", t.Pool, "uuid", t.UUID, "disk", t.Disk)
		}
		a.tombstones = append([]tombstone(nil), a.tombstones[n:]...)
	}
}

// tombstoneFor returns the tombstone that l is exactly the label of.
func (a *Agent) tombstoneFor(l *label.Label) (tombstone, bool) {
	a.tombMu.Lock()
	defer a.tombMu.Unlock()
	for _, t := range a.tombstones {
		if t.matches(l) {
			return t, true
		}
	}
	return tombstone{}, false
}

// forgetTombstones drops those for which drop is true and says whether any was.
func (a *Agent) forgetTombstones(drop func(tombstone) bool) bool {
	a.tombMu.Lock()
	defer a.tombMu.Unlock()
	kept := a.tombstones[:0]
	for _, t := range a.tombstones {
		if !drop(t) {
			kept = append(kept, t)
		}
	}
	changed := len(kept) != len(a.tombstones)
	a.tombstones = kept
	return changed
}

func (a *Agent) tombstoneList() []tombstone {
	a.tombMu.Lock()
	defer a.tombMu.Unlock()
	return append([]tombstone(nil), a.tombstones...)
}

// forgetAdopted drops the tombstones of pool name when a CreatePool asks to
// adopt it from its destroyed owner: the admin's latest request is to keep
// that pool, so its disk, when it comes back, is imported, not erased.
func (a *Agent) forgetAdopted(ctx context.Context, name, adoptOwner string) bool {
	if adoptOwner == "" {
		return false
	}
	dropped := a.forgetTombstones(func(t tombstone) bool { return t.Pool == name && t.OwnerUID == adoptOwner })
	if dropped {
		klog.FromContext(ctx).Info("Forgot the tombstone of a destroyed pool: it is being adopted", "pool", name, "from", adoptOwner)
	}
	return dropped
}

// finishDestroy erases a returning disk's label that a tombstone stands
// for, through the checked-write path (label.PrepareErase rereads every area
// through the handle it writes with and zeroes only those holding pool
// t.UUID's label), then forgets the tombstone.
func (a *Agent) finishDestroy(ctx context.Context, pr *probe, t tombstone) error {
	dev, err := a.cfg.Opener.Open(pr.disk, true)
	if err != nil {
		return err
	}
	plan, err := label.PrepareErase(dev, t.UUID, pr.found.Label.DiskSize)
	if err == nil {
		err = plan.Commit()
	}
	if cerr := dev.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	a.forgetTombstones(func(x tombstone) bool { return x == t })
	klog.FromContext(ctx).Info("Erased the label of a pool destroyed while this disk was away", "pool", t.Pool, "uuid", t.UUID,
		"owner", t.OwnerUID, "disk", pr.disk.Disk, "destroyed", t.Destroyed)
	return nil
}

// probeTombstoned probes r; when r came back carrying the label of a pool
// destroyed while it was away, it finishes that destroy first and probes
// again, so the disk reads as what it now is (empty, or whatever else).
func (a *Agent) probeTombstoned(ctx context.Context, r *disk.Resolved) (*probe, error) {
	pr, err := a.probeDisk(r)
	if err != nil || pr.content != contentLabel {
		return pr, err
	}
	t, ok := a.tombstoneFor(pr.found.Label)
	if !ok {
		return pr, nil
	}
	if err := a.finishDestroy(ctx, pr, t); err != nil {
		return nil, fmt.Errorf("erasing the label of pool %s, destroyed while disk %s was away: %w", t.UUID, r.Disk, err)
	}
	pr, err = a.probeDisk(r)
	if pr != nil {
		pr.erased = true
	}
	return pr, err
}

// sweepTombstones looks at the path of each tombstone and finishes the
// destroy of a disk that came back there while the agent runs, so it is
// not listed as an orphan until the next restart. A path is probed only
// when the file or device at it is another than at the last sweep, so a
// disk that stays (and is not the destroyed pool's) costs one stat per
// sweep. It says whether a tombstone was forgotten.
func (a *Agent) sweepTombstones(ctx context.Context) bool {
	a.opMu.Lock()
	defer a.opMu.Unlock()
	erased := false
	seen := map[string]disk.FileID{} // rebuilt each sweep: bounded like the tombstones
	defer func() { a.tombSeen = seen }()
	for _, t := range a.tombstoneList() {
		if t.Path == "" {
			continue
		}
		r, err := a.cfg.Resolver.Resolve(t.Path)
		if err != nil {
			continue // still away
		}
		key := t.UUID + "/" + t.Path
		prev, looked := a.tombSeen[key]
		seen[key] = r.ID
		if (looked && prev == r.ID) || a.owner(r.ID) != nil {
			continue // looked at already, or a pool of ours
		}
		pr, err := a.probeDisk(r)
		if err != nil || pr.content != contentLabel || !t.matches(pr.found.Label) {
			continue
		}
		if err := a.finishDestroy(ctx, pr, t); err != nil {
			klog.FromContext(ctx).Error(err, "Cannot erase the label of a pool destroyed while this disk was away", "disk", t.Disk, "pool", t.Pool, "uuid", t.UUID)
			continue
		}
		erased = true
	}
	return erased
}
