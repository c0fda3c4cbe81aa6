package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Device is an open disk.
type Device interface {
	io.ReaderAt
	io.WriterAt
	// Size is the size in bytes, read when the device was opened.
	Size() int64
	Sync() error
	Close() error
}

// Opener opens resolved disks. The agent uses OSOpener; tests wrap it to
// inject I/O errors.
type Opener interface {
	Open(d *Resolved, write bool) (Device, error)
}

// OSOpener opens disks through an os.Root of their allowed directory.
type OSOpener struct{}

var _ Opener = OSOpener{}

// Open opens d read-only or read-write. The file is opened inside an os.Root
// of d.Root (no path can escape it) and must still be the file Resolve saw
// (same FileID), or ErrChanged is returned. A block device is opened
// O_DIRECT (see blockDevice) and sized by ioctl; opened for writing it is
// also opened O_EXCL: the kernel refuses it with EBUSY while it is mounted
// or held by LVM, MD or another exclusive user.
func (OSOpener) Open(d *Resolved, write bool) (Device, error) {
	root, err := os.OpenRoot(d.Root)
	if err != nil {
		return nil, fmt.Errorf("open allowed directory %s: %w", d.Root, err)
	}
	defer func() { _ = root.Close() }()
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
		if d.Kind == BlockDevice {
			flag |= syscall.O_EXCL
		}
	}
	if d.Kind == BlockDevice {
		flag |= syscall.O_DIRECT
	}
	f, err := root.OpenFile(d.Rel, flag|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{Disk: d.Disk, Path: d.Path, Err: ErrNotFound, Msg: fmt.Sprintf("disk %s (%s) is gone", d.Disk, d.Path)}
		}
		if errors.Is(err, syscall.EBUSY) {
			return nil, &Error{Disk: d.Disk, Path: d.Path, Err: err, Msg: fmt.Sprintf(
				"disk %s (%s) is busy: it is mounted or held by another user (LVM, MD, a filesystem); nothing was written", d.Disk, d.Path)}
		}
		return nil, fmt.Errorf("open disk %s (%s): %w", d.Disk, d.Path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("stat disk %s (%s): %w", d.Disk, d.Path, err)
	}
	kind, err := kindOf(d.Disk, d.Path, fi)
	if err != nil || idOf(kind, fi) != d.ID {
		_ = f.Close()
		return nil, &Error{Disk: d.Disk, Path: d.Path, Err: ErrChanged, Msg: fmt.Sprintf(
			"disk %s (%s) was replaced by another file while it was being opened; nothing was written", d.Disk, d.Path)}
	}
	if kind == BlockDevice {
		size, lbs, err := blockGeometry(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("size of disk %s (%s): %w", d.Disk, d.Path, err)
		}
		return &blockDevice{File: f, size: size, lbs: lbs}, nil
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("size of disk %s (%s): %w", d.Disk, d.Path, err)
	}
	return &osDevice{File: f, size: size}, nil
}

type osDevice struct {
	*os.File
	size int64
}

func (d *osDevice) Size() int64 { return d.size }
