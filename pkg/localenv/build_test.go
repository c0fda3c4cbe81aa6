package localenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLockFileExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := lockFile(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); err == nil {
		t.Fatal("a second lock was granted while the first is held")
	}
	got := make(chan error, 1)
	go func() {
		u, err := lockFile(t.Context(), path)
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting lock was not granted after unlock")
	}
}

// TestBuildIntoPublishes builds a tiny main package twice: the published
// binary is the staged one, and an unchanged rebuild keeps the inode.
func TestBuildIntoPublishes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, err := buildInto(ctx, "./pkg/localcluster/testdata/hello", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out != filepath.Join(dir, "hello") {
		t.Errorf("published at %s", out)
	}
	before, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if same, err := sameFile(out, filepath.Join(dir, ".stage", "hello")); !same || err != nil {
		t.Errorf("published binary is not the staged one: %v", err)
	}
	if _, err := buildInto(ctx, "./pkg/localcluster/testdata/hello", dir, nil); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("an unchanged rebuild replaced the published binary")
	}
	if _, err := buildInto(ctx, "./no/such/package", dir, nil); err == nil {
		t.Error("building a missing package succeeded")
	} else if be := (*buildError)(nil); !errors.As(err, &be) {
		t.Errorf("error %v is not a buildError", err)
	}
}
