package label

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
)

// memDisk is a sparse in-memory Disk of any size (4 KiB pages on demand)
// that records its writes.
type memDisk struct {
	size   int64
	pages  map[int64][]byte
	writes []signature.Range
}

const page = 4096

func newMemDisk(size int64) *memDisk { return &memDisk{size: size, pages: map[int64][]byte{}} }

func (m *memDisk) Size() int64 { return m.size }
func (m *memDisk) Sync() error { return nil }

func (m *memDisk) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > m.size {
		return 0, fmt.Errorf("read [%d, %d) past the end (%d)", off, off+int64(len(b)), m.size)
	}
	for i := 0; i < len(b); {
		at := off + int64(i)
		n := min(len(b)-i, int(page-at%page))
		if p := m.pages[at/page]; p != nil {
			copy(b[i:i+n], p[at%page:])
		} else {
			clear(b[i : i+n])
		}
		i += n
	}
	return len(b), nil
}

func (m *memDisk) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > m.size {
		return 0, fmt.Errorf("write [%d, %d) past the end (%d)", off, off+int64(len(b)), m.size)
	}
	m.writes = append(m.writes, signature.Range{Off: off, Len: int64(len(b))})
	m.poke(b, off)
	return len(b), nil
}

func (m *memDisk) poke(b []byte, off int64) {
	for i, v := range b {
		n := (off + int64(i)) / page
		if m.pages[n] == nil {
			m.pages[n] = make([]byte, page)
		}
		m.pages[n][(off+int64(i))%page] = v
	}
}

// scenario is a disk before a write and the write: a new pool, or the
// expansion of a pool written at size onto the disk grown to grown.
type scenario struct {
	size, grown int64
}

// setUp returns the disk and the label to write for s.
func (s scenario) setUp(t testing.TB) (*memDisk, *Label, int64) {
	d := newMemDisk(s.size)
	l := sample()
	if s.grown == 0 {
		return d, l, s.size
	}
	if err := Write(d, l, s.size); err != nil {
		t.Fatalf("write at %d: %v", s.size, err)
	}
	d.size, d.writes = s.grown, nil
	return d, l, s.grown
}

// zeroRanges returns the ranges a clean run of s writes that are all zero
// before it: both label areas of a new pool; for an expansion, the new
// backup area when it moved (the other ranges hold the pool's own label).
func (s scenario) zeroRanges(t testing.TB) []signature.Range {
	d, l, size := s.setUp(t)
	before := newMemDisk(d.size)
	for k, v := range d.pages {
		before.pages[k] = append([]byte(nil), v...)
	}
	if err := Write(d, l, size); err != nil {
		t.Fatalf("clean write of %+v: %v", s, err)
	}
	var out []signature.Range
	for _, r := range d.writes {
		b := make([]byte, r.Len)
		_, _ = before.ReadAt(b, r.Off)
		if firstNonZero(b) < 0 {
			out = append(out, r)
		}
	}
	return out
}

// refuses pokes one byte into r on s's disk and checks the write is refused
// with nothing written.
func (s scenario) refuses(t testing.TB, r signature.Range, pos int64, v byte) {
	d, l, size := s.setUp(t)
	d.poke([]byte{v | 1}, r.Off+pos%r.Len)
	_, err := PrepareWrite(d, l, size)
	var no *NotOursError
	if !errors.As(err, &no) {
		t.Fatalf("%+v with a byte at %d: PrepareWrite = %v, want NotOursError", s, r.Off+pos%r.Len, err)
	}
	if len(d.writes) != 0 {
		t.Fatalf("%+v: refused but wrote %v", s, d.writes)
	}
}

func randomScenario(rng *rand.Rand) scenario {
	size := MinDiskSize + rng.Int64N(2<<40)
	if rng.IntN(2) == 0 {
		return scenario{size: size}
	}
	return scenario{size: size, grown: size + 1 + rng.Int64N(1<<40)}
}

// TestPlanChecksEveryByte: PrepareWrite, on its own (no probe before it),
// refuses a new pool or an expansion when any byte it would write over
// zero is not zero.
func TestPlanChecksEveryByte(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := 0; i < 60; i++ {
		s := randomScenario(rng)
		ranges := s.zeroRanges(t)
		if s.grown == 0 && len(ranges) != 2 {
			t.Fatalf("%+v: %d ranges written over zero, want the 2 label areas", s, len(ranges))
		}
		for _, r := range ranges {
			s.refuses(t, r, rng.Int64N(r.Len), byte(rng.IntN(256)))
			s.refuses(t, r, 0, 1)
			s.refuses(t, r, r.Len-1, 1)
		}
	}
}

func TestPlanOwnAndForeignLabels(t *testing.T) {
	d := newMemDisk(gib)
	l := sample()
	if err := Write(d, l, gib); err != nil {
		t.Fatal(err)
	}
	// Rewriting over its own label is fine.
	if err := Write(d, l, gib); err != nil || l.Generation != 2 {
		t.Fatalf("rewrite: %v, generation %d", err, l.Generation)
	}
	// Another pool's label is not ours to write over, nor to erase.
	other := sample()
	other.UUID = "0f2b7c1e-8a4d-4b0e-9a57-3c1d2e4f5a6c"
	d.writes = nil
	var no *NotOursError
	if _, err := PrepareWrite(d, other, gib); !errors.As(err, &no) || len(d.writes) != 0 {
		t.Fatalf("write over another pool's label: %v, wrote %v", err, d.writes)
	}
	p, err := PrepareErase(d, other.UUID, 0)
	if err != nil || len(p.Ranges()) != 0 {
		t.Fatalf("erase of another pool's label plans %v, %v", p, err)
	}
	p, err = PrepareErase(d, l.UUID, 0)
	if err != nil || len(p.Ranges()) != 2 {
		t.Fatalf("erase of its own label plans %v, %v", p, err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); !errors.Is(err, ErrCommitted) {
		t.Fatalf("second Commit = %v, want ErrCommitted", err)
	}
	if f, _ := Read(d, gib); !errors.Is(f.Err(), ErrNoLabel) {
		t.Fatalf("after erase: %v", f.Err())
	}
}

// TestVersion1Migrates: a version 1 label is read, and the next write
// stores version 2 in both copies, primary first (the backup, still version
// 1 while the primary is written, is a valid older generation).
func TestVersion1Migrates(t *testing.T) {
	d := newMemDisk(gib)
	l := sample()
	if err := Write(d, l, gib); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{PrimaryOffset, BackupOffset(gib)} {
		a := make([]byte, AreaSize)
		_, _ = d.ReadAt(a, off)
		d.poke(resealVersion(a, 1), off)
	}
	f, err := Read(d, gib)
	if err != nil || f.Label == nil || f.NeedsRepair() {
		t.Fatalf("version 1 label: %v %+v", err, f)
	}
	got := f.Label
	got.OwnerKind, got.OwnerNamespace, got.OwnerName = "DiskPool", "ns", "pool-a"
	// A crash after the primary: version 2 primary, version 1 backup, the
	// newer generation read.
	torn := newMemDisk(gib)
	for k, v := range d.pages {
		torn.pages[k] = append([]byte(nil), v...)
	}
	p, err := PrepareWrite(torn, got.Clone(), gib)
	if err != nil {
		t.Fatal(err)
	}
	p.writes = p.writes[:1]
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if f, err := Read(torn, gib); err != nil || f.Label == nil || f.Label.OwnerName != "pool-a" || !f.NeedsRepair() {
		t.Fatalf("crash in the migration: %v %+v", err, f)
	}
	if err := Write(d, got, gib); err != nil {
		t.Fatal(err)
	}
	f, err = Read(d, gib)
	if err != nil || f.Label == nil || f.NeedsRepair() || f.Label.OwnerName != "pool-a" {
		t.Fatalf("after migration: %v %+v", err, f)
	}
	for _, off := range []int64{PrimaryOffset, BackupOffset(gib)} {
		a := make([]byte, 12)
		_, _ = d.ReadAt(a, off)
		if v := a[8]; v != Version {
			t.Errorf("area at %d has version %d after the write, want %d", off, v, Version)
		}
	}
}

// TestExpansionCrash: a crash after any prefix of an expansion's writes
// leaves a disk Read finds the pool on (old or new generation).
func TestExpansionCrash(t *testing.T) {
	const grown = 2*gib + 12345
	for n := 0; n <= 3; n++ {
		d := newMemDisk(gib)
		l := sample()
		if err := Write(d, l, gib); err != nil {
			t.Fatal(err)
		}
		d.size = grown
		p, err := PrepareWrite(d, l, grown)
		if err != nil {
			t.Fatal(err)
		}
		p.writes = p.writes[:n] // the crash
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
		f, err := Read(d, grown)
		if err != nil || f.Label == nil {
			t.Fatalf("crash after %d writes: pool lost: %v %+v", n, err, f)
		}
	}
}

// FuzzPrepareWrite is TestPlanChecksEveryByte with the sizes, the range,
// the position and the byte chosen by the fuzzer.
func FuzzPrepareWrite(f *testing.F) {
	f.Add(int64(1_000_204_886_016), int64(0), uint8(1), int64(0), byte(1))
	f.Add(int64(MinDiskSize), int64(gib), uint8(0), int64(AreaSize-1), byte(0x80))
	f.Add(int64(gib+511), int64(0), uint8(1), int64(12345), byte(0xff))
	f.Fuzz(func(t *testing.T, size, grow int64, which uint8, pos int64, v byte) {
		s := scenario{size: MinDiskSize + int64(uint64(size)%(4<<40))}
		if grow != 0 {
			s.grown = s.size + 1 + int64(uint64(grow)%(4<<40))
		}
		ranges := s.zeroRanges(t)
		if len(ranges) == 0 {
			return // an expansion within the same 256 KiB: nothing written was zero
		}
		r := ranges[int(which)%len(ranges)]
		s.refuses(t, r, int64(uint64(pos)%uint64(r.Len)), v)
	})
}
