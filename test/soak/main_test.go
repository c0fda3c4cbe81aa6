package soak

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// Timings: short agent and leader Leases, so a fault costs seconds, and
// disk checks every half second, so a removed disk shows quickly.
const (
	agentLeaseDuration = 4 * time.Second
	agentRenewInterval = 1 * time.Second
	leaderLease        = 4 * time.Second
	diskCheckInterval  = 500 * time.Millisecond
	// diskSize keeps whole-disk hashes cheap; a pool needs 16 MiB.
	diskSize = 64 << 20
)

// nodes of the soak: one agent each.
var nodes = []string{"soak-a", "soak-b", "soak-c"}

// operatorArgs are every soak operator's flags beyond identity and ports.
var operatorArgs = []string{
	"--leader-elect-lease-duration=" + leaderLease.String(),
	"--leader-elect-renew-deadline=3s",
	"--leader-elect-retry-period=500ms",
	"--backoff-base=500ms",
	"--backoff-max=5s",
}

// env is nil when the suite skips.
var env *localenv.Env

var suite = &harness.Suite{
	Name: "soak",
	Options: localenv.Options{
		BuildTags:          []string{"faultinject"},
		NoOperator:         true,
		Nodes:              nodes,
		DisksPerNode:       1,
		DiskSize:           diskSize,
		AgentLeaseDuration: agentLeaseDuration,
		AgentRenewInterval: agentRenewInterval,
		AgentArgs:          []string{"--disk-check-interval=" + diskCheckInterval.String()},
	},
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
