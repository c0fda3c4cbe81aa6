package disk

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Block devices are opened O_DIRECT, so what the agent checks is what is on
// the disk, not a page cache, and what it writes is on the disk after Sync.
// O_DIRECT needs the offset, the length and the buffer's address aligned to
// the device's logical block size; blockDevice bounces unaligned reads
// through an aligned buffer and refuses unaligned writes (label areas are
// 128 KiB at 128 KiB boundaries, so they never are).

// blockDevice is an open block device.
type blockDevice struct {
	*os.File
	size int64
	// lbs is the logical block size (BLKSSZGET), a power of two.
	lbs int64
}

func (d *blockDevice) Size() int64 { return d.size }

// LogicalBlockSize is the device's logical block size in bytes.
func (d *blockDevice) LogicalBlockSize() int64 { return d.lbs }

// blockGeometry reads the size (BLKGETSIZE64) and the logical block size
// (BLKSSZGET) of the block device f.
func blockGeometry(f *os.File) (size, lbs int64, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var s uint64
	var ioctlErr error
	var n int
	if err := rc.Control(func(fd uintptr) {
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&s))); e != 0 {
			ioctlErr = fmt.Errorf("ioctl BLKGETSIZE64: %w", e)
			return
		}
		n, ioctlErr = unix.IoctlGetInt(int(fd), unix.BLKSSZGET)
		if ioctlErr != nil {
			ioctlErr = fmt.Errorf("ioctl BLKSSZGET: %w", ioctlErr)
		}
	}); err != nil {
		return 0, 0, err
	}
	if ioctlErr != nil {
		return 0, 0, ioctlErr
	}
	if n < 512 || n&(n-1) != 0 {
		return 0, 0, fmt.Errorf("logical block size %d is not a power of two of at least 512", n)
	}
	return int64(s), int64(n), nil
}

// alignedBuf returns n bytes whose address is a multiple of align.
func alignedBuf(n, align int64) []byte {
	b := make([]byte, n+align)
	skip := (align - int64(uintptr(unsafe.Pointer(&b[0])))%align) % align
	return b[skip : skip+n : skip+n]
}

func (d *blockDevice) aligned(b []byte, off int64) bool {
	return off%d.lbs == 0 && int64(len(b))%d.lbs == 0 &&
		(len(b) == 0 || int64(uintptr(unsafe.Pointer(&b[0])))%d.lbs == 0)
}

// ReadAt reads len(b) bytes at off, through an aligned buffer when b or
// its range is not aligned.
func (d *blockDevice) ReadAt(b []byte, off int64) (int, error) {
	if d.aligned(b, off) {
		return d.File.ReadAt(b, off)
	}
	start := off &^ (d.lbs - 1)
	end := (off + int64(len(b)) + d.lbs - 1) &^ (d.lbs - 1)
	buf := alignedBuf(end-start, d.lbs)
	n, err := d.File.ReadAt(buf, start)
	got := max(0, min(int64(n)-(off-start), int64(len(b))))
	copy(b, buf[off-start:off-start+got])
	if err == nil && got < int64(len(b)) {
		err = fmt.Errorf("short read at %d: %d of %d bytes", off, got, len(b))
	}
	return int(got), err
}

// WriteAt writes b at off; both must be multiples of the logical block size
// (b is copied to an aligned buffer when its address is not).
func (d *blockDevice) WriteAt(b []byte, off int64) (int, error) {
	if off%d.lbs != 0 || int64(len(b))%d.lbs != 0 {
		return 0, fmt.Errorf("write of %d bytes at %d is not aligned to the %d-byte logical block size", len(b), off, d.lbs)
	}
	if !d.aligned(b, off) {
		buf := alignedBuf(int64(len(b)), d.lbs)
		copy(buf, b)
		b = buf
	}
	return d.File.WriteAt(b, off)
}
