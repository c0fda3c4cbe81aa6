package e2e

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// ext4 (ext2/3/4) superblock magic 0xEF53, little-endian at byte 56 of the
// superblock, which starts at 1024.
const (
	extMagicOffset = 1024 + 56
	extMagic       = 0xEF53
)

// TestDiskInUse asks for a pool on a disk with an ext4 signature: the agent
// refuses it and writes nothing, the pool stays Creating with Ready reason
// DiskInUse and a Warning event, and the disk is byte-for-byte unchanged.
// Deleting the object then needs no destroy.
func TestDiskInUse(t *testing.T) {
	f := setup(t)
	disk := f.NewDisk("node-a")
	// A small disk keeps the byte-for-byte comparison quick.
	if err := os.Truncate(disk, 64<<20); err != nil {
		t.Fatal(err)
	}
	writeExtMagic(t, disk)
	hash := harness.FileHash(t, disk)

	name := harness.UniqueName("inuse-fs")
	f.CreatePool(name, "node-a", disk)
	p := f.WaitPool(name, "refused with DiskInUse", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		return harness.ReadyReason(p) == reconcile.ReasonDiskInUse
	})
	if p.Status.CRState == v1beta3.CRStateCreated || p.Status.PoolUUID != "" {
		t.Errorf("refused pool: %s; want not Created, no uuid", harness.Describe(p))
	}
	msg := ""
	for _, c := range p.Status.Conditions {
		if c.Type == v1beta3.ConditionReady {
			msg = c.Message
		}
	}
	if !strings.Contains(strings.ToLower(msg), "ext") {
		t.Errorf("Ready message %q does not name the filesystem found", msg)
	}
	out, _ := f.mustKubectl(nil, "-n", f.NS, "describe", "dsp", name)
	if !containsLine(out, "Warning", reconcile.ReasonDiskInUse) {
		t.Errorf("describe shows no Warning DiskInUse event:\n%s", out)
	}
	if got := harness.FileHash(t, disk); got != hash {
		t.Fatalf("disk %s changed: sha256 %s, was %s", disk, got, hash)
	}

	f.DeletePool(name)
	f.WaitGone(name, harness.ConvergeTimeout)
	if got := harness.FileHash(t, disk); got != hash {
		t.Fatalf("disk %s changed by the delete: sha256 %s, was %s", disk, got, hash)
	}
}

// writeExtMagic writes the ext2/3/4 superblock magic into disk, as a
// filesystem on it would have.
func writeExtMagic(t *testing.T, disk string) {
	t.Helper()
	fh, err := os.OpenFile(disk, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var magic [2]byte
	binary.LittleEndian.PutUint16(magic[:], extMagic)
	if _, err := fh.WriteAt(magic[:], extMagicOffset); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}
