package disk

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResolve checks that whatever string is given, Resolve never returns a
// path outside the allowed directory and never panics.
func FuzzResolve(f *testing.F) {
	allowed, _ := layout(f)
	for _, s := range []string{
		"/dev/sdb", "aio:///dev/sdb", "uring://", "..", "/../../etc/passwd",
		allowed + "/disk0", allowed + "/escape", allowed + "/../outside/secret",
		allowed + "/by-id/good", allowed + "/./disk0", "aio://" + allowed + "/%2e%2e/outside/secret",
		allowed + "/by-id/../../outside/secret",
	} {
		f.Add(s)
	}
	r, err := NewResolver([]string{allowed})
	if err != nil {
		f.Fatal(err)
	}
	root := r.Allowed()[0]
	f.Fuzz(func(t *testing.T, disk string) {
		got, err := r.Resolve(disk)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Msg == "" {
				t.Fatalf("Resolve(%q) error %v is not a *Error with a message", disk, err)
			}
			return
		}
		if !strings.HasPrefix(got.Path, root+string(filepath.Separator)) {
			t.Fatalf("Resolve(%q) = %q, outside %q", disk, got.Path, root)
		}
		if got.Kind != RegularFile && got.Kind != BlockDevice {
			t.Fatalf("Resolve(%q) kind %v", disk, got.Kind)
		}
	})
}
