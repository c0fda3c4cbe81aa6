package badinput

import (
	"os"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// diskSize keeps whole-disk hashes cheap; a pool needs 16 MiB.
const diskSize = 64 << 20

// env is the suite's environment; nil when it skips.
var env *localenv.Env

var suite = &harness.Suite{
	Name: "badinput",
	Options: localenv.Options{
		DisksPerNode: 1,
		DiskSize:     diskSize,
		OperatorArgs: []string{"--backoff-base=1s", "--backoff-max=10s"},
	},
	Started: func(e *localenv.Env) { env = e },
}

func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }
