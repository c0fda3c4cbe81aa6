package label

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
)

// The only way to write to a disk in this package is a Plan, and the only way
// to get a Plan is PrepareWrite or PrepareErase, which read every byte the
// Plan will write, through the handle it will write with, and accept a range
// only when it is all zero or holds this pool's own label. So nothing is ever
// written over bytes that were not just checked.

// NotOursError means a range the agent would write holds bytes that are
// neither zero nor this pool's label: nothing was written.
type NotOursError struct {
	// Range is the area that would have been written.
	Range signature.Range
	// Off is the absolute offset of the first non-zero byte in it.
	Off int64
	// Found says what the bytes are: "data", or "the label of pool X (uuid Y)".
	Found string
}

func (e *NotOursError) Error() string {
	return fmt.Sprintf("bytes [%d, %d) would be written but hold %s (first non-zero byte at offset %d)",
		e.Range.Off, e.Range.Off+e.Range.Len, e.Found, e.Off)
}

// Plan is a checked set of writes to one disk. Commit performs it once.
type Plan struct {
	d      Disk
	writes []planned
	// syncEach: sync after every write (a valid copy exists that a torn
	// write must not take with it); otherwise once at the end.
	syncEach bool
	// label, gen and size are updated on the caller's label by Commit.
	label     *Label
	gen       uint64
	size      int64
	committed bool
}

type planned struct {
	r    signature.Range
	data []byte
}

// Ranges returns the ranges Commit writes, in order.
func (p *Plan) Ranges() []signature.Range {
	out := make([]signature.Range, len(p.writes))
	for i, w := range p.writes {
		out[i] = w.r
	}
	return out
}

// areaState is what a label area was found to hold.
type areaState int

const (
	areaZero    areaState = iota
	areaOwn               // a valid label of this pool (any generation)
	areaDamaged           // starts with Magic but does not parse
	areaForeign           // anything else
)

type checked struct {
	r     signature.Range
	state areaState
	gen   uint64
	why   string
	first int64
}

// check reads r and classifies it for the pool uuid ("" matches no label).
func check(d Disk, r signature.Range, uuid string) (checked, error) {
	c := checked{r: r}
	area := getArea(r.Len)
	defer putArea(area) // c keeps nothing of it
	if _, err := d.ReadAt(area, r.Off); err != nil {
		return c, fmt.Errorf("read bytes [%d, %d) before writing them: %w", r.Off, r.Off+r.Len, err)
	}
	first := firstNonZero(area)
	if first < 0 {
		return c, nil
	}
	c.first = r.Off + int64(first)
	l, err := Parse(area)
	switch {
	case err == nil && uuid != "" && l.UUID == uuid:
		c.state, c.gen = areaOwn, l.Generation
	case err == nil:
		c.state, c.why = areaForeign, fmt.Sprintf("the label of pool %s (uuid %s)", l.Name, l.UUID)
	case HasMagic(area):
		c.state, c.why = areaDamaged, "a damaged diskpool label"
	default:
		c.state, c.why = areaForeign, "data"
	}
	return c, nil
}

var zeroBlock [4096]byte

// firstNonZero returns the index of the first non-zero byte of b, or -1.
func firstNonZero(b []byte) int {
	for start := 0; start < len(b); start += len(zeroBlock) {
		end := min(start+len(zeroBlock), len(b))
		if bytes.Equal(b[start:end], zeroBlock[:end-start]) {
			continue
		}
		for i := start; i < end; i++ {
			if b[i] != 0 {
				return i
			}
		}
	}
	return -1
}

// checkAll checks every range and tells whether one holds this pool's label.
func checkAll(d Disk, ranges []signature.Range, uuid string) ([]checked, bool, uint64, error) {
	out := make([]checked, len(ranges))
	own, gen := false, uint64(0)
	for i, r := range ranges {
		c, err := check(d, r, uuid)
		if err != nil {
			return nil, false, 0, err
		}
		if c.state == areaOwn {
			own, gen = true, max(gen, c.gen)
		}
		out[i] = c
	}
	return out, own, gen, nil
}

// PrepareWrite plans writing l to the label areas of a disk laid out for
// size bytes (d's size at creation or expansion, the recorded size
// otherwise): the primary area, the backup area at size, and, when l.DiskSize
// records another size, the zeroing of the backup left where that size put it.
// Each area must be zero or hold this pool's label (a damaged copy is
// accepted only when another area holds a valid one: a torn write of ours);
// otherwise a *NotOursError is returned and nothing is written.
func PrepareWrite(d Disk, l *Label, size int64) (*Plan, error) {
	b := BackupOffset(size)
	if b < 0 || size < MinDiskSize {
		return nil, fmt.Errorf("disk of %d bytes is too small for a pool (at least %d)", size, MinDiskSize)
	}
	if size > d.Size() {
		return nil, fmt.Errorf("label laid out for %d bytes on a disk of %d", size, d.Size())
	}
	ranges := []signature.Range{{Off: PrimaryOffset, Len: AreaSize}, {Off: b, Len: AreaSize}}
	if old := BackupOffset(l.DiskSize); l.DiskSize != 0 && old >= DataOffset && old != b &&
		old+AreaSize <= d.Size() && (old+AreaSize <= b || old >= b+AreaSize) {
		ranges = append(ranges, signature.Range{Off: old, Len: AreaSize})
	}
	cs, own, gen, err := checkAll(d, ranges, l.UUID)
	if err != nil {
		return nil, err
	}
	if err := refuseNotOurs(cs, own); err != nil {
		return nil, err
	}
	next := l.Clone()
	next.Generation = max(l.Generation, gen) + 1
	next.DiskSize = size
	area, err := Encode(next)
	if err != nil {
		return nil, err
	}
	p := &Plan{d: d, syncEach: own, label: l, gen: next.Generation, size: size}
	primary, backup := planned{r: cs[0].r, data: area}, planned{r: cs[1].r, data: area}
	if len(cs) > 2 {
		// The layout moves (expansion): the new backup goes first, as it
		// is the copy Read finds at the disk's size without the primary's
		// help, then the primary, then the old backup is cleared.
		p.writes = []planned{backup, primary}
		if cs[2].state != areaZero {
			p.writes = append(p.writes, planned{r: cs[2].r, data: make([]byte, AreaSize)})
		}
		return p, nil
	}
	p.writes = []planned{primary, backup}
	return p, nil
}

// PrepareErase plans zeroing every label area of d (those of d's size and,
// when recorded differs, of recorded) that holds the label of pool uuid. With
// uuid "" (a pool whose label is damaged and whose uuid is unknown) areas
// that start with Magic are erased. Areas that are zero, or hold anything
// else, are left alone.
func PrepareErase(d Disk, uuid string, recorded int64) (*Plan, error) {
	var ranges []signature.Range
	for _, r := range Areas(d.Size(), recorded) {
		if r.Off+r.Len <= d.Size() {
			ranges = append(ranges, r)
		}
	}
	cs, own, _, err := checkAll(d, ranges, uuid)
	if err != nil {
		return nil, err
	}
	p := &Plan{d: d, syncEach: true}
	for _, c := range cs {
		if c.state == areaOwn || (c.state == areaDamaged && (own || uuid == "")) {
			p.writes = append(p.writes, planned{r: c.r, data: make([]byte, AreaSize)})
		}
	}
	return p, nil
}

func refuseNotOurs(cs []checked, own bool) error {
	for _, c := range cs {
		if c.state == areaForeign || (c.state == areaDamaged && !own) {
			return &NotOursError{Range: c.r, Off: c.first, Found: c.why}
		}
	}
	return nil
}

// ErrCommitted is returned by a second Commit of one Plan.
var ErrCommitted = errors.New("label plan already committed")

// Commit performs the planned writes in order, then updates the caller's
// label (PrepareWrite) with the new generation and disk size. With a valid
// copy on the disk, each write is synced before the next, so one intact copy
// exists at every moment; on a disk without one, a single sync at the end.
func (p *Plan) Commit() error {
	if p.committed {
		return ErrCommitted
	}
	p.committed = true
	for _, w := range p.writes {
		if _, err := p.d.WriteAt(w.data, w.r.Off); err != nil {
			return fmt.Errorf("write label area at offset %d: %w", w.r.Off, err)
		}
		if p.syncEach {
			if err := p.d.Sync(); err != nil {
				return fmt.Errorf("sync after writing label area at offset %d: %w", w.r.Off, err)
			}
		}
	}
	if !p.syncEach && len(p.writes) > 0 {
		if err := p.d.Sync(); err != nil {
			return fmt.Errorf("sync after writing the label: %w", err)
		}
	}
	if p.label != nil {
		p.label.Generation, p.label.DiskSize = p.gen, p.size
	}
	return nil
}
