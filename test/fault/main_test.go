package fault

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// Timings of the suite: short agent and leader Leases, so a crash costs
// seconds, not the production 15 s. The agents check their disks every
// half second, so a removed disk shows quickly.
const (
	agentLeaseDuration = 4 * time.Second
	agentRenewInterval = 1 * time.Second
	leaderLease        = 4 * time.Second
	diskCheckInterval  = 500 * time.Millisecond
	// diskSize keeps whole-disk hashes cheap; a pool needs 16 MiB.
	diskSize = 64 << 20
	// parallelism is -test.parallel when not given: most scenarios wait
	// (Leases, a 60 s outage) rather than compute.
	parallelism = "8"
	// startTimeout bounds the environment's start, builds included.
	startTimeout = 10 * time.Minute
)

// operatorArgs are every operator's flags beyond identity, ports and
// namespace: short leader election (as test/e2e) and a 1 s first retry.
var operatorArgs = []string{
	"--leader-elect-lease-duration=" + leaderLease.String(),
	"--leader-elect-renew-deadline=3s",
	"--leader-elect-retry-period=500ms",
	"--backoff-base=1s",
	"--backoff-max=10s",
}

var (
	// env is the environment every scenario uses: control plane and one
	// agent per scenario node, no operator (each run starts its own, a
	// faultinject build). nil when skipReason is set.
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
		fmt.Fprintf(os.Stderr, "fault: %v\n", err)
		return 1
	}
	setParallel()

	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	keep := os.Getenv("DISKPOOL_E2E_KEEP") != ""
	// A work directory of the suite's own name: it is removed below, and
	// nothing that cleans up diskpool-localenv-* directories touches it.
	workDir, err := os.MkdirTemp("", "diskpool-fault-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return 1
	}
	opts := localenv.Options{
		WorkDir:       workDir,
		UnsafeNoFsync: true,
		ControlPlane:  localcluster.Options{Binaries: &bins},
		BuildTags:     []string{"faultinject"},
		NoOperator:    true,
		// The crash points and the delete-beats-the-finalizer race are on
		// the operator's own finalizer path: no admission policy.
		NoFinalizerPolicy:  true,
		Nodes:              allNodes(),
		DisksPerNode:       1,
		DiskSize:           diskSize,
		AgentLeaseDuration: agentLeaseDuration,
		AgentRenewInterval: agentRenewInterval,
		AgentArgs:          []string{"--disk-check-interval=" + diskCheckInterval.String()},
	}
	if testing.Verbose() {
		opts.Progress = os.Stdout
	}
	// localenv picks free ports and releases them before its processes bind
	// them; with 19 agents and other suites starting at once, one may be
	// taken in between. That is worth one more try.
	e, err := localenv.Start(ctx, opts)
	if err != nil && strings.Contains(err.Error(), "address already in use") {
		fmt.Fprintf(os.Stderr, "fault: a port was taken while the environment started; starting again: %v\n", err)
		if opts.WorkDir, err = os.MkdirTemp("", "diskpool-fault-"); err != nil {
			fmt.Fprintf(os.Stderr, "fault: %v\n", err)
			return 1
		}
		workDir = opts.WorkDir
		e, err = localenv.Start(ctx, opts)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fault: %v\n", err)
		return 1
	}
	env = e
	fmt.Printf("fault: environment (control plane, %d agents, faultinject operator build) started in %s; work dir %s\n",
		len(e.Nodes()), time.Since(began).Round(10*time.Millisecond), e.WorkDir())

	code := m.Run()

	table := results.render()
	fmt.Print(table)
	if path, err := writeTable(table); err != nil {
		fmt.Fprintf(os.Stderr, "fault: %v\n", err)
	} else {
		fmt.Printf("fault: table written to %s\n", path)
	}
	if code != 0 && !keep {
		fmt.Printf("fault: set DISKPOOL_E2E_KEEP=1 to keep the logs of a failed run (%s)\n", e.LogDir())
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "fault: %v\n", err)
		code = 1
	} else if !keep {
		if err := os.RemoveAll(workDir); err != nil {
			fmt.Fprintf(os.Stderr, "%v\n", err)
		}
	}
	fmt.Printf("fault: suite took %s\n", time.Since(began).Round(10*time.Millisecond))
	return code
}

// setParallel raises -test.parallel to parallelism unless it was given.
func setParallel() {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", parallelism)
	}
}

// writeTable writes the scenario table to _output/fault/table.md (git-
// ignored) at the repository root, for the closing note.
func writeTable(table string) (string, error) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "_output", "fault")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "table.md")
	return path, os.WriteFile(path, []byte(table), 0o644)
}

// requireEnv skips t when the suite has no environment.
func requireEnv(t *testing.T) *localenv.Env {
	t.Helper()
	if env == nil {
		t.Skip("Skipping: " + skipReason)
	}
	return env
}
