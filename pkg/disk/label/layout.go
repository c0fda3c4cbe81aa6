// Package label reads and writes the diskpool label: the record on each
// pool disk that makes a pool survive agent and node restarts.
//
// # Layout
//
// A label area is 128 KiB. Two copies are kept, so one torn or damaged copy
// never loses the pool:
//
//	[0, 512 KiB)               reserved, never written (MBR, GPT, LVM, xfs,
//	                           ext, btrfs and ZFS L0/L1 live here, so a disk
//	                           that gets any of them is seen as overwritten)
//	[512 KiB, 640 KiB)         primary label area
//	[1 MiB, B)                 data region (capacity: whole clusters)
//	[B, B+128 KiB)             backup label area, B = end - 1 MiB, with end
//	                           the disk size aligned down to 256 KiB
//	[B+128 KiB, size)          reserved, never written (GPT backup, md 0.90
//	                           and 1.0, ZFS L2/L3)
//
// An area starts with a 64-byte little-endian header, followed by the JSON
// payload (a Label), zero-padded to the end of the area:
//
//	0   [8]byte magic "DISKPOOL"
//	8   uint32  format version (Version; 1 is still read)
//	12  uint32  header size (64)
//	16  uint64  generation: +1 on every write; the valid copy with the
//	            highest generation wins
//	24  uint64  disk size the label is laid out for: B is computed from it,
//	            so the backup is found after a disk grew; it changes only
//	            when the pool is created or expanded
//	32  uint32  payload length
//	36  uint32  CRC-32C of the payload
//	40  [20]byte reserved, zero
//	60  uint32  CRC-32C of bytes 0..59
package label

import (
	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
)

const (
	// Magic starts every label area.
	Magic = "DISKPOOL"
	// Version is the label format version this package writes. It reads it
	// and version 1 (no owner identity, no capacity field); a version 1
	// label is rewritten as Version on its pool's next write.
	Version = 2
	// HeaderSize is the size of the binary header.
	HeaderSize = 64
	// AreaSize is the size of one label area.
	AreaSize = 128 << 10
	// MaxPayload is the largest JSON payload a label area holds.
	MaxPayload = AreaSize - HeaderSize
	// PrimaryOffset is where the primary label area starts.
	PrimaryOffset = 512 << 10
	// DataOffset is where the data region starts.
	DataOffset = 1 << 20
	// tailAlign is the alignment of the disk end the backup is placed from
	// (the ZFS label size, so ZFS L2/L3 never overlap it).
	tailAlign = 256 << 10
	// tailReserve is the distance from the aligned end to the backup area.
	tailReserve = 1 << 20

	// DefaultClusterSize is the allocation unit of replicas.
	DefaultClusterSize = 4 << 20
	// MinDiskSize is the smallest disk a pool is created on.
	MinDiskSize = 16 << 20
)

// BackupOffset returns where the backup area of a disk of the given size
// starts, or -1 when the disk is too small to hold one.
func BackupOffset(size int64) int64 {
	off := size&^(tailAlign-1) - tailReserve
	if off < DataOffset {
		return -1
	}
	return off
}

// TailWindow returns how much of the end of a disk of the given size a
// probe must read to see every byte a label laid out for that size is
// written to: the last MiB (signature.WindowSize), or, on a disk whose size
// is not a multiple of 256 KiB, from the backup area on (up to 1.25 MiB).
func TailWindow(size int64) int64 {
	if b := BackupOffset(size); b >= 0 {
		return max(signature.WindowSize, size-b)
	}
	return signature.WindowSize
}

// Capacity returns the data capacity of a disk of the given size in whole
// clusters, or 0 when it is too small.
func Capacity(size int64, clusterSize uint64) uint64 {
	b := BackupOffset(size)
	if b < 0 || clusterSize == 0 {
		return 0
	}
	data := uint64(b - DataOffset)
	return data - data%clusterSize
}

// Areas returns the label areas of a disk of the given size; recorded, when
// non-zero and different, adds the backup area of a disk of that size (where
// the backup was before the disk grew). Signature checks ignore these ranges.
func Areas(size, recorded int64) []signature.Range {
	areas := []signature.Range{{Off: PrimaryOffset, Len: AreaSize}}
	if b := BackupOffset(size); b >= 0 {
		areas = append(areas, signature.Range{Off: b, Len: AreaSize})
	}
	if recorded > 0 && recorded != size {
		if b := BackupOffset(recorded); b >= 0 && b+AreaSize <= size {
			areas = append(areas, signature.Range{Off: b, Len: AreaSize})
		}
	}
	return areas
}
