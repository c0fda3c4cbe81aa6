package agent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// The tests in this file hold the agent to its central promise: it writes
// only bytes it has just read and found zero or its own label. The ranges
// poked are the ones the agent really writes (recorded on a clean disk of
// the same size), not ones computed from the layout.

// pokeByte writes one non-zero byte at off of the file at path.
func pokeByte(t testing.TB, path string, off int64, v byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.WriteAt([]byte{v | 1}, off); err != nil {
		t.Fatal(err)
	}
}

func sparseFile(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

// writeChecker runs bare Agents (no gRPC, no import) on sparse files in one
// allowed directory, so a fuzz target can make thousands of them.
type writeChecker struct {
	dir    string
	r      *disk.Resolver
	opener *faultyOpener
	n      atomic.Int64
}

func newWriteChecker(t testing.TB) *writeChecker {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := disk.NewResolver([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	return &writeChecker{dir: dir, r: r, opener: &faultyOpener{}}
}

func (w *writeChecker) agent(t testing.TB) *Agent {
	a, err := New(Config{Node: "node-a", Resolver: w.r, Opener: w.opener})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *writeChecker) disk(t testing.TB, size int64) string {
	p := filepath.Join(w.dir, fmt.Sprintf("d%d", w.n.Add(1)))
	sparseFile(t, p, size)
	t.Cleanup(func() { _ = os.Remove(p) })
	return p
}

var quietCtx = klog.NewContext(context.Background(), klog.Background().V(10))

// createRanges returns what CreatePool writes to a clean disk of size.
func (w *writeChecker) createRanges(t testing.TB, size int64) []signature.Range {
	d := w.disk(t, size)
	if _, err := w.agent(t).CreatePool(quietCtx, &agentv1.CreatePoolRequest{Name: "probe", OwnerUid: ownerA, Disks: []string{d}}); err != nil {
		t.Fatalf("CreatePool on a clean %d-byte disk: %v", size, err)
	}
	return w.opener.written(d)
}

// refusesPoke pokes one byte into r on a clean disk of size and checks
// CreatePool refuses it as DiskInUse with nothing written.
func (w *writeChecker) refusesPoke(t testing.TB, size int64, r signature.Range, pos int64, v byte) {
	d := w.disk(t, size)
	off := r.Off + pos%r.Len
	pokeByte(t, d, off, v)
	_, err := w.agent(t).CreatePool(quietCtx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d}})
	if poolerr.Reason(err) != poolerr.ReasonDiskInUse {
		t.Fatalf("disk of %d bytes with byte %#x at %d (in written range [%d, %d)): CreatePool = %v, want DiskInUse",
			size, v|1, off, r.Off, r.Off+r.Len, err)
	}
	if got := w.opener.written(d); len(got) != 0 {
		t.Fatalf("disk of %d bytes with a byte at %d: refused but wrote %v", size, off, got)
	}
}

// randomSize draws disk sizes from small to 4 TiB, mostly not a multiple of
// 256 KiB, 4 KiB or even 512.
func randomSize(rng *rand.Rand) int64 {
	switch rng.IntN(4) {
	case 0:
		return label.MinDiskSize + rng.Int64N(64<<20)
	case 1:
		return 64<<20 + rng.Int64N(16<<30)
	case 2:
		return (rng.Int64N(1<<22) + 64) << 18 // a multiple of 256 KiB
	}
	return 1<<30 + rng.Int64N(4<<40)
}

// TestCreateRefusesEveryWrittenByte: for random disk sizes, one non-zero
// byte anywhere in any range CreatePool writes makes it refuse, writing
// nothing.
func TestCreateRefusesEveryWrittenByte(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	w := newWriteChecker(t)
	for i := 0; i < 25; i++ {
		size := randomSize(rng)
		ranges := w.createRanges(t, size)
		if len(ranges) != 2 {
			t.Fatalf("CreatePool on %d bytes wrote %v, want the two label areas", size, ranges)
		}
		for _, r := range ranges {
			w.refusesPoke(t, size, r, rng.Int64N(r.Len), byte(rng.IntN(256)))
			// The edges, where an off-by-one would hide.
			w.refusesPoke(t, size, r, 0, 0x80)
			w.refusesPoke(t, size, r, r.Len-1, 0x01)
		}
	}
}

// TestOddSizeDisk is the disk of issue 18: 1,000,204,886,016 bytes, not a
// multiple of 256 KiB, so the backup area starts 1,269,760 bytes before the
// end, beyond the last MiB that used to be all that was read.
func TestOddSizeDisk(t *testing.T) {
	const size = 1_000_204_886_016
	backup := label.BackupOffset(size)
	if size-backup != 1_269_760 {
		t.Fatalf("backup area at %d, %d bytes before the end; the layout changed", backup, size-backup)
	}
	w := newWriteChecker(t)
	ranges := w.createRanges(t, size)
	want := []signature.Range{{Off: label.PrimaryOffset, Len: label.AreaSize}, {Off: backup, Len: label.AreaSize}}
	if fmt.Sprint(ranges) != fmt.Sprint(want) {
		t.Fatalf("CreatePool wrote %v, want %v", ranges, want)
	}
	// A byte in the part of the backup area the old 1 MiB tail never saw,
	// and one at each end of each area.
	w.refusesPoke(t, size, want[1], 0, 0x42)
	w.refusesPoke(t, size, want[1], size-1<<20-backup-1, 0x42)
	for _, r := range want {
		w.refusesPoke(t, size, r, r.Len-1, 0x42)
		w.refusesPoke(t, size, r, 4096, 0x42)
	}
	// The probe alone (before the write path's own check) sees a byte at the
	// start of the backup area, 1,269,760 bytes before the end.
	d := w.disk(t, size)
	pokeByte(t, d, backup, 0x42)
	r, err := w.r.Resolve(d)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := w.agent(t).probeDisk(r)
	if err != nil || pr.content != contentUnrecognised || pr.nonZero != backup {
		t.Fatalf("probe of the odd-size disk with a byte at %d: %+v, %v", backup, pr, err)
	}
	// A clean one is created, and reads back from both copies.
	d = w.disk(t, size)
	p, err := w.agent(t).CreatePool(quietCtx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d}})
	if err != nil || p.GetCapacity() != label.Capacity(size, label.DefaultClusterSize) {
		t.Fatalf("CreatePool = %v, %v", p, err)
	}
	f, err := os.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	found, err := label.Read(f, size)
	if err != nil || found.Label == nil || found.NeedsRepair() {
		t.Fatalf("labels of the odd-size disk: %v %+v", err, found)
	}
}

// FuzzCreatePoolChecksEveryByte is TestCreateRefusesEveryWrittenByte with
// the size, the range, the position and the byte chosen by the fuzzer.
func FuzzCreatePoolChecksEveryByte(f *testing.F) {
	f.Add(int64(1_000_204_886_016), uint8(1), int64(0), byte(1))
	f.Add(int64(label.MinDiskSize), uint8(0), int64(label.AreaSize-1), byte(0x80))
	f.Add(int64(1<<30+12345), uint8(1), int64(77777), byte(0xff))
	w := newWriteChecker(f)
	f.Fuzz(func(t *testing.T, size int64, which uint8, pos int64, v byte) {
		size = label.MinDiskSize + int64(uint64(size)%(4<<40))
		ranges := w.createRanges(t, size)
		r := ranges[int(which)%len(ranges)]
		w.refusesPoke(t, size, r, int64(uint64(pos)%uint64(r.Len)), v)
	})
}

// TestExpandRefusesEveryWrittenByte: for random sizes and growths, a byte
// anywhere in the range ExpandPool writes over zero (the new backup area)
// makes it refuse, writing nothing.
func TestExpandRefusesEveryWrittenByte(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	w := newWriteChecker(t)
	expand := func(size, grown int64, poke func(path string)) (string, error) {
		d := w.disk(t, size)
		a := w.agent(t)
		if _, err := a.CreatePool(quietCtx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, Disks: []string{d}}); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(d, grown); err != nil {
			t.Fatal(err)
		}
		poke(d)
		n := len(w.opener.written(d))
		_, err := a.ExpandPool(quietCtx, &agentv1.ExpandPoolRequest{Name: "pool-a", OwnerUid: ownerA})
		if err != nil && len(w.opener.written(d)) != n {
			t.Fatalf("ExpandPool from %d to %d refused (%v) but wrote %v", size, grown, err, w.opener.written(d)[n:])
		}
		return d, err
	}
	for i := 0; i < 15; i++ {
		size := randomSize(rng)
		grown := size + 1<<20 + rng.Int64N(1<<40)
		d, err := expand(size, grown, func(string) {})
		if err != nil {
			t.Fatalf("ExpandPool from %d to %d: %v", size, grown, err)
		}
		written := w.opener.written(d)
		newBackup := written[2] // after the two creation writes: the new backup first
		if newBackup.Off != label.BackupOffset(grown) {
			t.Fatalf("ExpandPool wrote %v first, want the new backup area", newBackup)
		}
		for _, pos := range []int64{0, rng.Int64N(newBackup.Len), newBackup.Len - 1} {
			_, err := expand(size, grown, func(p string) { pokeByte(t, p, newBackup.Off+pos, byte(rng.IntN(256))) })
			if poolerr.Reason(err) != poolerr.ReasonDiskInUse {
				t.Fatalf("ExpandPool from %d to %d with a byte at %d = %v, want DiskInUse", size, grown, newBackup.Off+pos, err)
			}
		}
	}
}
