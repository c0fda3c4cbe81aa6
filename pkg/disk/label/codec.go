package label

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrNoLabel means the area does not start with Magic: no diskpool label.
var ErrNoLabel = errors.New("no diskpool label")

// ErrTooLarge means a label does not fit in a label area.
var ErrTooLarge = errors.New("label too large for its area")

// CorruptError is returned for an area that starts with Magic but is not a
// valid label: bad checksum, unsupported version, malformed payload.
type CorruptError struct {
	// Version is the format version in the header (may itself be garbage).
	Version uint32
	Reason  string
}

func (e *CorruptError) Error() string { return "corrupt diskpool label: " + e.Reason }

// Unsupported reports whether the label is from a newer format version.
func (e *CorruptError) Unsupported() bool { return e.Version > Version }

func corrupt(version uint32, format string, args ...any) error {
	return &CorruptError{Version: version, Reason: fmt.Sprintf(format, args...)}
}

// Encode returns the AreaSize bytes of the label area for l.
func Encode(l *Label) ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("invalid label: %w", err)
	}
	payload, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("encode label: %w", err)
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(payload), MaxPayload)
	}
	area := make([]byte, AreaSize)
	copy(area, Magic)
	le := binary.LittleEndian
	le.PutUint32(area[8:], Version)
	le.PutUint32(area[12:], HeaderSize)
	le.PutUint64(area[16:], l.Generation)
	le.PutUint64(area[24:], uint64(l.DiskSize))
	le.PutUint32(area[32:], uint32(len(payload)))
	le.PutUint32(area[36:], crc32.Checksum(payload, castagnoli))
	le.PutUint32(area[60:], crc32.Checksum(area[:60], castagnoli))
	copy(area[HeaderSize:], payload)
	return area, nil
}

// HasMagic reports whether area starts with Magic.
func HasMagic(area []byte) bool {
	return len(area) >= len(Magic) && string(area[:len(Magic)]) == Magic
}

// Parse decodes a label area. It returns ErrNoLabel when the area has no
// Magic, a *CorruptError when it has Magic but is not a valid label of a
// supported version, and never panics whatever the bytes.
func Parse(area []byte) (*Label, error) {
	if !HasMagic(area) {
		return nil, ErrNoLabel
	}
	if len(area) < HeaderSize {
		return nil, corrupt(0, "truncated header: %d bytes", len(area))
	}
	le := binary.LittleEndian
	version := le.Uint32(area[8:])
	if got, want := le.Uint32(area[60:]), crc32.Checksum(area[:60], castagnoli); got != want {
		return nil, corrupt(version, "header checksum mismatch (stored %08x, computed %08x)", got, want)
	}
	if version != Version && version != 1 {
		if version > Version {
			return nil, corrupt(version, "label format version %d is newer than this agent supports (%d); upgrade the agent", version, Version)
		}
		return nil, corrupt(version, "unknown label format version %d", version)
	}
	if hs := le.Uint32(area[12:]); hs != HeaderSize {
		return nil, corrupt(version, "header size %d, want %d", hs, HeaderSize)
	}
	if !bytes.Equal(area[40:60], make([]byte, 20)) {
		return nil, corrupt(version, "reserved header bytes are not zero")
	}
	n := le.Uint32(area[32:])
	if n == 0 || n > MaxPayload || int(n) > len(area)-HeaderSize {
		return nil, corrupt(version, "payload length %d out of range", n)
	}
	payload := area[HeaderSize : HeaderSize+int(n)]
	if got, want := le.Uint32(area[36:]), crc32.Checksum(payload, castagnoli); got != want {
		return nil, corrupt(version, "payload checksum mismatch (stored %08x, computed %08x)", got, want)
	}
	l, err := decodePayload(payload)
	if err != nil {
		return nil, corrupt(version, "%v", err)
	}
	if version == 1 && (l.Capacity != 0 || l.OwnerKind != "" || l.OwnerNamespace != "" || l.OwnerName != "") {
		return nil, corrupt(version, "version 1 payload has version 2 fields")
	}
	l.Generation = le.Uint64(area[16:])
	l.DiskSize = int64(le.Uint64(area[24:]))
	if l.DiskSize < 0 {
		return nil, corrupt(version, "disk size %d out of range", l.DiskSize)
	}
	if err := l.Validate(); err != nil {
		return nil, corrupt(version, "%v", err)
	}
	return l, nil
}

func decodePayload(payload []byte) (*Label, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var l Label
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if dec.More() {
		return nil, errors.New("payload: trailing data")
	}
	return &l, nil
}

// Salvage reads the pool name and owner from a corrupt area, ignoring
// checksums, so a Faulted pool can be reported under its own name. It
// returns "" for what it cannot read. The result is a hint, never trusted
// for writing.
func Salvage(area []byte) (name, owner string) {
	if !HasMagic(area) || len(area) < HeaderSize {
		return "", ""
	}
	n := int(binary.LittleEndian.Uint32(area[32:]))
	if n <= 0 || n > len(area)-HeaderSize {
		n = len(area) - HeaderSize
	}
	payload := bytes.TrimRight(area[HeaderSize:HeaderSize+n], "\x00")
	// Stream the top-level object and stop at the first damage: name and
	// ownerUID are encoded first, so they usually precede it.
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			break
		}
		var v string
		switch key {
		case "name":
			if json.Unmarshal(raw, &v) == nil {
				name = v
			}
		case "ownerUID":
			if json.Unmarshal(raw, &v) == nil {
				owner = v
			}
		}
	}
	return name, owner
}
