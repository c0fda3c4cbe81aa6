package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// operatorArgs shorten leader election (and the agents' Leases are the
// harness's short ones): a killed operator's successor takes over within
// 4 s, crash tests wait seconds, not the production 15 s.
// Each node's disks are listed every 2 s, so inventory tests wait seconds;
// a report is written only when it changes.
var operatorArgs = append(harness.LeaderElectArgs(), "--disk-inventory-interval=2s")

var suite = &harness.Suite{
	Name: "e2e",
	Options: localenv.Options{
		AgentLeaseDuration: harness.AgentLeaseDuration,
		AgentRenewInterval: harness.AgentRenewInterval,
		OperatorArgs:       append(operatorArgs, strings.Fields(os.Getenv("DISKPOOL_E2E_OPERATOR_ARGS"))...),
		AgentArgs:          strings.Fields(os.Getenv("DISKPOOL_E2E_AGENT_ARGS")),
		// DISKPOOL_E2E_BIN_DIR gives a checkout its own binaries when
		// _output is shared with other checkouts (a later build there would
		// replace the binary a test runs as a CLI).
		BinDir: os.Getenv("DISKPOOL_E2E_BIN_DIR"),
	},
}

func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }
