package harness

import (
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// Short timings for the suites that kill, stop and replace agents and
// operators: a fault costs seconds, not the production 15 s Leases.
const (
	AgentLeaseDuration = 4 * time.Second
	AgentRenewInterval = 1 * time.Second
	LeaderLease        = 4 * time.Second
	// DiskCheckInterval makes a removed disk show within half a second.
	DiskCheckInterval = 500 * time.Millisecond
)

// LeaderElectArgs shorten an operator's leader election to LeaderLease: a
// killed leader's successor takes over within it.
func LeaderElectArgs() []string {
	return []string{
		"--leader-elect-lease-duration=" + LeaderLease.String(),
		"--leader-elect-renew-deadline=3s",
		"--leader-elect-retry-period=500ms",
	}
}

// FaultOptions are the environment of a fault-injecting suite: a
// faultinject build, no operator (each run starts its own), one disk of
// diskSize bytes per node and agents on the short timings.
func FaultOptions(nodes []string, diskSize int64) localenv.Options {
	return localenv.Options{
		BuildTags:          []string{"faultinject"},
		NoOperator:         true,
		Nodes:              nodes,
		DisksPerNode:       1,
		DiskSize:           diskSize,
		AgentLeaseDuration: AgentLeaseDuration,
		AgentRenewInterval: AgentRenewInterval,
		AgentArgs:          []string{"--disk-check-interval=" + DiskCheckInterval.String()},
	}
}
