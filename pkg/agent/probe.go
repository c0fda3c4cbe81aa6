package agent

import (
	"fmt"
	"sync"

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
	tail := label.TailWindow(size)
	buf := getWindowBuf(signature.WindowLen(size, tail))
	defer windowBufs.Put(buf) // the window does not outlive this call
	w, err := signature.ReadWindowTailInto(dev, size, tail, *buf)
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

// windowBufs holds the buffers probeDisk reads a disk's head and tail
// windows into (2 MiB a probe): every create, destroy and disk listing
// probes, and allocating each window afresh cost the agent more CPU (page
// faults, zeroing, GC) than reading it.
var windowBufs sync.Pool

// getWindowBuf returns a buffer from windowBufs of at least n bytes.
func getWindowBuf(n int64) *[]byte {
	if b, ok := windowBufs.Get().(*[]byte); ok && int64(cap(*b)) >= n {
		return b
	}
	b := make([]byte, n)
	return &b
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
