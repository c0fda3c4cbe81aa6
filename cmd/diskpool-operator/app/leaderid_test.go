package app

import (
	"strings"
	"testing"
)

// TestLeaderElectIDNotAnAgentLease: a leader Lease named like an agent's
// would be writable by that node's agent, so such ids are refused.
func TestLeaderElectIDNotAnAgentLease(t *testing.T) {
	err := parse(t, "--agent-insecure", "--leader-elect-id=diskpool-agent-node-a").Validate()
	if err == nil || !strings.Contains(err.Error(), "agent Leases") {
		t.Errorf("error = %v, want one saying the id is an agent Lease name", err)
	}
	if err := parse(t, "--agent-insecure", "--leader-elect-id=diskpool-operator-b").Validate(); err != nil {
		t.Errorf("unexpected error: %v", err)
	}
}
