// Package disktest attaches loop devices over sparse files for tests that
// need real block devices, and detaches them when the test ends.
package disktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// MaxLoops bounds the loop devices one test may attach.
const MaxLoops = 8

var (
	mu       sync.Mutex
	attached = map[testing.TB]int{}
)

// Loop attaches a sparse file of size to a free loop device with the given
// logical block size (0 for the kernel's default, 512) and returns the
// device and its backing file. The device is detached when the test ends.
// It skips the test, saying why, when -short is set, the test does not run
// as root, or the machine has no losetup or free loop device.
func Loop(t testing.TB, size int64, sectorSize int) (dev, backing string) {
	t.Helper()
	if testing.Short() {
		t.Skip("loop devices are not used with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("loop devices need root: run the tests as root to cover real block devices")
	}
	losetup, err := exec.LookPath("losetup")
	if err != nil {
		t.Skip("no losetup on this machine (Debian package util-linux / mount)")
	}
	mu.Lock()
	n := attached[t]
	attached[t]++
	mu.Unlock()
	if n >= MaxLoops {
		t.Fatalf("test attaches more than %d loop devices", MaxLoops)
	}
	if n == 0 {
		t.Cleanup(func() { mu.Lock(); delete(attached, t); mu.Unlock() })
	}
	backing = filepath.Join(t.TempDir(), "img")
	if err := os.WriteFile(backing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(backing, size); err != nil {
		t.Fatal(err)
	}
	args := []string{"--find", "--show"}
	if sectorSize != 0 {
		args = append(args, "--sector-size", strconv.Itoa(sectorSize))
	}
	out, err := exec.Command(losetup, append(args, backing)...).CombinedOutput()
	if err != nil {
		t.Skipf("cannot attach a loop device (losetup %s): %v: %s", strings.Join(args, " "), err, out)
	}
	dev = strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command(losetup, "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v: %s", dev, err, out)
		}
	})
	return dev, backing
}

// Refresh makes the loop device dev take the new size of its backing file
// (losetup -c), as a resized LUN does.
func Refresh(t testing.TB, dev string) {
	t.Helper()
	if out, err := exec.Command("losetup", "-c", dev).CombinedOutput(); err != nil {
		t.Fatalf("losetup -c %s: %v: %s", dev, err, out)
	}
}

// Run runs a command and fails the test with its output when it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
