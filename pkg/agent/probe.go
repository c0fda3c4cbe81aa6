package agent

import (
	"fmt"

	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
)

// content is what a disk holds, as far as creating a pool is concerned.
type content int

const (
	// contentEmpty: the first MiB and the tail up to the backup area
	// (label.TailWindow), which hold every byte a new pool's label is
	// written to, are zero: a pool may be created.
	contentEmpty content = iota
	// contentLabel: a valid diskpool label and nothing foreign.
	contentLabel
	// contentCorruptLabel: a diskpool label that is not valid.
	contentCorruptLabel
	// contentSignature: a recognised foreign signature.
	contentSignature
	// contentOverwritten: a valid diskpool label and a foreign signature.
	contentOverwritten
	// contentUnrecognised: non-zero bytes, no signature, no label.
	contentUnrecognised
	// contentTooSmall: empty but too small for a pool.
	contentTooSmall
)

// probe is what a disk was found to hold. Probing only reads.
type probe struct {
	disk    *disk.Resolved
	size    int64
	content content
	found   *label.Found
	sig     signature.Signature
	// nonZero is the first non-zero byte of unrecognised data.
	nonZero int64
	// erased: a tombstoned label was erased before this probe.
	erased bool
}

// probeDisk reads the labels, head and tail of d and classifies them.
// Errors are from opening or reading the disk. It only classifies: the
// write path checks again, through the handle it writes with, every byte it
// will write (label.PrepareWrite).
func (a *Agent) probeDisk(d *disk.Resolved, recorded ...int64) (*probe, error) {
	dev, err := a.cfg.Opener.Open(d, false)
	if err != nil {
		return nil, err
	}
	defer func() { _ = dev.Close() }() // read-only
	size := dev.Size()
	found, err := label.Read(dev, size, recorded...)
	if err != nil {
		return nil, fmt.Errorf("disk %s: %w", d.Disk, err)
	}
	w, err := signature.ReadWindowTail(dev, size, label.TailWindow(size))
	if err != nil {
		return nil, fmt.Errorf("disk %s: %w", d.Disk, err)
	}
	p := &probe{disk: d, size: size, found: found}
	sigs := signature.Detect(w)
	// Without a valid label nothing is skipped: bytes in the label areas
	// that are not a label are data like any other.
	off, nonZero := signature.FirstNonZero(w, nil)
	hasMagic := label.HasMagic(found.Primary) || label.HasMagic(found.Backup)
	switch {
	case found.Label != nil && len(sigs) > 0:
		p.content, p.sig = contentOverwritten, sigs[0]
	case found.Label != nil:
		p.content = contentLabel
	case hasMagic:
		p.content = contentCorruptLabel
	case len(sigs) > 0:
		p.content, p.sig = contentSignature, sigs[0]
	case nonZero:
		p.content, p.nonZero = contentUnrecognised, off
	case size < label.MinDiskSize:
		p.content = contentTooSmall
	default:
		p.content = contentEmpty
	}
	return p, nil
}

// refusal returns the error for a disk that can neither take a new pool nor
// be imported, or nil for contentEmpty and contentLabel.
func (p *probe) refusal() error {
	name := p.disk.Disk
	switch p.content {
	case contentSignature:
		return errSignature(name, p.size, p.sig)
	case contentOverwritten:
		return errOverwritten(name, p.size, p.found.Label, p.sig)
	case contentCorruptLabel:
		return errCorruptLabel(name, p.size, p.found.Err())
	case contentUnrecognised:
		return errUnrecognised(name, p.size, p.nonZero)
	case contentTooSmall:
		return errTooSmall(name, p.size)
	}
	return nil
}
