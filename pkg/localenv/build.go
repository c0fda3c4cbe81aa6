package localenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// buildInto builds pkg into a private directory, then renames the binary
// into dir. Several environments may start at once (go test runs packages
// in parallel), and go build -o replaces its output by unlinking and
// rewriting it: a concurrent start could execute a half-written file. A
// rename is atomic, and a process already running keeps its own copy.
func buildInto(ctx context.Context, pkg, dir string, flags []string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	built, err := localcluster.BuildBinary(ctx, pkg, tmp, flags...)
	if err != nil {
		return "", &buildError{err: err}
	}
	out, err := filepath.Abs(filepath.Join(dir, filepath.Base(built)))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	if err := os.Rename(built, out); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	return out, nil
}

// buildError marks a failed go build, so Start knows the logs hold nothing
// more.
type buildError struct{ err error }

func (e *buildError) Error() string { return e.err.Error() }
func (e *buildError) Unwrap() error { return e.err }
