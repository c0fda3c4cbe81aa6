package label

import (
	"errors"
	"fmt"
	"io"
)

// Disk is what reading and writing labels needs; disk.Device satisfies it.
type Disk interface {
	io.ReaderAt
	io.WriterAt
	Size() int64
	Sync() error
}

// Found is what Read saw in the label areas of a disk.
type Found struct {
	// Label is the valid copy with the highest generation, or nil.
	Label *Label
	// PrimaryErr and BackupErr are the parse errors of each copy: nil when
	// valid, ErrNoLabel when absent, a *CorruptError when damaged.
	PrimaryErr, BackupErr error
	// Primary is the raw primary area, kept for Salvage.
	Primary []byte
	// Backup is the raw backup area that was parsed (nil if none).
	Backup []byte
}

// Err summarises Found: nil when a valid label was found, ErrNoLabel when no
// area carries Magic, otherwise the *CorruptError of the primary copy (or of
// the backup when the primary has no Magic).
func (f *Found) Err() error {
	switch {
	case f.Label != nil:
		return nil
	case !errors.Is(f.PrimaryErr, ErrNoLabel):
		return f.PrimaryErr
	case f.BackupErr != nil:
		return f.BackupErr
	}
	return ErrNoLabel
}

// NeedsRepair reports whether a valid label was found but one copy is
// missing, damaged or older, so the next Write restores both.
func (f *Found) NeedsRepair() bool {
	return f.Label != nil && (f.PrimaryErr != nil || f.BackupErr != nil)
}

// Salvage is Salvage of whichever raw area has Magic.
func (f *Found) Salvage() (name, owner string) {
	name, owner = Salvage(f.Primary)
	if name == "" {
		name, owner = Salvage(f.Backup)
	}
	return name, owner
}

// Read reads both label areas of d. Its error is only for I/O; what was
// found, valid or not, is in Found.
func Read(d io.ReaderAt, size int64) (*Found, error) {
	f := &Found{PrimaryErr: ErrNoLabel, BackupErr: ErrNoLabel}
	if size < PrimaryOffset+AreaSize {
		return f, nil
	}
	primary, err := readArea(d, PrimaryOffset)
	if err != nil {
		return nil, err
	}
	f.Primary = primary
	p, perr := Parse(primary)
	f.PrimaryErr = perr

	offsets := []int64{BackupOffset(size)}
	if p != nil && p.DiskSize != size {
		// The disk was resized since the last write: the backup is still
		// where the recorded size put it.
		offsets = append(offsets, BackupOffset(p.DiskSize))
	}
	var b *Label
	for _, off := range offsets {
		if off < DataOffset || off+AreaSize > size {
			continue
		}
		area, err := readArea(d, off)
		if err != nil {
			return nil, err
		}
		l, berr := Parse(area)
		if berr == nil {
			f.Backup, f.BackupErr, b = area, nil, l
			break
		}
		// Keep the most telling failure: a damaged copy over an absent one.
		if f.Backup == nil || (errors.Is(f.BackupErr, ErrNoLabel) && !errors.Is(berr, ErrNoLabel)) {
			f.Backup, f.BackupErr = area, berr
		}
	}

	switch {
	case p != nil && b != nil:
		f.Label = p
		if b.Generation > p.Generation {
			f.Label = b
			f.PrimaryErr = fmt.Errorf("primary label is stale (generation %d, backup %d)", p.Generation, b.Generation)
		} else if b.Generation < p.Generation {
			f.BackupErr = fmt.Errorf("backup label is stale (generation %d, primary %d)", b.Generation, p.Generation)
		}
	case p != nil:
		f.Label = p
	case b != nil:
		f.Label = b
	}
	return f, nil
}

func readArea(d io.ReaderAt, off int64) ([]byte, error) {
	area := make([]byte, AreaSize)
	if _, err := d.ReadAt(area, off); err != nil {
		return nil, fmt.Errorf("read label area at offset %d: %w", off, err)
	}
	return area, nil
}

// Write writes l to both areas of d with the next generation and d's
// current size, primary first, syncing after each (once, at the end, when
// the disk carried no label before). When l.DiskSize records
// a different (smaller) disk size, the backup area left at the old end is
// zeroed after the new backup is written. On success l.Generation and
// l.DiskSize are updated.
func Write(d Disk, l *Label) error {
	size := d.Size()
	b := BackupOffset(size)
	if b < 0 || size < MinDiskSize {
		return fmt.Errorf("disk of %d bytes is too small for a pool (at least %d)", size, MinDiskSize)
	}
	next := l.Clone()
	next.Generation = l.Generation + 1
	next.DiskSize = size
	area, err := Encode(next)
	if err != nil {
		return err
	}
	if l.Generation == 0 {
		// No valid label was on the disk: there is no copy to protect, so
		// both are written and synced once (a crash leaves the disk
		// label-less or with one or two copies, all recoverable).
		for _, off := range []int64{PrimaryOffset, b} {
			if _, err := d.WriteAt(area, off); err != nil {
				return fmt.Errorf("write label area at offset %d: %w", off, err)
			}
		}
		if err := d.Sync(); err != nil {
			return fmt.Errorf("sync after writing the label: %w", err)
		}
	} else {
		// Primary, sync, then backup: one intact copy exists at every
		// moment, the old generation or the new one.
		for _, off := range []int64{PrimaryOffset, b} {
			if err := writeSync(d, area, off); err != nil {
				return err
			}
		}
	}
	if old := BackupOffset(l.DiskSize); l.DiskSize != 0 && old >= DataOffset && old != b &&
		old+AreaSize <= size && (old+AreaSize <= b || old >= b+AreaSize) {
		if err := writeSync(d, make([]byte, AreaSize), old); err != nil {
			return fmt.Errorf("clear old backup label: %w", err)
		}
	}
	l.Generation, l.DiskSize = next.Generation, next.DiskSize
	return nil
}

// Erase zeroes every label area of d, including a backup left where a disk
// of size recorded put it, so the disk reads as empty again.
func Erase(d Disk, recorded int64) error {
	zero := make([]byte, AreaSize)
	size := d.Size()
	for _, r := range Areas(size, recorded) {
		if r.Off+r.Len > size {
			continue
		}
		if err := writeSync(d, zero, r.Off); err != nil {
			return fmt.Errorf("erase label: %w", err)
		}
	}
	return nil
}

func writeSync(d Disk, b []byte, off int64) error {
	if _, err := d.WriteAt(b, off); err != nil {
		return fmt.Errorf("write label area at offset %d: %w", off, err)
	}
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync after writing label area at offset %d: %w", off, err)
	}
	return nil
}
