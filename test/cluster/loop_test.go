package cluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// loopDevice attaches a sparse file of size bytes to a free loop device and
// returns /dev/loopN; cleanup detaches it and removes the file.
func loopDevice(t *testing.T, size int64) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := run(t, "losetup", "--find", "--show", file)
	dev := strings.TrimSpace(out)
	t.Cleanup(func() {
		// A pool on it may still be open in the agent: detaching is then
		// deferred by the kernel until the last close (autoclear).
		if _, err := exec.Command("losetup", "--detach", dev).CombinedOutput(); err != nil {
			t.Logf("losetup --detach %s: %v", dev, err)
		}
	})
	return dev
}
