package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// ReadLabel reads the label areas of a disk file.
func ReadLabel(t testing.TB, path string) *label.Found {
	t.Helper()
	fh := open(t, path)
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	found, err := label.Read(fh, fi.Size())
	if err != nil {
		t.Fatalf("read label of %s: %v", path, err)
	}
	return found
}

// FileHash returns the SHA-256 of the whole file: a disk the system must
// not write hashes the same before and after.
func FileHash(t testing.TB, path string) string {
	t.Helper()
	fh := open(t, path)
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DataHash returns the SHA-256 of a disk's data region (between its label
// areas): what adopting or recovering a pool must never change.
func DataHash(t testing.TB, path string) string {
	t.Helper()
	fh := open(t, path)
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	end := label.BackupOffset(fi.Size())
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(fh, label.DataOffset, end-label.DataOffset)); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FirstMiBIsZero reports whether the first MiB of path reads as zeros: no
// label, no signature, nothing written.
func FirstMiBIsZero(t testing.TB, path string) bool {
	t.Helper()
	fh := open(t, path)
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(fh, buf); err != nil {
		t.Fatal(err)
	}
	return bytes.Count(buf, []byte{0}) == len(buf)
}

// DeviceSize is the size in bytes of a file or a block device (whose
// Stat says 0).
func DeviceSize(t testing.TB, path string) int64 {
	t.Helper()
	n, err := open(t, path).Seek(0, io.SeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// open opens path for reading until the test ends.
func open(t testing.TB, path string) *os.File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fh.Close() })
	return fh
}
