package disk_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/disktest"
)

// TestBlockDeviceGeometry opens real loop devices with 512- and 4096-byte
// logical blocks: the size and block size are the kernel's (as blockdev
// reports them), and reads and writes at any alignment the agent makes
// work under O_DIRECT.
func TestBlockDeviceGeometry(t *testing.T) {
	for _, sector := range []int{512, 4096} {
		t.Run(strconv.Itoa(sector), func(t *testing.T) {
			const size = 64<<20 + 12*4096 // not a multiple of 256 KiB
			dev, _ := disktest.Loop(t, size, sector)
			r, err := disk.NewResolver([]string{filepath.Dir(dev)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Resolve(dev)
			if err != nil || res.Kind != disk.BlockDevice {
				t.Fatalf("Resolve(%s) = %+v, %v", dev, res, err)
			}
			d, err := disk.OSOpener{}.Open(res, true)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = d.Close() }()
			want := strings.Fields(disktest.Run(t, "blockdev", "--getsize64", "--getss", dev))
			if got := []string{strconv.FormatInt(d.Size(), 10), strconv.FormatInt(d.(interface{ LogicalBlockSize() int64 }).LogicalBlockSize(), 10)}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("size and logical block size = %v, blockdev says %v", got, want)
			}
			// The kernel's view of the open: O_DIRECT, and held exclusively.
			fd := d.(interface{ Fd() uintptr }).Fd()
			info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
			if err != nil {
				t.Fatal(err)
			}
			var flags int64
			for _, line := range strings.Split(string(info), "\n") {
				if v, ok := strings.CutPrefix(line, "flags:"); ok {
					flags, _ = strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				}
			}
			if flags&syscall.O_DIRECT == 0 {
				t.Errorf("device opened with flags %o, want O_DIRECT", flags)
			}
			if f, err := os.OpenFile(dev, os.O_RDONLY|syscall.O_EXCL, 0); !errors.Is(err, syscall.EBUSY) {
				if f != nil {
					_ = f.Close()
				}
				t.Errorf("a second exclusive open = %v, want EBUSY", err)
			}
			// An aligned write, then reads at odd offsets and lengths.
			data := bytes.Repeat([]byte("diskpool"), 128<<10/8)
			if _, err := d.WriteAt(data, 512<<10); err != nil {
				t.Fatal(err)
			}
			if err := d.Sync(); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 1001)
			if _, err := d.ReadAt(got, 512<<10+3); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data[3:1004]) {
				t.Fatal("unaligned read returned other bytes")
			}
			tail := make([]byte, 100)
			if _, err := d.ReadAt(tail, size-100); err != nil {
				t.Fatalf("read of the last 100 bytes: %v", err)
			}
			if _, err := d.WriteAt(data[:100], 4096); err == nil {
				t.Fatal("an unaligned write was accepted")
			}
		})
	}
}
