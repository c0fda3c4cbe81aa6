package badinput

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

const (
	// diskSize keeps whole-disk hashes cheap; a pool needs 16 MiB.
	diskSize     = 64 << 20
	startTimeout = 10 * time.Minute
)

var (
	env        *localenv.Env
	skipReason string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	if testing.Short() {
		skipReason = "needs a local control plane, not run with -short"
		return m.Run()
	}
	bins, err := localcluster.FindBinaries()
	if errors.Is(err, localcluster.ErrBinaryNotFound) && os.Getenv(localclustertest.EnvRequireControlPlane) == "" {
		skipReason = fmt.Sprintf("%v (set %s=1 to make this a failure)", err, localclustertest.EnvRequireControlPlane)
		return m.Run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "badinput: %v\n", err)
		return 1
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	keep := os.Getenv("DISKPOOL_E2E_KEEP") != ""
	// A work directory of the suite's own name: it is removed below, and
	// nothing that cleans up diskpool-localenv-* directories touches it.
	workDir, err := os.MkdirTemp("", "diskpool-badinput-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return 1
	}
	opts := localenv.Options{
		WorkDir:       workDir,
		UnsafeNoFsync: true,
		ControlPlane:  localcluster.Options{Binaries: &bins},
		DisksPerNode:  1,
		DiskSize:      diskSize,
		OperatorArgs:  []string{"--backoff-base=1s", "--backoff-max=10s"},
	}
	if testing.Verbose() {
		opts.Progress = os.Stdout
	}
	e, err := localenv.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "badinput: %v\n", err)
		return 1
	}
	env = e
	fmt.Printf("badinput: environment started in %s; work dir %s\n", time.Since(began).Round(10*time.Millisecond), e.WorkDir())
	code := m.Run()
	if code != 0 && !keep {
		fmt.Printf("badinput: set DISKPOOL_E2E_KEEP=1 to keep the logs of a failed run (%s)\n", e.LogDir())
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "badinput: %v\n", err)
		code = 1
	} else if !keep {
		if err := os.RemoveAll(workDir); err != nil {
			fmt.Fprintf(os.Stderr, "%v\n", err)
		}
	}
	fmt.Printf("badinput: suite took %s\n", time.Since(began).Round(10*time.Millisecond))
	return code
}

func requireEnv(t *testing.T) *localenv.Env {
	t.Helper()
	if env == nil {
		t.Skip("Skipping: " + skipReason)
	}
	return env
}
