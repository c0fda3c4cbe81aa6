package signature

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Signature is one recognised on-disk structure.
type Signature struct {
	// Type is a short name as wipefs prints it: "ext4", "xfs", "gpt",
	// "dos", "LVM2_member", "crypto_LUKS", "linux_raid_member", "zfs_member",
	// "btrfs", "swap", ...
	Type string
	// Offset is the absolute byte offset of the magic.
	Offset int64
}

func (s Signature) String() string {
	return fmt.Sprintf("%s signature at offset %d", s.Type, s.Offset)
}

// detector finds signatures of one kind.
type detector func(w *Window) []Signature

// detectors are run in this order; the first signatures found are the most
// telling (a GPT disk also has a protective MBR, reported only as gpt).
var detectors = []detector{
	detectLUKS,
	detectLVM2,
	detectMD,
	detectZFS,
	detectXFS,
	detectExt,
	detectBtrfs,
	detectSwap,
	detectGPT,
	detectMBR,
	detectOther,
}

// Detect returns every signature found in w, most telling first. An empty
// result does not mean the disk is empty: see FirstNonZero.
func Detect(w *Window) []Signature {
	var found []Signature
	for _, d := range detectors {
		found = append(found, d(w)...)
	}
	return found
}

func one(typ string, off int64) []Signature { return []Signature{{Type: typ, Offset: off}} }

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// ext2/3/4: superblock at 1024, s_magic 0xEF53 at +56. The feature flags tell
// the generations apart as blkid does.
func detectExt(w *Window) []Signature {
	const sb = 1024
	if !w.has(sb+56, []byte{0x53, 0xEF}) {
		return nil
	}
	flags := w.At(sb+0x5C, 12)
	compat, incompat, roCompat := le32(flags[0:4]), le32(flags[4:8]), le32(flags[8:12])
	const (
		compatHasJournal   = 0x4
		incompatJournalDev = 0x8
		// extents, 64bit, flex_bg, mmp, meta_bg... anything ext3 lacks.
		incompatExt4 = 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x1000 | 0x2000 | 0x8000 | 0x10000
		roCompatExt4 = 0x8 | 0x10 | 0x20 | 0x40 | 0x400
	)
	typ := "ext2"
	switch {
	case incompat&incompatJournalDev != 0:
		typ = "jbd"
	case incompat&incompatExt4 != 0 || roCompat&roCompatExt4 != 0:
		typ = "ext4"
	case compat&compatHasJournal != 0:
		typ = "ext3"
	}
	return one(typ, sb+56)
}

func detectXFS(w *Window) []Signature {
	if w.has(0, []byte("XFSB")) {
		return one("xfs", 0)
	}
	return nil
}

func detectBtrfs(w *Window) []Signature {
	const off = 65536 + 64
	if w.has(off, []byte("_BHRfS_M")) {
		return one("btrfs", off)
	}
	return nil
}

// swap: the signature ends a page, and the page size of the node that made it
// is unknown.
func detectSwap(w *Window) []Signature {
	for _, page := range []int64{4096, 8192, 16384, 65536} {
		off := page - 10
		if w.has(off, []byte("SWAPSPACE2")) || w.has(off, []byte("SWAP-SPACE")) {
			return one("swap", off)
		}
	}
	return nil
}

// GPT header at LBA 1 for 512-byte and 4096-byte sectors, and the backup
// header in the last LBA.
func detectGPT(w *Window) []Signature {
	magic := []byte("EFI PART")
	for _, off := range []int64{512, 4096, w.Size - 512, w.Size - 4096} {
		if w.has(off, magic) {
			return one("gpt", off)
		}
	}
	return nil
}

// MBR: boot signature 0x55AA and at least one plausible partition entry
// (boot flag 0x00 or 0x80, non-zero type). A GPT disk is reported as gpt.
func detectMBR(w *Window) []Signature {
	if !w.has(510, []byte{0x55, 0xAA}) || detectGPT(w) != nil {
		return nil
	}
	table := w.At(446, 64)
	used := false
	for i := 0; i < 4; i++ {
		e := table[i*16 : i*16+16]
		if e[0] != 0x00 && e[0] != 0x80 {
			return nil // not a partition table: a boot sector of a filesystem
		}
		if e[4] != 0 {
			used = true
		}
	}
	if !used {
		return nil
	}
	return one("dos", 510)
}

// LVM2: "LABELONE" in one of the first four sectors, "LVM2 001" at +24.
func detectLVM2(w *Window) []Signature {
	for sector := int64(0); sector < 4; sector++ {
		off := sector * 512
		if w.has(off, []byte("LABELONE")) && w.has(off+24, []byte("LVM2 001")) {
			return one("LVM2_member", off)
		}
	}
	return nil
}

func detectLUKS(w *Window) []Signature {
	if w.has(0, []byte("LUKS\xba\xbe")) {
		return one("crypto_LUKS", 0)
	}
	return nil
}

// mdraid: magic 0xa92b4efc. Superblock 1.1 at 0, 1.2 at 4 KiB, 1.0 at 8 KiB
// before the end (4 KiB aligned), 0.90 in the last 64 KiB-aligned 64 KiB
// (native endian, so both are checked).
func detectMD(w *Window) []Signature {
	le := []byte{0xfc, 0x4e, 0x2b, 0xa9}
	be := []byte{0xa9, 0x2b, 0x4e, 0xfc}
	sectors := w.Size / 512
	offs := []int64{0, 4096}
	if sectors >= 16 {
		offs = append(offs, ((sectors-16)&^7)*512)
	}
	if w.Size >= 128<<10 {
		offs = append(offs, (w.Size&^(64<<10-1))-64<<10)
	}
	for _, off := range offs {
		if w.has(off, le) || w.has(off, be) {
			return one("linux_raid_member", off)
		}
	}
	return nil
}

// ZFS: four 256 KiB vdev labels, two at the start and two at the end (of the
// size aligned down to 256 KiB); each holds an uberblock ring in its second
// half. Uberblocks are at least 1 KiB and start with the magic 0x00bab10c.
func detectZFS(w *Window) []Signature {
	const label = 256 << 10
	aligned := w.Size &^ (label - 1)
	if aligned < 4*label {
		return nil
	}
	var le, be [8]byte
	binary.LittleEndian.PutUint64(le[:], 0x00bab10c)
	binary.BigEndian.PutUint64(be[:], 0x00bab10c)
	for _, l := range []int64{0, label, aligned - 2*label, aligned - label} {
		for off := l + label/2; off < l+label; off += 1024 {
			b := w.At(off, 8)
			if b != nil && (bytes.Equal(b, le[:]) || bytes.Equal(b, be[:])) {
				return one("zfs_member", off)
			}
		}
	}
	return nil
}

// detectOther knows a few more common formats so the refusal can name them.
func detectOther(w *Window) []Signature {
	checks := []struct {
		typ   string
		off   int64
		magic string
	}{
		{"ntfs", 3, "NTFS    "},
		{"vfat", 82, "FAT32   "},
		{"vfat", 54, "FAT16   "},
		{"vfat", 54, "FAT12   "},
		{"iso9660", 32769, "CD001"},
		{"ceph_bluestore", 0, "bluestore block device"},
		{"bcache", 4096 + 24, "\xc6\x85\x73\xf6\x4e\x1a\x45\xca\x82\x65\xf5\x7f\x48\xba\x6d\x81"},
	}
	for _, c := range checks {
		if w.has(c.off, []byte(c.magic)) {
			return one(c.typ, c.off)
		}
	}
	return nil
}
