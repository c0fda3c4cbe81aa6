package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// run runs a host command bounded to a minute, failing the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
