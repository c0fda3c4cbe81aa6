package soak

import (
	"fmt"
	"os"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// diskSize keeps whole-disk hashes cheap; a pool needs 16 MiB.
const diskSize = 64 << 20

// nodes of the soak: one agent each.
var nodes = []string{"soak-a", "soak-b", "soak-c"}

// operatorArgs are every soak operator's flags beyond identity and ports.
var operatorArgs = append(harness.LeaderElectArgs(), "--backoff-base=500ms", "--backoff-max=5s")

// env is nil when the suite skips.
var env *localenv.Env

var suite = &harness.Suite{
	Name:    "soak",
	Options: harness.FaultOptions(nodes, diskSize),
	Started: func(e *localenv.Env) { env = e },
}

// TestMain builds the soak's binaries into a directory of its own: the
// shared _output/bin may be relinked from another checkout while a long
// soak still starts operators and agents from it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "diskpool-soak-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(1)
	}
	suite.Options.BinDir = dir
	code := suite.Main(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
