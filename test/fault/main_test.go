package fault

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

const (
	// diskSize keeps whole-disk hashes cheap; a pool needs 16 MiB.
	diskSize = 64 << 20
	// parallelism is -test.parallel when not given: most scenarios wait
	// (Leases, a 60 s outage) rather than compute.
	parallelism = "8"
)

// operatorArgs are every operator's flags beyond identity, ports and
// namespace: short leader election (as test/e2e) and a 1 s first retry.
var operatorArgs = append(harness.LeaderElectArgs(), "--backoff-base=1s", "--backoff-max=10s")

// env is the environment every scenario uses: control plane and one agent
// per scenario node, no operator (each run starts its own, a faultinject
// build). nil when the suite skips.
var env *localenv.Env

var suite = &harness.Suite{
	Name:        "fault",
	Options:     faultOptions(),
	BeforeStart: setParallel,
	Started:     func(e *localenv.Env) { env = e },
	AfterTests:  func(*localenv.Env) { printTable() },
}

func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }

// faultOptions are the harness's fault environment for every scenario
// node. The crash points and the delete-beats-the-finalizer race are on
// the operator's own finalizer path: no admission policy.
func faultOptions() localenv.Options {
	o := harness.FaultOptions(allNodes(), diskSize)
	o.NoFinalizerPolicy = true
	return o
}

// printTable prints the scenario table and writes it for the closing note.
func printTable() {
	table := results.render()
	fmt.Print(table)
	if path, err := writeTable(table); err != nil {
		fmt.Fprintf(os.Stderr, "fault: %v\n", err)
	} else {
		fmt.Printf("fault: table written to %s\n", path)
	}
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
