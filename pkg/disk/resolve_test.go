package disk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// layout builds:
//
//	allowed/disk0         sparse file
//	allowed/by-id/good -> ../disk0
//	allowed/escape     -> <outside>/secret
//	allowed/dangling   -> nothing
//	allowed/subdir/
//	allowed/fifo
//	outside/secret
func layout(t testing.TB) (allowed, outside string) {
	t.Helper()
	base := t.TempDir()
	allowed = filepath.Join(base, "allowed")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{allowed, outside, filepath.Join(allowed, "by-id"), filepath.Join(allowed, "subdir")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(allowed, "disk0"), filepath.Join(outside, "secret")} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(f, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Symlink("../disk0", filepath.Join(allowed, "by-id", "good")))
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(allowed, "escape")))
	must(t, os.Symlink("../outside/secret", filepath.Join(allowed, "relescape")))
	must(t, os.Symlink(filepath.Join(allowed, "nothing"), filepath.Join(allowed, "dangling")))
	must(t, syscall.Mkfifo(filepath.Join(allowed, "fifo"), 0o600))
	return allowed, outside
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	allowed, outside := layout(t)
	r, err := NewResolver([]string{allowed})
	must(t, err)
	canonAllowed := r.Allowed()[0]
	disk0 := filepath.Join(canonAllowed, "disk0")

	tests := []struct {
		name     string
		disk     string
		wantPath string
		wantErr  error
	}{
		{name: "plain file", disk: filepath.Join(allowed, "disk0"), wantPath: disk0},
		{name: "aio uri", disk: "aio://" + filepath.Join(allowed, "disk0"), wantPath: disk0},
		{name: "uring uri", disk: "uring://" + filepath.Join(allowed, "disk0"), wantPath: disk0},
		{name: "symlink inside", disk: filepath.Join(allowed, "by-id", "good"), wantPath: disk0},
		{name: "double slash is cleaned", disk: allowed + "//disk0", wantPath: disk0},
		{name: "outside", disk: filepath.Join(outside, "secret"), wantErr: ErrNotAllowed},
		{name: "dot-dot escape", disk: allowed + "/../outside/secret", wantErr: ErrNotAllowed},
		{name: "dot-dot staying inside", disk: allowed + "/subdir/../disk0", wantErr: ErrNotAllowed},
		{name: "symlink escape absolute", disk: filepath.Join(allowed, "escape"), wantErr: ErrNotAllowed},
		{name: "symlink escape relative", disk: filepath.Join(allowed, "relescape"), wantErr: ErrNotAllowed},
		{name: "etc passwd", disk: "/etc/passwd", wantErr: ErrNotAllowed},
		{name: "allowed dir itself", disk: allowed, wantErr: ErrNotAllowed},
		{name: "prefix sibling", disk: allowed + "x/disk0", wantErr: ErrNotAllowed},
		{name: "missing", disk: filepath.Join(allowed, "nope"), wantErr: ErrNotFound},
		{name: "dangling symlink", disk: filepath.Join(allowed, "dangling"), wantErr: ErrNotFound},
		{name: "directory", disk: filepath.Join(allowed, "subdir"), wantErr: ErrInvalid},
		{name: "fifo", disk: filepath.Join(allowed, "fifo"), wantErr: ErrInvalid},
		{name: "relative", disk: "disk0", wantErr: ErrInvalid},
		{name: "bad scheme", disk: "file://" + filepath.Join(allowed, "disk0"), wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolve(tt.disk)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve(%q) = %+v, %v; want %v", tt.disk, got, err, tt.wantErr)
				}
				var de *Error
				if !errors.As(err, &de) || de.Msg == "" {
					t.Errorf("error %v is not a *Error with a message", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.disk, err)
			}
			if got.Path != tt.wantPath || got.Kind != RegularFile || got.Root != canonAllowed {
				t.Errorf("Resolve(%q) = %+v, want path %s under %s", tt.disk, got, tt.wantPath, canonAllowed)
			}
		})
	}
}

func TestResolveCharDevice(t *testing.T) {
	// /dev/null is a character device in every Linux environment.
	r, err := NewResolver([]string{"/dev"})
	must(t, err)
	if _, err := r.Resolve("/dev/null"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("Resolve(/dev/null) error = %v, want ErrInvalid naming a character device", err)
	}
}

func TestResolveSameID(t *testing.T) {
	allowed, _ := layout(t)
	r, err := NewResolver([]string{allowed})
	must(t, err)
	a, err := r.Resolve(filepath.Join(allowed, "disk0"))
	must(t, err)
	b, err := r.Resolve(filepath.Join(allowed, "by-id", "good"))
	must(t, err)
	if a.ID != b.ID {
		t.Errorf("IDs differ for the same file: %+v vs %+v", a.ID, b.ID)
	}
}

func TestNewResolver(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	must(t, os.WriteFile(file, nil, 0o600))
	tests := []struct {
		name    string
		allowed []string
		wantErr bool
	}{
		{"ok", []string{dir}, false},
		{"empty", nil, true},
		{"root", []string{"/"}, true},
		{"root via dots", []string{"/tmp/.."}, true},
		{"relative", []string{"dev"}, true},
		{"missing", []string{filepath.Join(dir, "missing")}, true},
		{"file", []string{file}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewResolver(tt.allowed)
			if (err != nil) != tt.wantErr {
				t.Errorf("NewResolver(%v) error = %v, wantErr %v", tt.allowed, err, tt.wantErr)
			}
		})
	}
}

func TestOpenChecksIdentity(t *testing.T) {
	allowed, outside := layout(t)
	r, err := NewResolver([]string{allowed})
	must(t, err)
	d, err := r.Resolve(filepath.Join(allowed, "disk0"))
	must(t, err)

	dev, err := OSOpener{}.Open(d, true)
	must(t, err)
	if dev.Size() != 1<<20 {
		t.Errorf("Size() = %d, want 1 MiB", dev.Size())
	}
	must(t, dev.Close())

	// Swap the resolved file for a symlink to a file outside: the open must
	// fail and the outside file stay untouched.
	must(t, os.Remove(filepath.Join(allowed, "disk0")))
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(allowed, "disk0")))
	if dev, err := (OSOpener{}).Open(d, true); err == nil {
		_ = dev.Close()
		t.Fatal("Open followed a swapped symlink out of the allowed directory")
	}

	// Swap it for another regular file inside: ErrChanged.
	must(t, os.WriteFile(filepath.Join(allowed, "disk0.new"), []byte("x"), 0o600))
	must(t, os.Rename(filepath.Join(allowed, "disk0.new"), filepath.Join(allowed, "disk0")))
	if _, err := (OSOpener{}).Open(d, false); !errors.Is(err, ErrChanged) {
		t.Fatalf("Open of a replaced file: %v, want ErrChanged", err)
	}

	// Gone: ErrNotFound.
	must(t, os.Remove(filepath.Join(allowed, "disk0")))
	if _, err := (OSOpener{}).Open(d, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open of a removed file: %v, want ErrNotFound", err)
	}
}
