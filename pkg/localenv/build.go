package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// Main packages of the two binaries, relative to the repository root.
const (
	OperatorPackage = "./cmd/diskpool-operator"
	AgentPackage    = "./cmd/diskpool-agent"
)

// DefaultBinDir is where Start builds the binaries, relative to the
// repository root (git-ignored).
const DefaultBinDir = "_output/bin"

// binDir returns where the binaries of a build with tags go: a tagged build
// gets its own directory, so it never replaces the plain one and a later
// plain run does not relink.
func binDir(root, dir string, tags []string) string {
	if dir != "" {
		return dir
	}
	dir = filepath.Join(root, DefaultBinDir)
	if len(tags) > 0 {
		dir = filepath.Join(dir, strings.Join(tags, "-"))
	}
	return dir
}

// buildBinaries builds the operator and the agent into dir, unless given.
// go build skips the link when the binary in dir is up to date, so a warm
// build costs about a second.
func (e *Env) buildBinaries(ctx context.Context, root string) error {
	dir := binDir(root, e.opts.BinDir, e.opts.BuildTags)
	flags := append([]string(nil), e.opts.BuildFlags...)
	if len(e.opts.BuildTags) > 0 {
		flags = append(flags, "-tags="+strings.Join(e.opts.BuildTags, ","))
	}
	for _, b := range []struct {
		pkg  string
		path *string
	}{
		{AgentPackage, &e.agentBinary},
		{OperatorPackage, &e.operatorBinary},
	} {
		if *b.path != "" {
			continue
		}
		began := time.Now()
		e.progressf("Building %s into %s", b.pkg, dir)
		out, err := buildInto(ctx, b.pkg, dir, flags)
		if err != nil {
			return err
		}
		e.progressf("Built %s in %s", filepath.Base(out), time.Since(began).Round(10*time.Millisecond))
		*b.path = out
	}
	return nil
}

// buildInto builds pkg into dir/.stage under an exclusive lock, then
// publishes it as dir/<name> with a hard link and a rename.
//
// Several environments may start at once (go test runs packages in
// parallel), and go build -o replaces its output by unlinking and rewriting
// it, so a concurrent start could execute a half-written file. The lock
// serialises the builds; the rename is atomic, and a process already
// running keeps its own inode. Building into the same stage directory each
// time lets go build see the binary is up to date and skip the link (about
// a second instead of 5 to 8 s here).
func buildInto(ctx context.Context, pkg, dir string, flags []string) (string, error) {
	stage := filepath.Join(dir, ".stage")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, ".build.lock"))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	defer unlock()
	built, err := localcluster.BuildBinary(ctx, pkg, stage, flags...)
	if err != nil {
		return "", &buildError{err: err}
	}
	out, err := filepath.Abs(filepath.Join(dir, filepath.Base(built)))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	if same, _ := sameFile(built, out); same {
		return out, nil
	}
	tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid())
	_ = os.Remove(tmp)
	if err := os.Link(built, tmp); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	return out, nil
}

// sameFile reports whether a and b are the same inode.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// lockPoll is how often lockFile retries a held lock.
const lockPoll = 100 * time.Millisecond

// lockFile takes an exclusive flock on path, waiting while another process
// holds it, until ctx ends. It returns the unlock function.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("lock %s (held by another build): %w", path, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// buildError marks a failed go build, so Start knows the logs hold nothing
// more.
type buildError struct{ err error }

func (e *buildError) Error() string { return e.err.Error() }
func (e *buildError) Unwrap() error { return e.err }
