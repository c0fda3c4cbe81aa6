package label

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
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
// found, valid or not, is in Found. recorded are disk sizes the caller knows
// the label was written for (a disk that grew since): their backup areas
// are read too.
func Read(d io.ReaderAt, size int64, recorded ...int64) (*Found, error) {
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
	if p == nil && HasMagic(primary) {
		// A torn or damaged primary: its header's disk size, though not
		// trusted, is where to look for the backup of a disk that grew.
		if raw := int64(binary.LittleEndian.Uint64(primary[24:])); raw >= MinDiskSize && raw < size {
			offsets = append(offsets, BackupOffset(raw))
		}
	}
	for _, r := range recorded {
		if r > 0 && r != size {
			offsets = append(offsets, BackupOffset(r))
		}
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
	area := getArea(AreaSize)
	if _, err := d.ReadAt(area, off); err != nil {
		putArea(area)
		return nil, fmt.Errorf("read label area at offset %d: %w", off, err)
	}
	return area, nil
}

// areas recycles the buffers label areas are read into: an agent's health
// sweep reads two 128 KiB areas of every pool every few seconds, and fresh
// memory for each (zeroed, then collected) cost more CPU than the reads.
// Every use reads a buffer whole before it looks at it, so nothing of a
// previous disk is ever seen.
var areas sync.Pool

func getArea(n int64) []byte {
	if b, ok := areas.Get().(*[]byte); ok && int64(cap(*b)) >= n {
		return (*b)[:n]
	}
	return make([]byte, n, max(n, AreaSize))
}

func putArea(b []byte) {
	if b != nil {
		areas.Put(&b)
	}
}

// Release gives f's raw areas back for reuse and forgets them; f's Label
// and errors stay valid (they share no memory with the areas). A caller
// that is done with f may call it; one that never does only allocates.
func (f *Found) Release() {
	putArea(f.Primary)
	putArea(f.Backup)
	f.Primary, f.Backup = nil, nil
}

// Write writes l to d laid out for size bytes: PrepareWrite, then Commit.
func Write(d Disk, l *Label, size int64) error {
	p, err := PrepareWrite(d, l, size)
	if err != nil {
		return err
	}
	return p.Commit()
}

// Erase zeroes every label area of d that holds the label of pool uuid
// (see PrepareErase), including a backup left where a disk of size recorded
// put it, so the disk reads as empty again.
func Erase(d Disk, uuid string, recorded int64) error {
	p, err := PrepareErase(d, uuid, recorded)
	if err != nil {
		return err
	}
	if err := p.Commit(); err != nil {
		return fmt.Errorf("erase label: %w", err)
	}
	return nil
}
