package localenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// DiskPath returns the path of a node's i-th disk under root:
// <root>/<node>/disk-<i>.
func DiskPath(root, node string, i int) string {
	return filepath.Join(root, node, "disk-"+strconv.Itoa(i))
}

// CreateDisk creates (or truncates to size, keeping its content) the sparse
// file path, and its directory. A sparse file takes no space until written:
// a thousand 1 GiB disks cost only their labels.
func CreateDisk(path string, size int64) error {
	if size <= 0 {
		return fmt.Errorf("create disk %s: size %d", path, size)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create disk: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create disk: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create disk: %w", err)
	}
	if err := os.Truncate(path, size); err != nil {
		return fmt.Errorf("create disk: %w", err)
	}
	return nil
}

// diskSet creates and removes the disk directories of the nodes under root.
type diskSet struct {
	root string
	size int64
	// createdRoot: root did not exist before, so Stop may remove it.
	createdRoot bool
}

func newDiskSet(root string, size int64) (*diskSet, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("disk root: %w", err)
	}
	d := &diskSet{root: abs, size: size}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		d.createdRoot = true
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("disk root: %w", err)
	}
	return d, nil
}

// createNode makes <root>/<node> with n disks; the directory must not exist,
// so a node's disks are never someone else's files.
func (d *diskSet) createNode(node string, n int) error {
	dir := filepath.Join(d.root, node)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("disks of node %s: %w", node, err)
	}
	for i := range n {
		if err := CreateDisk(DiskPath(d.root, node, i), d.size); err != nil {
			return fmt.Errorf("disks of node %s: %w", node, err)
		}
	}
	return nil
}

// nextIndex returns the lowest i such that disk-i does not exist on node.
// The bound keeps a broken file system from looping forever.
func (d *diskSet) nextIndex(node string) (int, error) {
	const maxDisks = 1 << 20
	for i := range maxDisks {
		if _, err := os.Lstat(DiskPath(d.root, node, i)); errors.Is(err, os.ErrNotExist) {
			return i, nil
		} else if err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("node %s has %d disks already", node, maxDisks)
}

// remove deletes the node directories and, when Start created it and it is
// then empty, the root.
func (d *diskSet) remove(nodes []string) error {
	var errs []error
	for _, n := range nodes {
		if err := os.RemoveAll(filepath.Join(d.root, n)); err != nil {
			errs = append(errs, err)
		}
	}
	if d.createdRoot {
		if err := os.Remove(d.root); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("disk root not removed: %w", err))
		}
	}
	return errors.Join(errs...)
}
