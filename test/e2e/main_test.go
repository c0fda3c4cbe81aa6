package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// Timings of the suite's environment: short agent and leader Leases, so
// crash tests wait seconds, not the production 15 s.
const (
	agentLeaseDuration = 4 * time.Second
	agentRenewInterval = 1 * time.Second
)

// operatorArgs shorten leader election the same way: a killed operator's
// successor takes over within 4 s.
var operatorArgs = []string{
	"--leader-elect-lease-duration=4s",
	"--leader-elect-renew-deadline=3s",
	"--leader-elect-retry-period=500ms",
	// Each node's disks are listed every 2 s, so inventory tests wait
	// seconds; a report is written only when it changes.
	"--disk-inventory-interval=2s",
}

var suite = &harness.Suite{
	Name: "e2e",
	Options: localenv.Options{
		AgentLeaseDuration: agentLeaseDuration,
		AgentRenewInterval: agentRenewInterval,
		OperatorArgs:       append(operatorArgs, strings.Fields(os.Getenv("DISKPOOL_E2E_OPERATOR_ARGS"))...),
		AgentArgs:          strings.Fields(os.Getenv("DISKPOOL_E2E_AGENT_ARGS")),
		// DISKPOOL_E2E_BIN_DIR gives a checkout its own binaries when
		// _output is shared with other checkouts (a later build there would
		// replace the binary a test runs as a CLI).
		BinDir: os.Getenv("DISKPOOL_E2E_BIN_DIR"),
	},
}

func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }
