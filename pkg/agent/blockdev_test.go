package agent

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// loopDevice attaches a sparse file of size to a free loop device and
// returns the device path; it skips the test where that is not possible
// (not root, no losetup, no loop devices, -short).
func loopDevice(t *testing.T, size int64) (dev, backing string) {
	t.Helper()
	if testing.Short() {
		t.Skip("loop devices are not used with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("loop devices need root")
	}
	losetup, err := exec.LookPath("losetup")
	if err != nil {
		t.Skip("no losetup")
	}
	backing = filepath.Join(t.TempDir(), "img")
	if err := os.WriteFile(backing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(backing, size); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(losetup, "--find", "--show", backing).Output()
	if err != nil {
		t.Skipf("cannot attach a loop device: %v", err)
	}
	dev = strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command(losetup, "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v: %s", dev, err, out)
		}
	})
	return dev, backing
}

// TestBlockDevices runs the agent on real block devices (loop devices under
// /dev): create, signature refusal with the device unchanged, and the
// kernel's exclusive-open refusal of a device somebody holds.
func TestBlockDevices(t *testing.T) {
	free, _ := loopDevice(t, 256<<20)
	withFS, withFSFile := loopDevice(t, 256<<20)
	held, _ := loopDevice(t, 256<<20)

	h := newHarness(t, func(c *Config) {
		r, err := disk.NewResolver([]string{"/dev"})
		if err != nil {
			t.Fatal(err)
		}
		c.Resolver, c.Disks, c.StateDir = r, nil, ""
	})

	p := h.mustCreate("pool-a", ownerA, "aio://"+free)
	if p.GetCapacity() != label.Capacity(256<<20, label.DefaultClusterSize) {
		t.Fatalf("pool on %s = %v", free, p)
	}
	h.cfg.Disks = []string{free}
	h.restart()
	if got := h.get("pool-a"); got.GetUuid() != p.GetUuid() {
		t.Fatalf("after restart = %v", got)
	}

	f, err := os.OpenFile(withFSFile, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigtest.Apply(f, "xfs", 256<<20); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	before := fileHash(t, withFSFile)
	_, err = h.create("pool-b", ownerA, withFS)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
	if fileHash(t, withFSFile) != before {
		t.Fatal("device with an xfs signature changed after a refused CreatePool")
	}

	holder, err := os.OpenFile(held, os.O_RDONLY|syscall.O_EXCL, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close() }()
	_, err = h.create("pool-c", ownerA, held)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
	if !strings.Contains(err.Error(), "busy") {
		t.Errorf("refusal of a held device does not say it is busy: %v", err)
	}
}
