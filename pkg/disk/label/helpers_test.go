package label

import (
	"encoding/binary"
	"hash/crc32"
)

// resealPayload replaces the payload of area and fixes both checksums, so
// only the payload's content is wrong.
func resealPayload(area, payload []byte) []byte {
	a := make([]byte, AreaSize)
	copy(a, area[:HeaderSize])
	copy(a[HeaderSize:], payload)
	le := binary.LittleEndian
	le.PutUint32(a[32:], uint32(len(payload)))
	le.PutUint32(a[36:], crc32.Checksum(payload, castagnoli))
	le.PutUint32(a[60:], crc32.Checksum(a[:60], castagnoli))
	return a
}

// resealVersion sets the format version and fixes the header checksum.
func resealVersion(area []byte, v uint32) []byte {
	a := append([]byte(nil), area...)
	binary.LittleEndian.PutUint32(a[8:], v)
	binary.LittleEndian.PutUint32(a[60:], crc32.Checksum(a[:60], castagnoli))
	return a
}
