package agent

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/disktest"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
)

// listDisks calls ListDisks and indexes the answer by path.
func (h *harness) listDisks() map[string]*agentv1.Disk {
	h.t.Helper()
	resp, err := h.client.ListDisks(h.ctx, &agentv1.ListDisksRequest{})
	if err != nil {
		h.t.Fatalf("ListDisks: %v", err)
	}
	out := map[string]*agentv1.Disk{}
	for i, d := range resp.GetDisks() {
		if i > 0 && resp.GetDisks()[i-1].GetPath() >= d.GetPath() {
			h.t.Errorf("disks not sorted by path: %s after %s", d.GetPath(), resp.GetDisks()[i-1].GetPath())
		}
		out[d.GetPath()] = d
	}
	return out
}

// TestListDisks: every kind of content is reported with its details, the
// stable links are found, and listing writes nothing.
func TestListDisks(t *testing.T) {
	links := t.TempDir()
	h := newHarness(t, func(c *Config) { c.LinkDir = links })
	empty := h.disk("sda", gib)
	pooled := h.disk("sdb", gib)
	ext4 := h.disk("sdc", gib)
	small := h.disk("sdd", label.MinDiskSize-4096)
	junk := h.disk("sde", gib)
	// A disk only the allow-list names (not matched by --disk) is listed too.
	h.cfg.Disks = []string{filepath.Join(h.dir, "sd*")}
	other := h.disk("other", gib)

	if _, err := h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{pooled},
		OwnerKind: "DiskPool", OwnerNamespace: "openebs", OwnerName: "pool-a"}); err != nil {
		t.Fatal(err)
	}
	h.mustReplica("pool-a", replica1, 10<<20, false)
	writeFile(t, ext4, func(f *os.File) error { return sigtest.Apply(f, "ext4", gib) })
	writeFile(t, junk, func(f *os.File) error { _, err := f.WriteAt([]byte("data"), 64<<10); return err })
	if err := os.Symlink(canon(t, empty), filepath.Join(links, "wwn-0x5000c500a1b2c3d4")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../nowhere", filepath.Join(links, "dangling")); err != nil {
		t.Fatal(err)
	}
	paths := []string{empty, pooled, ext4, small, junk, other}
	before := map[string]string{}
	for _, p := range paths {
		before[p] = fileHash(t, p)
	}
	writesBefore := len(h.opener.written(canon(t, pooled)))

	got := h.listDisks()
	if len(got) != len(paths) {
		t.Errorf("listed %d disks, want %d: %v", len(got), len(paths), got)
	}
	want := map[string]*agentv1.Disk{
		empty:  {Content: agentv1.DiskContent_DISK_CONTENT_EMPTY, SizeBytes: gib, Links: []string{filepath.Join(links, "wwn-0x5000c500a1b2c3d4")}},
		pooled: {Content: agentv1.DiskContent_DISK_CONTENT_POOL, SizeBytes: gib, PoolName: "pool-a", OwnerUid: ownerA, OwnerKind: "DiskPool", OwnerNamespace: "openebs", OwnerName: "pool-a", ClaimedBy: "pool-a"},
		ext4:   {Content: agentv1.DiskContent_DISK_CONTENT_SIGNATURE, SizeBytes: gib, Signature: "ext4", Offset: 1080},
		small:  {Content: agentv1.DiskContent_DISK_CONTENT_TOO_SMALL, SizeBytes: label.MinDiskSize - 4096},
		junk:   {Content: agentv1.DiskContent_DISK_CONTENT_UNRECOGNISED, SizeBytes: gib, Offset: 64 << 10},
		other:  {Content: agentv1.DiskContent_DISK_CONTENT_EMPTY, SizeBytes: gib},
	}
	for path, w := range want {
		d := got[canon(t, path)]
		if d == nil {
			t.Errorf("%s not listed", path)
			continue
		}
		if d.GetKind() != "file" || d.GetContent() != w.Content || d.GetSizeBytes() != w.SizeBytes || d.GetSignature() != w.Signature ||
			d.GetOffset() != w.Offset || d.GetPoolName() != w.PoolName || d.GetOwnerUid() != w.OwnerUid || d.GetOwnerKind() != w.OwnerKind ||
			d.GetOwnerNamespace() != w.OwnerNamespace || d.GetOwnerName() != w.OwnerName || d.GetClaimedBy() != w.ClaimedBy ||
			len(d.GetLinks()) != len(w.Links) || (len(w.Links) > 0 && d.GetLinks()[0] != w.Links[0]) {
			t.Errorf("%s = %v, want %v", path, d, w)
		}
	}
	if d := got[canon(t, pooled)]; d != nil && (d.GetPoolUuid() != h.get("pool-a").GetUuid() || d.GetPoolReplicaCount() != 1 || len(d.GetPoolDisks()) != 1 || d.GetPoolDisks()[0] != pooled) {
		t.Errorf("pool uuid, replicas = %q, %d, want %q, 1", d.GetPoolUuid(), d.GetPoolReplicaCount(), h.get("pool-a").GetUuid())
	}
	for _, p := range paths {
		if fileHash(t, p) != before[p] {
			t.Errorf("ListDisks changed %s", p)
		}
	}
	if n := len(h.opener.written(canon(t, pooled))); n != writesBefore {
		t.Errorf("ListDisks wrote %d times to the pool's disk", n-writesBefore)
	}

	// After the agent restarts without the pool's disk in --disk, the disk
	// is still listed (from the allow-list) with its label, unclaimed only
	// if no pool took it: here Import finds it through the state file.
	h.restart()
	if d := h.listDisks()[canon(t, pooled)]; d.GetClaimedBy() != "pool-a" {
		t.Errorf("after restart %s = %v", pooled, d)
	}
}

// TestListDisksUnreadable: a disk that cannot be read is listed as such,
// and the others still are.
func TestListDisksUnreadable(t *testing.T) {
	h := newHarness(t)
	bad, good := h.disk("sda", gib), h.disk("sdb", gib)
	h.opener.setReadError(canon(t, bad), syscall.EIO)
	got := h.listDisks()
	if d := got[canon(t, bad)]; d.GetContent() != agentv1.DiskContent_DISK_CONTENT_UNREADABLE || d.GetError() == "" {
		t.Errorf("unreadable disk = %v", d)
	}
	if d := got[canon(t, good)]; d.GetContent() != agentv1.DiskContent_DISK_CONTENT_EMPTY {
		t.Errorf("good disk = %v", d)
	}
}

// TestListDisksBlockDevice runs ListDisks on a loop device another process
// holds O_EXCL: it is still read (the listing opens without O_EXCL), and
// while the agent has it open an exclusive open by someone else succeeds.
// A device node in a private allowed directory keeps the listing to it.
func TestListDisksBlockDevice(t *testing.T) {
	dev, backing := disktest.Loop(t, 256<<20, 0)
	writeFile(t, backing, func(f *os.File) error { return sigtest.Apply(f, "gpt", 256<<20) })
	var st unix.Stat_t
	if err := unix.Stat(dev, &st); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	node := filepath.Join(dir, "loop")
	if err := unix.Mknod(node, unix.S_IFBLK|0o600, int(st.Rdev)); err != nil { //nolint:gosec // a device number fits
		t.Fatal(err)
	}
	exclOpener := &exclProbeOpener{}
	h := newHarness(t, func(c *Config) {
		r, err := disk.NewResolver([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		c.Resolver, c.Disks, c.StateDir, c.Opener = r, nil, "", exclOpener
	})
	before := fileHash(t, backing)

	got := h.listDisks()
	d := got[node]
	if d.GetKind() != "block" || d.GetContent() != agentv1.DiskContent_DISK_CONTENT_SIGNATURE || d.GetSignature() != "gpt" || d.GetSizeBytes() != 256<<20 {
		t.Fatalf("loop device = %v (all: %v)", d, got)
	}
	if exclOpener.opens == 0 || exclOpener.exclErr != nil || exclOpener.writeOpens != 0 {
		t.Fatalf("opens %d (for writing %d); exclusive open while the agent read: %v", exclOpener.opens, exclOpener.writeOpens, exclOpener.exclErr)
	}

	holdExclusive(t, dev)
	if d := h.listDisks()[node]; d.GetContent() != agentv1.DiskContent_DISK_CONTENT_SIGNATURE {
		t.Fatalf("loop device held by another process = %v", d)
	}
	if fileHash(t, backing) != before {
		t.Fatal("ListDisks changed the device")
	}
}

// exclProbeOpener opens like disk.OSOpener and, while the device is open,
// checks that another exclusive open of it succeeds: the agent holds no
// exclusive claim.
type exclProbeOpener struct {
	opens, writeOpens int
	exclErr           error
}

func (o *exclProbeOpener) Open(d *disk.Resolved, write bool) (disk.Device, error) {
	dev, err := disk.OSOpener{}.Open(d, write)
	if err != nil {
		return nil, err
	}
	o.opens++
	if write {
		o.writeOpens++
	}
	f, err := os.OpenFile(d.Path, os.O_RDONLY|syscall.O_EXCL, 0)
	if err != nil {
		o.exclErr = err
	} else {
		_ = f.Close()
	}
	return dev, nil
}

func writeFile(t *testing.T, path string, write func(*os.File) error) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func canon(t *testing.T, path string) string {
	t.Helper()
	c, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
