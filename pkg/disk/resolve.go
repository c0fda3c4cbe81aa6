package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Kind is what a resolved disk is.
type Kind int

const (
	// BlockDevice is a block special file: a real disk.
	BlockDevice Kind = iota + 1
	// RegularFile is a plain (usually sparse) file used as a disk.
	RegularFile
)

func (k Kind) String() string {
	switch k {
	case BlockDevice:
		return "block device"
	case RegularFile:
		return "regular file"
	}
	return "unknown"
}

// Resolved is a disk that passed every check of Resolve.
type Resolved struct {
	// Disk is the string the caller gave.
	Disk string
	// Path is the canonical path: absolute, clean, without symlinks.
	Path string
	// Root is the allowed directory Path lies under; Rel is Path relative to it.
	Root, Rel string
	Kind      Kind
	// ID identifies the underlying device or file: two Resolved with the
	// same ID are the same disk, whatever paths led to them.
	ID FileID
}

// FileID identifies a disk: the device number of a block device, or the
// device and inode of a regular file.
type FileID struct {
	Kind     Kind
	Dev, Ino uint64
}

// Resolver checks disk paths against an allow-list of device directories.
// The zero value allows nothing; use NewResolver.
type Resolver struct {
	allowed []string // canonical, absolute, never "/"
}

// NewResolver returns a Resolver for the allowed directories. Each must be an
// existing directory other than "/"; symlinks in them are resolved once here
// (so an allow-list entry under a symlinked /tmp works).
func NewResolver(allowed []string) (*Resolver, error) {
	if len(allowed) == 0 {
		return nil, errors.New("no allowed device directories")
	}
	r := &Resolver{}
	for _, dir := range allowed {
		if !filepath.IsAbs(dir) {
			return nil, fmt.Errorf("allowed device directory %q is not absolute", dir)
		}
		canon, err := filepath.EvalSymlinks(filepath.Clean(dir))
		if err != nil {
			return nil, fmt.Errorf("allowed device directory %q: %w", dir, err)
		}
		if canon == "/" {
			return nil, fmt.Errorf("allowed device directory %q resolves to /, which would allow every file on the node", dir)
		}
		fi, err := os.Stat(canon)
		if err != nil {
			return nil, fmt.Errorf("allowed device directory %q: %w", dir, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("allowed device directory %q is not a directory", dir)
		}
		r.allowed = append(r.allowed, canon)
	}
	return r, nil
}

// Allowed returns the canonical allowed directories.
func (r *Resolver) Allowed() []string { return append([]string(nil), r.allowed...) }

// Resolve parses disk (see ParseURI) and checks that it may be used:
//   - the path has no ".." element and lies under an allowed directory;
//   - after following all symlinks it still lies under an allowed directory;
//   - it exists and is a block device or a regular file.
//
// Errors are *Error wrapping ErrInvalid, ErrNotAllowed or ErrNotFound.
// Resolve never opens the disk.
func (r *Resolver) Resolve(disk string) (*Resolved, error) {
	p, err := ParseURI(disk)
	if err != nil {
		return nil, err
	}
	allowList := strings.Join(r.allowed, ", ")
	notAllowed := func(path, why string) error {
		return &Error{Disk: disk, Path: path, Err: ErrNotAllowed, Msg: fmt.Sprintf(
			"disk %s is not allowed: %s; the agent only uses disks under %s (flag --allowed-device-dir)", disk, why, allowList)}
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return nil, notAllowed(p, `the path contains ".."`)
		}
	}
	clean := filepath.Clean(p)
	if r.rootOf(clean) == "" {
		return nil, notAllowed(clean, "the path is outside the allowed device directories")
	}
	canon, err := filepath.EvalSymlinks(clean)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Disk: disk, Path: clean, Err: ErrNotFound, Msg: fmt.Sprintf(
				"disk %s does not exist on this node; check the device path (ls -l %s) or attach the disk", disk, clean)}
		}
		return nil, &Error{Disk: disk, Path: clean, Err: err, Msg: fmt.Sprintf("disk %s: resolving symlinks: %v", disk, err)}
	}
	root := r.rootOf(canon)
	if root == "" {
		return nil, notAllowed(canon, fmt.Sprintf("it resolves to %s, outside the allowed device directories", canon))
	}
	fi, err := os.Lstat(canon)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Disk: disk, Path: canon, Err: ErrNotFound, Msg: fmt.Sprintf("disk %s does not exist on this node", disk)}
		}
		return nil, &Error{Disk: disk, Path: canon, Err: err, Msg: fmt.Sprintf("disk %s: %v", disk, err)}
	}
	kind, err := kindOf(disk, canon, fi)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, canon)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil, notAllowed(canon, "it is not inside an allowed device directory")
	}
	return &Resolved{Disk: disk, Path: canon, Root: root, Rel: rel, Kind: kind, ID: idOf(kind, fi)}, nil
}

// rootOf returns the allowed directory that strictly contains path, or "".
func (r *Resolver) rootOf(path string) string {
	for _, dir := range r.allowed {
		if strings.HasPrefix(path, dir+string(filepath.Separator)) && len(path) > len(dir)+1 {
			return dir
		}
	}
	return ""
}

func kindOf(disk, path string, fi fs.FileInfo) (Kind, error) {
	m := fi.Mode()
	what := ""
	switch {
	case m.IsRegular():
		return RegularFile, nil
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0:
		return BlockDevice, nil
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeSymlink != 0:
		what = "a symlink" // cannot happen after EvalSymlinks unless swapped
	default:
		what = "not a block device (" + m.Type().String() + ")"
	}
	return 0, &Error{Disk: disk, Path: path, Err: ErrInvalid, Msg: fmt.Sprintf(
		"disk %s resolves to %s, which is %s; a pool needs a block device", disk, path, what)}
}

func idOf(kind Kind, fi fs.FileInfo) FileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{Kind: kind}
	}
	if kind == BlockDevice {
		return FileID{Kind: kind, Dev: uint64(st.Rdev)} //nolint:unconvert // Rdev's type differs by OS
	}
	return FileID{Kind: kind, Dev: uint64(st.Dev), Ino: uint64(st.Ino)} //nolint:unconvert
}
