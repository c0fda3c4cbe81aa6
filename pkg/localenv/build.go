package localenv

import (
	"context"
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
		out, err := localcluster.BuildBinary(ctx, b.pkg, dir, flags...)
		if err != nil {
			return err
		}
		e.progressf("Built %s in %s", filepath.Base(out), time.Since(began).Round(10*time.Millisecond))
		*b.path = out
	}
	return nil
}
