package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/klog/v2"
)

// knownDisksFile, in Config.StateDir, lists the disk paths of the pools the
// agent had, so Import finds them even when they are not in Config.Disks.
// It is a hint: the labels on the disks are the truth. It also holds the
// tombstones of pools destroyed while a disk of theirs was away, and the
// owners DestroyPool was answered for (deletedowners.go).
const knownDisksFile = "known-disks.json"

type knownDisks struct {
	Disks         []string       `json:"disks"`
	Tombstones    []tombstone    `json:"tombstones,omitempty"`
	DeletedOwners []deletedOwner `json:"deletedOwners,omitempty"`
}

// saveKnownDisks rewrites the state file; failures are logged, not returned
// (the pools are safe on their disks either way). Concurrent callers
// coalesce: a save that starts after a change was recorded covers it, so a
// burst of creates writes the file a few times, not once per pool.
func (a *Agent) saveKnownDisks(ctx context.Context) {
	if a.cfg.StateDir == "" {
		return
	}
	a.stateDirty.Store(true)
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	if !a.stateDirty.Swap(false) {
		return // a save that began after our change already wrote it
	}
	if err := a.writeState(); err != nil {
		klog.FromContext(ctx).Error(err, "Cannot save the list of known disks; pools are still found by --disk", "stateDir", a.cfg.StateDir)
	}
}

// lockOp takes opMu for one pool operation and returns its release, to
// defer. The release unlocks opMu first and then, if *disksChanged, saves
// the state file, so that fsync never holds up the next pool operation.
func (a *Agent) lockOp(ctx context.Context, disksChanged *bool) (release func()) {
	a.opMu.Lock()
	return func() {
		a.opMu.Unlock()
		if *disksChanged {
			a.saveKnownDisks(ctx)
		}
	}
}

// saveStateNow writes the state file and returns the error: for a change
// that must be on disk before the caller answers (a tombstone, a deleted
// owner).
func (a *Agent) saveStateNow() error {
	if a.cfg.StateDir == "" {
		return nil
	}
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	a.stateDirty.Store(false)
	return a.writeState()
}

// writeState writes the state file; stateMu must be held.
func (a *Agent) writeState() error {
	kd := knownDisks{Tombstones: a.tombstoneList(), DeletedOwners: a.deletedOwnerList()}
	for _, p := range a.all() {
		for _, m := range p.members {
			if m.disk.Path != "" {
				kd.Disks = append(kd.Disks, m.disk.Path)
			}
		}
	}
	sort.Strings(kd.Disks)
	if err := writeFileAtomic(filepath.Join(a.cfg.StateDir, knownDisksFile), kd); err != nil {
		return fmt.Errorf("saving %s: %w", knownDisksFile, err)
	}
	a.stateWrites.Add(1)
	return nil
}

// loadKnownDisks returns the state file, with the disks of the tombstones
// added to those to scan.
func (a *Agent) loadKnownDisks() (knownDisks, error) {
	if a.cfg.StateDir == "" {
		return knownDisks{}, nil
	}
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, knownDisksFile))
	if errors.Is(err, fs.ErrNotExist) {
		return knownDisks{}, nil
	}
	if err != nil {
		return knownDisks{}, err
	}
	var kd knownDisks
	if err := json.Unmarshal(b, &kd); err != nil {
		return knownDisks{}, fmt.Errorf("%s: %w", knownDisksFile, err)
	}
	for _, t := range kd.Tombstones {
		if t.Path != "" {
			kd.Disks = append(kd.Disks, t.Path)
		}
	}
	return kd, nil
}

func writeFileAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after a successful rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
