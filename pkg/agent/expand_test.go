package agent

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"testing"

	"google.golang.org/grpc/codes"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/disktest"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

func (h *harness) expand(name, owner string, limit uint64) (*agentv1.Pool, error) {
	return h.client.ExpandPool(h.ctx, &agentv1.ExpandPoolRequest{Name: name, OwnerUid: owner, MaxCapacityBytes: limit})
}

// readLabels reads the labels of a disk file directly.
func readLabels(t *testing.T, path string) *label.Found {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	found, err := label.Read(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func areaIsZero(t *testing.T, path string, off int64) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	a := make([]byte, label.AreaSize)
	if _, err := f.ReadAt(a, off); err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(a, make([]byte, label.AreaSize))
}

// TestExpandPool: a disk grown by truncate is reported, ExpandPool grows the
// pool to a cap and then to the disk, refusals write nothing, and a restart
// keeps the new size.
func TestExpandPool(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	h.mustReplica("pool-a", replica1, 8<<20, false)
	w := h.watch()
	w.next(agentv1.WatchPoolsResponse_SNAPSHOT)

	before := fileHash(t, d)
	_, err := h.expand("pool-a", ownerA, 0)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskNotGrown)
	_, err = h.expand("pool-a", ownerB, 0)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonOwnerMismatch)
	_, err = h.expand("nope", ownerA, 0)
	wantRefusal(t, err, codes.NotFound, poolerr.ReasonPoolNotFound)
	if fileHash(t, d) != before {
		t.Fatal("a refused ExpandPool wrote")
	}

	const grown = 2*gib + 4096*3 + 100 // an odd size
	if err := os.Truncate(d, grown); err != nil {
		t.Fatal(err)
	}
	h.agent.CheckHealth(h.ctx)
	if got := w.next(agentv1.WatchPoolsResponse_UPSERT).GetPools()[0]; got.GetDiskCapacityBytes() != grown ||
		got.GetCapacity() != label.Capacity(gib, label.DefaultClusterSize) {
		t.Fatalf("after growth the watch says %v", got)
	}

	// A byte in the new backup area: refused, nothing written.
	pokeByte(t, d, label.BackupOffset(grown)+777, 0x42)
	before = fileHash(t, d)
	_, err = h.expand("pool-a", ownerA, 0)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
	if fileHash(t, d) != before {
		t.Fatal("ExpandPool wrote over a non-zero backup area")
	}
	f, err := os.OpenFile(d, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt([]byte{0}, label.BackupOffset(grown)+777)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}

	limit := uint64(gib + gib/2 + 12345)
	p, err := h.expand("pool-a", ownerA, limit)
	if want := limit - limit%label.DefaultClusterSize; err != nil || p.GetCapacity() != want {
		t.Fatalf("ExpandPool to %d = %v, %v; want capacity %d", limit, p, err, want)
	}
	_, err = h.expand("pool-a", ownerA, limit)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonExpansionLimit)

	p, err = h.expand("pool-a", ownerA, 0)
	if want := label.Capacity(grown, label.DefaultClusterSize); err != nil || p.GetCapacity() != want || p.GetReplicaCount() != 1 {
		t.Fatalf("ExpandPool to the disk = %v, %v; want capacity %d", p, err, want)
	}
	// Both copies record the new size; the old backup is gone.
	found := readLabels(t, d)
	if found.Label == nil || found.NeedsRepair() || found.Label.DiskSize != grown || found.Label.Capacity != p.GetCapacity() {
		t.Fatalf("labels after expansion: %+v", found)
	}
	if !areaIsZero(t, d, label.BackupOffset(gib)) {
		t.Error("the old backup area was not cleared")
	}

	h.restart()
	if got := h.get("pool-a"); got.GetCapacity() != p.GetCapacity() || got.GetUuid() != p.GetUuid() || got.GetReplicaCount() != 1 {
		t.Fatalf("after restart = %v, want %v", got, p)
	}
}

// TestExpandLoopDevice grows a loop device the way a LUN grows (backing file
// truncated, `losetup -c`) and expands the pool on it.
func TestExpandLoopDevice(t *testing.T) {
	dev, backing := disktest.Loop(t, 256<<20, 0)
	h := blockHarness(t)
	h.mustCreate("pool-a", ownerA, dev)
	if err := os.Truncate(backing, 512<<20); err != nil {
		t.Fatal(err)
	}
	disktest.Refresh(t, dev)
	p, err := h.expand("pool-a", ownerA, 0)
	if want := label.Capacity(512<<20, label.DefaultClusterSize); err != nil || p.GetCapacity() != want || p.GetDiskCapacityBytes() != 512<<20 {
		t.Fatalf("ExpandPool = %v, %v; want capacity %d", p, err, want)
	}
	h.cfg.Disks = []string{dev}
	h.restart()
	if got := h.get("pool-a"); got.GetCapacity() != p.GetCapacity() {
		t.Fatalf("after restart = %v", got)
	}
	found := readLabels(t, backing)
	if found.Label == nil || found.NeedsRepair() || found.Label.DiskSize != 512<<20 {
		t.Fatalf("labels after expansion: %+v", found)
	}
}

func TestCreateClusterSize(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	for _, bad := range []uint64{3 << 20, 512 << 10, 128 << 20} {
		_, err := h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d}, ClusterSizeBytes: bad})
		wantRefusal(t, err, codes.InvalidArgument, poolerr.ReasonInvalidArgument)
	}
	p, err := h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d}, ClusterSizeBytes: 1 << 20})
	if err != nil || p.GetClusterSize() != 1<<20 || p.GetCapacity() != label.Capacity(gib, 1<<20) {
		t.Fatalf("CreatePool with 1 MiB clusters = %v, %v", p, err)
	}
	if r := h.mustReplica("pool-a", replica1, 1<<20+1, false); r.GetAllocated() != 2<<20 {
		t.Fatalf("replica of 1 MiB + 1 allocates %d, want 2 MiB", r.GetAllocated())
	}
	h.restart()
	if got := h.get("pool-a"); got.GetClusterSize() != 1<<20 {
		t.Fatalf("after restart cluster size = %d", got.GetClusterSize())
	}
}

func TestOwnerIdentity(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	req := &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d},
		OwnerKind: "DiskPool", OwnerNamespace: "openebs", OwnerName: "pool-a"}
	bad := &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d}, OwnerNamespace: "Not_A_Namespace"}
	_, err := h.client.CreatePool(h.ctx, bad)
	wantRefusal(t, err, codes.InvalidArgument, poolerr.ReasonInvalidArgument)
	p, err := h.client.CreatePool(h.ctx, req)
	if err != nil || p.GetOwnerKind() != "DiskPool" || p.GetOwnerNamespace() != "openebs" || p.GetOwnerName() != "pool-a" {
		t.Fatalf("CreatePool = %v, %v", p, err)
	}
	h.restart()
	list, err := h.client.ListPools(h.ctx, &agentv1.ListPoolsRequest{})
	if err != nil || len(list.GetPools()) != 1 || list.GetPools()[0].GetOwnerName() != "pool-a" || list.GetPools()[0].GetOwnerKind() != "DiskPool" {
		t.Fatalf("ListPools after restart = %v, %v", list, err)
	}

	// A pool created without the identity gets it from the next CreatePool
	// of the same owner (once), and loses it to an adopter.
	d2 := h.disk("sdc", gib)
	h.mustCreate("pool-b", ownerA, d2)
	before := fileHash(t, d2)
	req.Name, req.Disks, req.OwnerName = "pool-b", []string{d2}, "pool-b"
	if p, err := h.client.CreatePool(h.ctx, req); err != nil || p.GetOwnerName() != "pool-b" {
		t.Fatalf("CreatePool with the identity = %v, %v", p, err)
	}
	if fileHash(t, d2) == before || readLabels(t, d2).Label.OwnerName != "pool-b" {
		t.Fatal("the identity was not recorded on disk")
	}
	before = fileHash(t, d2)
	if _, err := h.client.CreatePool(h.ctx, req); err != nil || fileHash(t, d2) != before {
		t.Fatalf("a repeated CreatePool wrote (%v)", err)
	}
	adopt := &agentv1.CreatePoolRequest{Name: "pool-b", OwnerUid: ownerB, AdoptOwnerUid: ownerA, Disks: []string{d2}, OwnerKind: "DiskPool", OwnerNamespace: "other", OwnerName: "pool-b"}
	if p, err := h.client.CreatePool(h.ctx, adopt); err != nil || p.GetOwnerUid() != ownerB || p.GetOwnerNamespace() != "other" {
		t.Fatalf("adopt = %v, %v", p, err)
	}
}

// TestVersion1LabelMigrates: a pool whose disk carries a version 1 label
// (what the previous agent wrote) is imported unchanged, and its next write
// stores version 2 in both copies.
func TestVersion1LabelMigrates(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	p := h.mustCreate("pool-a", ownerA, d)
	h.stop()
	downgradeLabel(t, d, gib)
	h.start()
	if got := h.get("pool-a"); got.GetUuid() != p.GetUuid() || got.GetCapacity() != p.GetCapacity() {
		t.Fatalf("version 1 import = %v, want %v", got, p)
	}
	h.mustReplica("pool-a", replica1, 8<<20, false)
	for _, off := range []int64{label.PrimaryOffset, label.BackupOffset(gib)} {
		if v := areaVersion(t, d, off); v != label.Version {
			t.Errorf("area at %d has version %d after the write, want %d", off, v, label.Version)
		}
	}
}

// downgradeLabel rewrites both label areas of path as version 1 labels:
// the version 2 fields dropped from the payload, checksums recomputed.
func downgradeLabel(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	found, err := label.Read(f, size)
	if err != nil || found.Label == nil {
		t.Fatalf("read: %v", err)
	}
	l := found.Label.Clone()
	l.Capacity, l.OwnerKind, l.OwnerNamespace, l.OwnerName = 0, "", "", ""
	area, err := label.Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	c := crc32.MakeTable(crc32.Castagnoli)
	binary.LittleEndian.PutUint32(area[8:], 1)
	binary.LittleEndian.PutUint32(area[60:], crc32.Checksum(area[:60], c))
	for _, off := range []int64{label.PrimaryOffset, label.BackupOffset(size)} {
		if _, err := f.WriteAt(area, off); err != nil {
			t.Fatal(err)
		}
		if v := areaVersion(t, path, off); v != 1 {
			t.Fatalf("downgrade failed: version %d", v)
		}
	}
}

func areaVersion(t *testing.T, path string, off int64) uint32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, 12)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint32(b[8:])
}
