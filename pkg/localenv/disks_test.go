package localenv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCreateNodeDisksAreSparse(t *testing.T) {
	root := filepath.Join(t.TempDir(), "disks")
	d, err := newDiskSet(root, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.createNode("node-a", 4); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		fi, err := os.Stat(DiskPath(root, "node-a", i))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != 1<<30 {
			t.Errorf("disk-%d size %d", i, fi.Size())
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Blocks*512 > 1<<20 {
			t.Errorf("disk-%d uses %d bytes: not sparse", i, st.Blocks*512)
		}
	}
	if err := d.createNode("node-a", 1); err == nil {
		t.Error("a second createNode of node-a succeeded: it must never reuse a directory")
	}
	if i, err := d.nextIndex("node-a"); err != nil || i != 4 {
		t.Errorf("nextIndex = %d, %v; want 4", i, err)
	}
	if err := d.remove([]string{"node-a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("disk root left behind: %v", err)
	}
}

func TestDiskSetKeepsExistingRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "other"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := newDiskSet(root, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.createNode("n", 1); err != nil {
		t.Fatal(err)
	}
	if err := d.remove([]string{"n"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "other")); err != nil {
		t.Errorf("a file Start did not create was removed: %v", err)
	}
}
