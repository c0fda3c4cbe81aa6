package signature

import (
	"encoding/binary"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
)

// memDisk is a sparse in-memory disk: unwritten bytes read as zero.
type memDisk struct {
	size   int64
	writes []sigtest.Write
}

func (m *memDisk) WriteAt(p []byte, off int64) (int, error) {
	m.writes = append(m.writes, sigtest.Write{Off: off, Data: append([]byte(nil), p...)})
	return len(p), nil
}

func (m *memDisk) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	for _, w := range m.writes {
		for i, b := range w.Data {
			if o := w.Off + int64(i) - off; o >= 0 && o < int64(len(p)) {
				p[o] = b
			}
		}
	}
	return len(p), nil
}

func window(t *testing.T, m *memDisk) *Window {
	t.Helper()
	w, err := ReadWindow(m, m.size)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

const gib = 1 << 30

func TestDetectSamples(t *testing.T) {
	for _, typ := range sigtest.Types() {
		t.Run(typ, func(t *testing.T) {
			m := &memDisk{size: gib}
			if err := sigtest.Apply(m, typ, m.size); err != nil {
				t.Fatal(err)
			}
			got := Detect(window(t, m))
			if len(got) == 0 || got[0].Type != typ {
				t.Fatalf("Detect() = %v, want first %s", got, typ)
			}
			if _, ok := FirstNonZero(window(t, m), nil); !ok {
				t.Error("FirstNonZero found nothing on a disk with a signature")
			}
		})
	}
}

func TestDetectOffsets(t *testing.T) {
	le := func(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
	zfsBE := make([]byte, 8)
	binary.BigEndian.PutUint64(zfsBE, 0x00bab10c)
	const size = gib + 12345*512 // not aligned to anything round
	tests := []struct {
		name   string
		writes []sigtest.Write
		want   string
	}{
		{"empty", nil, ""},
		{"ext magic elsewhere", []sigtest.Write{{Off: 1081, Data: []byte{0x53, 0xEF}}}, ""},
		{"ext2 bare", []sigtest.Write{{Off: 1080, Data: []byte{0x53, 0xEF}}}, "ext2"},
		{"gpt 4k sectors", []sigtest.Write{{Off: 4096, Data: []byte("EFI PART")}}, "gpt"},
		{"gpt backup header only", []sigtest.Write{{Off: size - 512, Data: []byte("EFI PART")}}, "gpt"},
		{"mbr with empty table", []sigtest.Write{{Off: 510, Data: []byte{0x55, 0xAA}}}, ""},
		{"mbr boot code is not a table", []sigtest.Write{{Off: 446, Data: []byte{0x33, 0xc0, 0x8e, 0xd0, 0x83}}, {Off: 510, Data: []byte{0x55, 0xAA}}}, ""},
		{"lvm sector 3", []sigtest.Write{{Off: 1536, Data: []byte("LABELONE")}, {Off: 1536 + 24, Data: []byte("LVM2 001")}}, "LVM2_member"},
		{"lvm label without type", []sigtest.Write{{Off: 512, Data: []byte("LABELONE")}}, ""},
		{"swap 64k page", []sigtest.Write{{Off: 65536 - 10, Data: []byte("SWAP-SPACE")}}, "swap"},
		{"md 1.1", []sigtest.Write{{Off: 0, Data: le(0xa92b4efc)}}, "linux_raid_member"},
		{"md 1.0 at end", []sigtest.Write{{Off: ((size/512 - 16) &^ 7) * 512, Data: le(0xa92b4efc)}}, "linux_raid_member"},
		{"md 0.90 at end", []sigtest.Write{{Off: (size &^ (64<<10 - 1)) - 64<<10, Data: le(0xa92b4efc)}}, "linux_raid_member"},
		{"zfs L3 big endian", []sigtest.Write{{Off: (size &^ (256<<10 - 1)) - 256<<10 + 128<<10 + 7*1024, Data: zfsBE}}, "zfs_member"},
		{"zfs magic outside uberblock ring", []sigtest.Write{{Off: 1024, Data: zfsBE}}, ""},
		{"ntfs", []sigtest.Write{{Off: 3, Data: []byte("NTFS    ")}}, "ntfs"},
		{"iso9660", []sigtest.Write{{Off: 32769, Data: []byte("CD001")}}, "iso9660"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memDisk{size: size, writes: tt.writes}
			got := Detect(window(t, m))
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("Detect() = %v, want none", got)
				}
				return
			}
			if len(got) == 0 || got[0].Type != tt.want {
				t.Fatalf("Detect() = %v, want %s", got, tt.want)
			}
		})
	}
}

func TestFirstNonZero(t *testing.T) {
	const size = 64 << 20
	tests := []struct {
		name    string
		writes  []sigtest.Write
		ignore  []Range
		wantOff int64
		wantOK  bool
	}{
		{name: "all zero"},
		{name: "head byte", writes: []sigtest.Write{{Off: 5000, Data: []byte{1}}}, wantOff: 5000, wantOK: true},
		{name: "tail byte", writes: []sigtest.Write{{Off: size - 1, Data: []byte{1}}}, wantOff: size - 1, wantOK: true},
		{name: "middle is not read", writes: []sigtest.Write{{Off: size / 2, Data: []byte{1}}}},
		{name: "ignored", writes: []sigtest.Write{{Off: 5000, Data: []byte{1, 2}}}, ignore: []Range{{Off: 4096, Len: 4096}}},
		{name: "after ignored", writes: []sigtest.Write{{Off: 8191, Data: []byte{1, 2}}}, ignore: []Range{{Off: 4096, Len: 4096}}, wantOff: 8192, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, ok := FirstNonZero(window(t, &memDisk{size: size, writes: tt.writes}), tt.ignore)
			if ok != tt.wantOK || off != tt.wantOff {
				t.Errorf("FirstNonZero() = %d, %v; want %d, %v", off, ok, tt.wantOff, tt.wantOK)
			}
		})
	}
}

func TestSmallDisk(t *testing.T) {
	m := &memDisk{size: 8192}
	if err := sigtest.Apply(m, "xfs", m.size); err != nil {
		t.Fatal(err)
	}
	w := window(t, m)
	if got := Detect(w); len(got) != 1 || got[0].Type != "xfs" {
		t.Fatalf("Detect() = %v", got)
	}
	if w.At(8190, 4) != nil {
		t.Error("At past the end returned bytes")
	}
	empty, err := ReadWindow(&memDisk{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := Detect(empty); len(got) != 0 {
		t.Errorf("Detect(empty disk) = %v", got)
	}
}
