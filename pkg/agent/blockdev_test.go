package agent

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc/codes"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/disktest"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// blockHarness is a harness whose allowed directory is /dev, for loop
// devices.
func blockHarness(t *testing.T) *harness {
	return newHarness(t, func(c *Config) {
		r, err := disk.NewResolver([]string{"/dev"})
		if err != nil {
			t.Fatal(err)
		}
		c.Resolver, c.Disks, c.StateDir = r, nil, ""
	})
}

// holdEnv names the device the test binary, re-run as a helper process,
// holds open O_EXCL until its stdin closes.
const holdEnv = "DISKPOOL_TEST_HOLD_DEVICE"

func TestMain(m *testing.M) {
	if dev := os.Getenv(holdEnv); dev != "" {
		f, err := os.OpenFile(dev, os.O_RDONLY|syscall.O_EXCL, 0)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("held")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		_ = f.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdExclusive makes another process hold dev open O_EXCL until the test
// ends.
func holdExclusive(t *testing.T, dev string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dev)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("holder of %s (pid %d): %v", dev, cmd.Process.Pid, err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "held" {
		t.Fatalf("holder of %s: %q, %v", dev, line, err)
	}
}

// TestBlockDevices runs the agent on real block devices (loop devices under
// /dev): create and re-import, a signature refused with the device
// unchanged, and the kernel's exclusive-open refusal of a device another
// process holds.
func TestBlockDevices(t *testing.T) {
	free, _ := disktest.Loop(t, 256<<20, 0)
	withFS, withFSFile := disktest.Loop(t, 256<<20, 0)
	held, heldFile := disktest.Loop(t, 256<<20, 0)
	h := blockHarness(t)

	p := h.mustCreate("pool-a", ownerA, "aio://"+free)
	if p.GetCapacity() != label.Capacity(256<<20, label.DefaultClusterSize) || p.GetDiskCapacityBytes() != 256<<20 {
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

	holdExclusive(t, held)
	before = fileHash(t, heldFile)
	_, err = h.create("pool-c", ownerA, held)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
	if !strings.Contains(err.Error(), "busy") {
		t.Errorf("refusal of a held device does not say it is busy: %v", err)
	}
	if fileHash(t, heldFile) != before || len(h.opener.written(held)) != 0 {
		t.Fatal("a device held by another process was written")
	}
}

// TestBlockDeviceMounted: a mounted filesystem is refused DiskInUse and not
// written.
func TestBlockDeviceMounted(t *testing.T) {
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("mkfs.ext4 not installed (Debian package e2fsprogs)")
	}
	dev, _ := disktest.Loop(t, 64<<20, 0)
	disktest.Run(t, "mkfs.ext4", "-q", "-F", dev)
	mnt := t.TempDir()
	disktest.Run(t, "mount", dev, mnt)
	t.Cleanup(func() { disktest.Run(t, "umount", mnt) })
	h := blockHarness(t)
	_, err := h.create("pool-a", ownerA, dev)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
	if got := h.opener.written(dev); len(got) != 0 {
		t.Fatalf("a mounted device was written: %v", got)
	}
}

// TestBlockDevice4KSectors: a device with 4096-byte logical blocks whose
// size is not a multiple of 256 KiB: a byte in either label area (poked
// into the backing file, so only a read that bypasses the device's page
// cache sees it) is refused; the clean device takes a pool whose labels
// read back through the device.
func TestBlockDevice4KSectors(t *testing.T) {
	const size = 256<<20 + 12*4096
	dev, backing := disktest.Loop(t, size, 4096)
	h := blockHarness(t)
	for _, off := range []int64{label.BackupOffset(size) + 4095, label.PrimaryOffset + 100} {
		pokeByte(t, backing, off, 0x42)
		_, err := h.create("pool-a", ownerA, dev)
		wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
		if got := h.opener.written(dev); len(got) != 0 {
			t.Fatalf("byte at %d: refused but wrote %v", off, got)
		}
		f, err := os.OpenFile(backing, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteAt([]byte{0}, off)
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	p := h.mustCreate("pool-a", ownerA, dev)
	if p.GetCapacity() != label.Capacity(size, label.DefaultClusterSize) {
		t.Fatalf("pool = %v", p)
	}
	f, err := os.Open(backing)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	found, err := label.Read(f, size)
	if err != nil || found.Label == nil || found.NeedsRepair() || found.Label.UUID != p.GetUuid() {
		t.Fatalf("labels in the backing file: %v %+v", err, found)
	}
}

// TestSignaturesAgreeWithBlkid makes real filesystems (ext4, xfs, vfat,
// btrfs), partition tables (GPT, MBR), an LVM physical volume and a swap area on loop devices with their own
// tools and checks the agent names what `blkid -p` names, and refuses it.
func TestSignaturesAgreeWithBlkid(t *testing.T) {
	if _, err := exec.LookPath("blkid"); err != nil {
		t.Skip("blkid not installed (Debian package util-linux)")
	}
	tests := []struct {
		typ, tool, pkg string
		args           []string
	}{
		{"ext4", "mkfs.ext4", "e2fsprogs", []string{"-q", "-F"}},
		{"xfs", "mkfs.xfs", "xfsprogs", []string{"-q", "-f"}},
		{"swap", "mkswap", "util-linux", nil},
		{"gpt", "sfdisk", "fdisk", nil},
		{"dos", "sfdisk", "fdisk", nil},
		{"LVM2_member", "pvcreate", "lvm2", []string{"-ff", "-y", "--config", "devices { use_devicesfile=0 }"}},
		{"vfat", "mkfs.vfat", "dosfstools", nil},
		{"btrfs", "mkfs.btrfs", "btrfs-progs", []string{"-q", "-f"}},
	}
	h := blockHarness(t)
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			if _, err := exec.LookPath(tt.tool); err != nil {
				t.Skipf("%s not installed (Debian package %s)", tt.tool, tt.pkg)
			}
			dev, backing := disktest.Loop(t, 320<<20, 0)
			if tt.tool == "sfdisk" {
				cmd := exec.Command("sfdisk", "-q", "--label", tt.typ, dev)
				cmd.Stdin = strings.NewReader(",100M\n")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("sfdisk: %v: %s", err, out)
				}
			} else {
				disktest.Run(t, tt.tool, append(tt.args, dev)...)
			}
			blkid := blkidType(t, dev)
			if blkid != tt.typ {
				t.Fatalf("blkid -p says %q, want %q", blkid, tt.typ)
			}
			before := fileHash(t, backing)
			r, err := h.cfg.Resolver.Resolve(dev)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := h.agent.probeDisk(r)
			if err != nil {
				t.Fatal(err)
			}
			if pr.content != contentSignature || pr.sig.Type != blkid {
				t.Fatalf("the agent found %v %q, blkid -p %q", pr.content, pr.sig.Type, blkid)
			}
			_, err = h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{dev}})
			wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
			if fileHash(t, backing) != before {
				t.Fatal("refused device changed")
			}
		})
	}
}

// blkidType returns TYPE, or PTTYPE for a partition table, of `blkid -p`.
func blkidType(t *testing.T, dev string) string {
	t.Helper()
	out := disktest.Run(t, "blkid", "-p", "-o", "export", dev)
	vals := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vals[k] = v
		}
	}
	if v := vals["TYPE"]; v != "" {
		return v
	}
	return vals["PTTYPE"]
}
