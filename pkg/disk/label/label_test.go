package label

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fileDisk is a sparse file as a Disk.
type fileDisk struct {
	*os.File
}

func (f fileDisk) Size() int64 {
	fi, err := f.Stat()
	if err != nil {
		panic(err)
	}
	return fi.Size()
}

func newDisk(t *testing.T, size int64) fileDisk {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return fileDisk{f}
}

func sample() *Label {
	return &Label{
		Name:        "pool-a",
		UUID:        "0f2b7c1e-8a4d-4b0e-9a57-3c1d2e4f5a6b",
		OwnerUID:    "6b1c3f7e-1111-2222-3333-444455556666",
		Labels:      map[string]string{"tier": "fast"},
		Disks:       []string{"aio:///dev/sdb"},
		ClusterSize: DefaultClusterSize,
		CreatedAt:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Replicas: []Replica{
			{UUID: "a1b2c3d4-0000-4000-8000-000000000001", Size: 10 << 20, Allocated: 12 << 20},
			{UUID: "a1b2c3d4-0000-4000-8000-000000000002", Size: 1 << 30, Thin: true},
		},
	}
}

const gib = 1 << 30

func TestLayout(t *testing.T) {
	tests := []struct {
		size       int64
		wantBackup int64
		wantCap    uint64
	}{
		{size: gib, wantBackup: gib - 1<<20, wantCap: gib - 2<<20 - (gib-2<<20)%DefaultClusterSize},
		{size: gib + 100, wantBackup: gib - 1<<20},
		{size: 1 << 20, wantBackup: -1},
		{size: MinDiskSize, wantBackup: MinDiskSize - 1<<20, wantCap: 12 << 20},
	}
	for _, tt := range tests {
		if got := BackupOffset(tt.size); got != tt.wantBackup {
			t.Errorf("BackupOffset(%d) = %d, want %d", tt.size, got, tt.wantBackup)
		}
		if tt.wantCap != 0 {
			if got := Capacity(tt.size, DefaultClusterSize); got != tt.wantCap {
				t.Errorf("Capacity(%d) = %d, want %d", tt.size, got, tt.wantCap)
			}
		}
	}
	// The probe's tail covers the backup area whatever the size, and is the
	// last MiB when the size is a multiple of 256 KiB.
	for _, size := range []int64{gib, gib + 100, 1_000_204_886_016, MinDiskSize, MinDiskSize + 256<<10 - 1} {
		tail := TailWindow(size)
		if b := BackupOffset(size); size-tail > b || tail > 1<<20+256<<10 {
			t.Errorf("TailWindow(%d) = %d does not cover the backup area at %d", size, tail, b)
		}
		if size%(256<<10) == 0 && tail != 1<<20 {
			t.Errorf("TailWindow(%d) = %d, want 1 MiB", size, tail)
		}
	}
	// The primary area never overlaps signature offsets in the reserved head.
	if PrimaryOffset < 65600+8 || PrimaryOffset < 256<<10+256<<10 {
		t.Error("primary area overlaps btrfs or ZFS L1")
	}
}

func TestRoundTrip(t *testing.T) {
	d := newDisk(t, gib)
	l := sample()
	if err := Write(d, l, d.Size()); err != nil {
		t.Fatal(err)
	}
	if l.Generation != 1 || l.DiskSize != gib {
		t.Errorf("after Write: generation %d size %d", l.Generation, l.DiskSize)
	}
	f, err := Read(d, d.Size())
	if err != nil {
		t.Fatal(err)
	}
	if f.Err() != nil || f.NeedsRepair() {
		t.Fatalf("Read: err %v, primary %v, backup %v", f.Err(), f.PrimaryErr, f.BackupErr)
	}
	got := f.Label
	if got.Name != l.Name || got.UUID != l.UUID || got.OwnerUID != l.OwnerUID || got.Generation != 1 ||
		len(got.Replicas) != 2 || got.Replicas[0] != l.Replicas[0] || got.Labels["tier"] != "fast" || !got.CreatedAt.Equal(l.CreatedAt) {
		t.Errorf("Read = %+v, want %+v", got, l)
	}
	if got.Used() != 12<<20 || got.Committed() != 10<<20+1<<30 {
		t.Errorf("Used %d Committed %d", got.Used(), got.Committed())
	}
}

func TestReadDamage(t *testing.T) {
	tests := []struct {
		name        string
		damage      func(t *testing.T, d fileDisk)
		wantErr     string // "" = valid label
		wantRepair  bool
		wantVersion bool
	}{
		{name: "intact"},
		{name: "primary payload flipped", damage: flip(PrimaryOffset + HeaderSize + 10), wantRepair: true},
		{name: "backup header flipped", damage: flip(gib - 1<<20 + 20), wantRepair: true},
		{name: "primary zeroed", damage: zero(PrimaryOffset), wantRepair: true},
		{name: "both flipped", damage: both(flip(PrimaryOffset+HeaderSize+300), flip(gib-1<<20+HeaderSize+300)), wantErr: "payload checksum mismatch"},
		{name: "both headers flipped", damage: both(flip(PrimaryOffset+17), flip(gib-1<<20+17)), wantErr: "header checksum mismatch"},
		{name: "primary flipped backup zeroed", damage: both(flip(PrimaryOffset+HeaderSize+300), zero(gib-1<<20)), wantErr: "payload checksum mismatch"},
		{name: "both zeroed", damage: both(zero(PrimaryOffset), zero(gib-1<<20)), wantErr: ErrNoLabel.Error()},
		{name: "newer version", damage: both(version(PrimaryOffset, 7), version(gib-1<<20, 7)), wantErr: "newer than this agent", wantVersion: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDisk(t, gib)
			if err := Write(d, sample(), d.Size()); err != nil {
				t.Fatal(err)
			}
			if tt.damage != nil {
				tt.damage(t, d)
			}
			f, err := Read(d, d.Size())
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr == "" {
				if f.Label == nil || f.Label.Name != "pool-a" {
					t.Fatalf("no label: %v / %v", f.PrimaryErr, f.BackupErr)
				}
				if f.NeedsRepair() != tt.wantRepair {
					t.Errorf("NeedsRepair() = %v, want %v", f.NeedsRepair(), tt.wantRepair)
				}
				return
			}
			if f.Err() == nil || !strings.Contains(f.Err().Error(), tt.wantErr) {
				t.Fatalf("Err() = %v, want %q", f.Err(), tt.wantErr)
			}
			var ce *CorruptError
			if errors.As(f.Err(), &ce) {
				if ce.Unsupported() != tt.wantVersion {
					t.Errorf("Unsupported() = %v", ce.Unsupported())
				}
				if name, owner := f.Salvage(); name != "pool-a" || owner != sample().OwnerUID {
					t.Errorf("Salvage() = %q, %q", name, owner)
				}
			}
		})
	}
}

func TestGenerations(t *testing.T) {
	d := newDisk(t, gib)
	l := sample()
	for i := 0; i < 3; i++ {
		if err := Write(d, l, d.Size()); err != nil {
			t.Fatal(err)
		}
	}
	// A torn update: only the primary got generation 4.
	old := make([]byte, AreaSize)
	if _, err := d.ReadAt(old, gib-1<<20); err != nil {
		t.Fatal(err)
	}
	l.Replicas = nil
	if err := Write(d, l, d.Size()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WriteAt(old, gib-1<<20); err != nil {
		t.Fatal(err)
	}
	f, err := Read(d, d.Size())
	if err != nil {
		t.Fatal(err)
	}
	if f.Label.Generation != 4 || len(f.Label.Replicas) != 0 || !f.NeedsRepair() {
		t.Errorf("got generation %d with %d replicas, repair %v; want newest (4, 0, true)", f.Label.Generation, len(f.Label.Replicas), f.NeedsRepair())
	}
}

func TestGrowth(t *testing.T) {
	d := newDisk(t, gib)
	l := sample()
	if err := Write(d, l, d.Size()); err != nil {
		t.Fatal(err)
	}
	if err := d.Truncate(2 * gib); err != nil {
		t.Fatal(err)
	}
	// Primary damaged: the backup must still be found at the old end.
	area := make([]byte, AreaSize)
	if _, err := d.ReadAt(area, PrimaryOffset); err != nil {
		t.Fatal(err)
	}
	f, err := Read(d, d.Size())
	if err != nil || f.Label == nil || f.BackupErr != nil {
		t.Fatalf("after growth: %v %+v", err, f)
	}
	if err := Write(d, f.Label, d.Size()); err != nil {
		t.Fatal(err)
	}
	// The old backup is cleared, the new one is at the new end.
	old := make([]byte, AreaSize)
	if _, err := d.ReadAt(old, gib-1<<20); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, make([]byte, AreaSize)) {
		t.Error("old backup area not cleared after growth")
	}
	f, err = Read(d, d.Size())
	if err != nil || f.Label == nil || f.NeedsRepair() || f.Label.DiskSize != 2*gib {
		t.Fatalf("after rewrite: %v %+v", err, f)
	}
}

func TestErase(t *testing.T) {
	d := newDisk(t, gib)
	l := sample()
	if err := Write(d, l, d.Size()); err != nil {
		t.Fatal(err)
	}
	if err := d.Truncate(gib + 64<<20); err != nil { // grown, backup at the old end
		t.Fatal(err)
	}
	if err := Erase(d, l.UUID, l.DiskSize); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{PrimaryOffset, gib - 1<<20} {
		area := make([]byte, AreaSize)
		if _, err := d.ReadAt(area, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(area, make([]byte, AreaSize)) {
			t.Errorf("area at %d not zero after Erase", off)
		}
	}
}

func TestTooLarge(t *testing.T) {
	l := sample()
	for i := 0; i < 2000; i++ {
		l.Replicas = append(l.Replicas, Replica{UUID: fmt.Sprintf("a1b2c3d4-0000-4000-8000-%012d", i+10), Size: 1, Allocated: 1})
	}
	if _, err := Encode(l); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Encode of 2000 replicas: %v, want ErrTooLarge", err)
	}
}

func TestParseRejects(t *testing.T) {
	good, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	reseal := func(mut func(a []byte)) []byte {
		a := append([]byte(nil), good...)
		mut(a)
		return a
	}
	tests := []struct {
		name string
		area []byte
	}{
		{"short", good[:20]},
		{"unknown field", withPayload(t, `{"name":"a","uuid":"0f2b7c1e-8a4d-4b0e-9a57-3c1d2e4f5a6b","ownerUID":"o","disks":["/dev/x"],"clusterSize":4096,"extra":1}`)},
		{"bad uuid", withPayload(t, `{"name":"a","uuid":"nope","ownerUID":"o","disks":["/dev/x"],"clusterSize":4096}`)},
		{"index out of range", withPayload(t, `{"name":"a","uuid":"0f2b7c1e-8a4d-4b0e-9a57-3c1d2e4f5a6b","ownerUID":"o","disks":["/dev/x"],"diskIndex":1,"clusterSize":4096}`)},
		{"trailing data", withPayload(t, `{"name":"a","uuid":"0f2b7c1e-8a4d-4b0e-9a57-3c1d2e4f5a6b","ownerUID":"o","disks":["/dev/x"],"clusterSize":4096} {}`)},
		{"reserved bytes", reseal(func(a []byte) { a[45] = 1 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ce *CorruptError
			if _, err := Parse(tt.area); !errors.As(err, &ce) {
				t.Fatalf("Parse() error = %v, want *CorruptError", err)
			}
		})
	}
	if _, err := Parse(make([]byte, AreaSize)); !errors.Is(err, ErrNoLabel) {
		t.Errorf("Parse(zeros) = %v, want ErrNoLabel", err)
	}
}

// withPayload builds an area with a correct header around payload.
func withPayload(t *testing.T, payload string) []byte {
	t.Helper()
	a, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	return resealPayload(a, []byte(payload))
}

func flip(off int64) func(*testing.T, fileDisk) {
	return func(t *testing.T, d fileDisk) {
		b := make([]byte, 1)
		if _, err := d.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x40
		if _, err := d.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
}

func zero(off int64) func(*testing.T, fileDisk) {
	return func(t *testing.T, d fileDisk) {
		if _, err := d.WriteAt(make([]byte, AreaSize), off); err != nil {
			t.Fatal(err)
		}
	}
}

func version(off int64, v uint32) func(*testing.T, fileDisk) {
	return func(t *testing.T, d fileDisk) {
		a := make([]byte, AreaSize)
		if _, err := d.ReadAt(a, off); err != nil {
			t.Fatal(err)
		}
		a = resealVersion(a, v)
		if _, err := d.WriteAt(a, off); err != nil {
			t.Fatal(err)
		}
	}
}

func both(fs ...func(*testing.T, fileDisk)) func(*testing.T, fileDisk) {
	return func(t *testing.T, d fileDisk) {
		for _, f := range fs {
			f(t, d)
		}
	}
}

// TestReleaseReuse: areas given back by Release are read into again for
// other disks, and what is read there is only that disk's: an empty disk
// read after a labelled one has no label, and a label read after Release
// is whole. The first Found's parsed label survives its Release.
func TestReleaseReuse(t *testing.T) {
	labelled, empty := newDisk(t, gib), newDisk(t, gib)
	if err := Write(labelled, sample(), labelled.Size()); err != nil {
		t.Fatal(err)
	}
	first, err := Read(labelled, labelled.Size())
	if err != nil || first.Label == nil {
		t.Fatalf("Read: %v, %v", first, err)
	}
	kept := first.Label
	for i := range 3 {
		first.Release()
		f, err := Read(empty, empty.Size())
		if err != nil {
			t.Fatal(err)
		}
		if f.Label != nil || !errors.Is(f.Err(), ErrNoLabel) || HasMagic(f.Primary) {
			t.Fatalf("round %d: empty disk read after a release: label %v, err %v", i, f.Label, f.Err())
		}
		f.Release()
		if first, err = Read(labelled, labelled.Size()); err != nil || first.Label == nil || first.NeedsRepair() {
			t.Fatalf("round %d: labelled disk: %v, %v", i, first, err)
		}
		if _, err := PrepareWrite(empty, sample(), empty.Size()); err != nil {
			t.Fatalf("round %d: PrepareWrite on the empty disk after reads of a labelled one: %v", i, err)
		}
	}
	if kept.Name != "pool-a" || kept.UUID != sample().UUID {
		t.Errorf("label parsed before Release = %+v", kept)
	}
}
