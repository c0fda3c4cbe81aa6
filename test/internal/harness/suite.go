package harness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// EnvKeep keeps a suite's work directory (logs, disks, certificates).
const EnvKeep = "DISKPOOL_E2E_KEEP"

// startTimeout bounds the environment's start, builds included.
const startTimeout = 10 * time.Minute

// Suite is one test package's environment.
type Suite struct {
	// Name prefixes the suite's messages and its work directory.
	Name string
	// Options of the environment; Main sets WorkDir, UnsafeNoFsync, the
	// control plane binaries and Progress, and BinDir (to a directory in
	// the work dir) unless it is set.
	Options localenv.Options
	// BeforeStart, when set, runs after flag parsing, before the start.
	BeforeStart func()
	// Started, when set, is given the environment before the tests run.
	Started func(*localenv.Env)
	// AfterTests, when set, runs after the tests, before the stop.
	AfterTests func(*localenv.Env)

	env        *localenv.Env
	skipReason string
}

// Main starts the environment, runs the tests, stops it and returns the
// exit code for os.Exit.
func (s *Suite) Main(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		s.skipReason = "needs a local control plane, not run with -short"
		return m.Run()
	}
	bins, err := localcluster.FindBinaries()
	if errors.Is(err, localcluster.ErrBinaryNotFound) && os.Getenv(localclustertest.EnvRequireControlPlane) == "" {
		s.skipReason = fmt.Sprintf("%v (set %s=1 to make this a failure)", err, localclustertest.EnvRequireControlPlane)
		return m.Run()
	}
	if err != nil {
		return s.fail(err)
	}
	if s.BeforeStart != nil {
		s.BeforeStart()
	}
	began := time.Now()
	keep := os.Getenv(EnvKeep) != ""
	// A work directory of the suite's own name, removed below: nothing
	// that cleans up diskpool-localenv-* directories touches it.
	workDir, err := os.MkdirTemp("", "diskpool-"+s.Name+"-")
	if err != nil {
		return s.fail(err)
	}
	opts := s.Options
	opts.WorkDir, opts.UnsafeNoFsync = workDir, true
	if opts.BinDir == "" {
		// Binaries of the suite's own: a restart must start the binary the
		// suite began with, whatever else builds into _output/bin meanwhile.
		opts.BinDir = filepath.Join(workDir, "bin")
	}
	opts.ControlPlane.Binaries = &bins
	if testing.Verbose() {
		opts.Progress = os.Stdout // each step of the start, timed
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	e, err := localenv.Start(ctx, opts)
	if err != nil {
		return s.fail(err)
	}
	s.env = e
	fmt.Printf("%s: environment (control plane, %d agents) started in %s; work dir %s\n",
		s.Name, len(e.Nodes()), time.Since(began).Round(10*time.Millisecond), e.WorkDir())
	if s.Started != nil {
		s.Started(e)
	}

	code := m.Run()

	if s.AfterTests != nil {
		s.AfterTests(e)
	}
	if code != 0 && !keep {
		fmt.Printf("%s: set %s=1 to keep the logs of a failed run (%s)\n", s.Name, EnvKeep, e.LogDir())
	}
	if err := e.Stop(); err != nil {
		code = s.fail(err)
	} else if !keep {
		if err := os.RemoveAll(workDir); err != nil {
			code = s.fail(err)
		}
	}
	fmt.Printf("%s: suite took %s\n", s.Name, time.Since(began).Round(10*time.Millisecond))
	return code
}

func (s *Suite) fail(err error) int {
	fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
	return 1
}

// Env returns the environment, skipping t when the suite has none.
func (s *Suite) Env(t testing.TB) *localenv.Env {
	t.Helper()
	if s.env == nil {
		t.Skip("Skipping: " + s.skipReason)
	}
	return s.env
}
