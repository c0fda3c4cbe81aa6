// Package signature recognises what a disk already holds: filesystems,
// partition tables, volume managers, RAID and encryption headers, by their
// magic bytes at fixed offsets, the way wipefs and blkid do. It also tells
// whether a disk is provably empty. It never writes.
package signature

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// WindowSize is how much of the head and, at least, of the tail of a disk is
// read. Every signature this package knows lies within it, and a disk is only
// called empty when both windows are zero. A caller that will write further
// from the end reads a longer tail (ReadWindowTail).
const WindowSize = 1 << 20

// Window is the first WindowSize bytes and a tail of at least WindowSize
// bytes of a disk (overlapping, or the same bytes, on a small disk).
type Window struct {
	Size       int64
	Head       []byte
	Tail       []byte
	TailOffset int64
}

// ReadWindow reads the head and tail windows of a disk of the given size.
func ReadWindow(r io.ReaderAt, size int64) (*Window, error) {
	return ReadWindowTail(r, size, WindowSize)
}

// ReadWindowTail is ReadWindow with a tail of tail bytes (at least
// WindowSize).
func ReadWindowTail(r io.ReaderAt, size, tail int64) (*Window, error) {
	return ReadWindowTailInto(r, size, tail, nil)
}

// WindowLen is how many bytes ReadWindowTailInto needs in its buffer for a
// disk of size with a tail of tail bytes.
func WindowLen(size, tail int64) int64 {
	headLen, tailLen := windowLens(size, tail)
	if size-tailLen == 0 && tailLen == headLen {
		return headLen
	}
	return headLen + tailLen
}

func windowLens(size, tail int64) (headLen, tailLen int64) {
	return min(size, WindowSize), min(size, max(tail, WindowSize))
}

// ReadWindowTailInto is ReadWindowTail reading into buf when it holds
// WindowLen bytes, else into new memory. The Window then shares buf: the
// caller reuses buf only once it is done with the Window (a prober reads a
// few MiB per disk, and fresh memory for each cost more CPU than the reads).
func ReadWindowTailInto(r io.ReaderAt, size, tail int64, buf []byte) (*Window, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative disk size %d", size)
	}
	if n := WindowLen(size, tail); int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	headLen, tailLen := windowLens(size, tail)
	w := &Window{Size: size, Head: buf[:headLen:headLen]}
	if _, err := r.ReadAt(w.Head, 0); err != nil && (!errors.Is(err, io.EOF) || headLen != 0) {
		return nil, fmt.Errorf("read first %d bytes: %w", headLen, err)
	}
	w.TailOffset = size - tailLen
	if w.TailOffset == 0 && tailLen == headLen {
		w.Tail = w.Head
		return w, nil
	}
	w.Tail = buf[headLen : headLen+tailLen : headLen+tailLen]
	if _, err := r.ReadAt(w.Tail, w.TailOffset); err != nil {
		return nil, fmt.Errorf("read last %d bytes at offset %d: %w", tailLen, w.TailOffset, err)
	}
	return w, nil
}

// At returns the n bytes at absolute offset off, or nil when they are not
// wholly inside the head or the tail window.
func (w *Window) At(off, n int64) []byte {
	if off < 0 || n < 0 || off+n > w.Size {
		return nil
	}
	if off+n <= int64(len(w.Head)) {
		return w.Head[off : off+n]
	}
	if off >= w.TailOffset && off+n <= w.TailOffset+int64(len(w.Tail)) {
		return w.Tail[off-w.TailOffset : off-w.TailOffset+n]
	}
	return nil
}

// has reports whether magic is at absolute offset off.
func (w *Window) has(off int64, magic []byte) bool {
	b := w.At(off, int64(len(magic)))
	return b != nil && bytes.Equal(b, magic)
}

// Range is a byte range [Off, Off+Len) of a disk.
type Range struct {
	Off, Len int64
}

func (r Range) contains(off int64) bool { return off >= r.Off && off < r.Off+r.Len }

// FirstNonZero returns the absolute offset of the first non-zero byte in the
// windows outside the ignored ranges, and whether there is one.
func FirstNonZero(w *Window, ignore []Range) (int64, bool) {
	if off, ok := firstNonZero(w.Head, 0, ignore); ok {
		return off, true
	}
	return firstNonZero(w.Tail, w.TailOffset, ignore)
}

var zeroChunk [4096]byte

func firstNonZero(b []byte, base int64, ignore []Range) (int64, bool) {
	for start := 0; start < len(b); start += len(zeroChunk) {
		end := min(start+len(zeroChunk), len(b))
		if bytes.Equal(b[start:end], zeroChunk[:end-start]) {
			continue
		}
		for i := start; i < end; i++ {
			if b[i] == 0 {
				continue
			}
			off := base + int64(i)
			ignored := false
			for _, r := range ignore {
				if r.contains(off) {
					ignored = true
					break
				}
			}
			if !ignored {
				return off, true
			}
		}
	}
	return 0, false
}
