// Package sigtest writes the magic bytes of real on-disk formats at their
// offsets, so tests can make a sparse file look like an ext4 filesystem, a
// GPT disk or an LVM physical volume without the tools that make them.
package sigtest

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// Write is one write of magic bytes.
type Write struct {
	Off  int64
	Data []byte
}

// Sample returns the writes that make a disk of the given size carry
// signature typ. Types are the names signature.Detect reports.
func Sample(typ string, size int64) ([]Write, error) {
	switch typ {
	case "ext2", "ext3", "ext4":
		flags := make([]byte, 12)
		switch typ {
		case "ext3":
			binary.LittleEndian.PutUint32(flags[0:], 0x4) // has_journal
		case "ext4":
			binary.LittleEndian.PutUint32(flags[0:], 0x4)
			binary.LittleEndian.PutUint32(flags[4:], 0x40|0x200) // extents, flex_bg
		}
		return []Write{{1024 + 56, []byte{0x53, 0xEF}}, {1024 + 0x5C, flags}}, nil
	case "xfs":
		return []Write{{0, []byte("XFSB")}}, nil
	case "btrfs":
		return []Write{{65600, []byte("_BHRfS_M")}}, nil
	case "swap":
		return []Write{{4096 - 10, []byte("SWAPSPACE2")}}, nil
	case "gpt":
		// Protective MBR plus the primary header, as gdisk writes them.
		pmbr := make([]byte, 16)
		pmbr[4] = 0xEE
		return []Write{{446, pmbr}, {510, []byte{0x55, 0xAA}}, {512, []byte("EFI PART")}}, nil
	case "dos":
		entry := make([]byte, 16)
		entry[0], entry[4] = 0x80, 0x83
		return []Write{{446, entry}, {510, []byte{0x55, 0xAA}}}, nil
	case "LVM2_member":
		return []Write{{512, []byte("LABELONE")}, {512 + 24, []byte("LVM2 001")}}, nil
	case "crypto_LUKS":
		return []Write{{0, []byte("LUKS\xba\xbe")}}, nil
	case "linux_raid_member":
		return []Write{{4096, []byte{0xfc, 0x4e, 0x2b, 0xa9}}}, nil
	case "zfs_member":
		magic := make([]byte, 8)
		binary.LittleEndian.PutUint64(magic, 0x00bab10c)
		return []Write{{128<<10 + 5*1024, magic}}, nil
	}
	return nil, fmt.Errorf("sigtest: no sample for %q", typ)
}

// Types returns every type Sample knows, sorted.
func Types() []string {
	t := []string{"ext2", "ext3", "ext4", "xfs", "btrfs", "swap", "gpt", "dos",
		"LVM2_member", "crypto_LUKS", "linux_raid_member", "zfs_member"}
	sort.Strings(t)
	return t
}

// Apply writes a sample of typ to w, a disk of the given size.
func Apply(w io.WriterAt, typ string, size int64) error {
	writes, err := Sample(typ, size)
	if err != nil {
		return err
	}
	for _, wr := range writes {
		if _, err := w.WriteAt(wr.Data, wr.Off); err != nil {
			return fmt.Errorf("sigtest: write %s magic at %d: %w", typ, wr.Off, err)
		}
	}
	return nil
}
