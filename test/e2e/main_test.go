package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
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
}

// startTimeout bounds the environment's start, builds included.
const startTimeout = 10 * time.Minute

var (
	// env is the environment every test uses; nil when skipReason is set.
	env        *localenv.Env
	skipReason string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
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
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}

	suiteBegan := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	began := time.Now()
	opts := localenv.Options{
		UnsafeNoFsync:      true,
		ControlPlane:       localcluster.Options{Binaries: &bins},
		AgentLeaseDuration: agentLeaseDuration,
		AgentRenewInterval: agentRenewInterval,
		OperatorArgs:       append(operatorArgs, strings.Fields(os.Getenv("DISKPOOL_E2E_OPERATOR_ARGS"))...),
		AgentArgs:          strings.Fields(os.Getenv("DISKPOOL_E2E_AGENT_ARGS")),
		KeepWorkDir:        os.Getenv("DISKPOOL_E2E_KEEP") != "",
	}
	if testing.Verbose() {
		opts.Progress = os.Stdout // each step of the start, timed
	}
	e, err := localenv.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	env = e
	fmt.Printf("e2e: environment (control plane, %d agents, operator) started in %s; work dir %s\n",
		len(e.Nodes()), time.Since(began).Round(10*time.Millisecond), e.WorkDir())

	code := m.Run()

	if code != 0 && os.Getenv("DISKPOOL_E2E_KEEP") == "" {
		fmt.Printf("e2e: set DISKPOOL_E2E_KEEP=1 to keep the logs of a failed run (%s)\n", e.LogDir())
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		code = 1
	}
	fmt.Printf("e2e: suite took %s\n", time.Since(suiteBegan).Round(10*time.Millisecond))
	return code
}

// requireEnv skips t when the suite has no environment.
func requireEnv(t *testing.T) *localenv.Env {
	t.Helper()
	if env == nil {
		t.Skip("Skipping: " + skipReason)
	}
	return env
}
