package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// leaderLease is the operator's leader-election Lease.
const leaderLease = "diskpool-operator"

// waitLeader waits until the leader Lease names a Running operator pod.
func waitLeader(t *testing.T) string {
	t.Helper()
	var holder string
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, 2*time.Minute, true, func(context.Context) (bool, error) {
		out, err := kubectlErr("-n", ns, "get", "lease", leaderLease, "-o", "jsonpath={.spec.holderIdentity}")
		if err != nil {
			return false, nil
		}
		holder = strings.TrimSpace(out)
		for pod := range podsOf(t, "diskpool-operator") {
			if holder == pod || strings.HasPrefix(holder, pod+"_") {
				holder = pod
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no operator pod holds Lease %s (holder %q): %v", leaderLease, holder, err)
	}
	return holder
}

func testLeaderFailover(t *testing.T, s *suite) {
	leader := waitLeader(t)
	_, agentIP := onlyAgent(t)
	creates, destroys := agentCalls(t, agentIP, "CreatePool"), agentCalls(t, agentIP, "DestroyPool")
	kubectl(t, "-n", ns, "delete", "pod", leader, "--timeout=2m")
	var next string
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, 2*time.Minute, true, func(context.Context) (bool, error) {
		out, err := kubectlErr("-n", ns, "get", "lease", leaderLease, "-o", "jsonpath={.spec.holderIdentity}")
		next = strings.TrimSpace(out)
		return err == nil && next != "" && !strings.HasPrefix(next, leader), nil
	})
	if err != nil {
		t.Fatalf("leadership did not move from %s (holder %q): %v", leader, next, err)
	}
	t.Logf("leader %s deleted; %s leads", leader, next)
	// The new leader resyncs every pool: nothing to do on the node.
	kubectl(t, "-n", ns, "rollout", "status", "deploy/diskpool-operator", "--timeout=3m")
	p := waitPoolOnline(t, s.pool, time.Minute)
	if p.Status.PoolUUID != s.poolUUID {
		t.Errorf("pool uuid %s, was %s", p.Status.PoolUUID, s.poolUUID)
	}
	if c, d := agentCalls(t, agentIP, "CreatePool"), agentCalls(t, agentIP, "DestroyPool"); c != creates || d != destroys {
		t.Errorf("agent CreatePool %d→%d, DestroyPool %d→%d across the failover: want no pool writes", creates, c, destroys, d)
	}
}

func testAgentPodRecreated(t *testing.T, s *suite) {
	old, _ := onlyAgent(t)
	kubectl(t, "-n", ns, "delete", "pod", old, "--timeout=2m")
	kubectl(t, "-n", ns, "rollout", "status", "ds/diskpool-agent", "--timeout=3m")
	var name, ip string
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, 2*time.Minute, true, func(context.Context) (bool, error) {
		pods := podsOf(t, "diskpool-agent")
		for n, i := range pods {
			if n != old && len(pods) == 1 {
				name, ip = n, i
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("the DaemonSet did not recreate the agent: %v", err)
	}
	t.Logf("agent %s deleted; %s runs", old, name)
	p := waitPoolOnline(t, s.pool, 2*time.Minute)
	if p.Status.PoolUUID != s.poolUUID {
		t.Errorf("pool uuid %s after the agent's restart, was %s", p.Status.PoolUUID, s.poolUUID)
	}
	if c := agentCalls(t, ip, "CreatePool"); c != 0 {
		t.Errorf("the new agent served %d CreatePool calls: want 0 (the pool is re-imported from its disk)", c)
	}
}

func testNodeRestart(t *testing.T, s *suite) {
	agentBefore, _ := onlyAgent(t)
	restartsBefore := kubectl(t, "-n", ns, "get", "pod", agentBefore, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
	if err := node.RebootNode(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The kubelet recreates every pod's sandbox: the agent's container
	// restarts and re-imports the pool from its disk.
	poll(t, 3*time.Minute, "agent container restarted", func() (bool, string) {
		out, err := kubectlErr("-n", ns, "get", "pod", agentBefore, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
		return err == nil && strings.TrimSpace(out) != strings.TrimSpace(restartsBefore), out
	})
	kubectl(t, "-n", ns, "wait", "pod", "--all", "--for=condition=Ready", "--timeout=3m")
	p := waitPoolOnline(t, s.pool, 2*time.Minute)
	if p.Status.PoolUUID != s.poolUUID {
		t.Errorf("pool uuid %s after the node restart, was %s", p.Status.PoolUUID, s.poolUUID)
	}
	_, ip := onlyAgent(t)
	if c := agentCalls(t, ip, "CreatePool"); c != 0 {
		t.Errorf("the restarted agent served %d CreatePool calls: want 0", c)
	}
}

// poolLabel reads the pool label on a device (the truth of what the agent
// made), nil when there is none.
func poolLabel(t *testing.T, dev string) *label.Label {
	t.Helper()
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	found, err := label.Read(f, harness.DeviceSize(t, dev))
	if err != nil {
		t.Fatal(err)
	}
	return found.Label
}

// testUninstall runs the uninstall docs/operations.md warns against, and
// checks it settles in one of the states the docs describe: the operator,
// stopped (and its RBAC deleted) while its DiskPools are deleted, either
// destroyed the pool and removed the finalizer (namespace and CRDs gone),
// or stopped before one of the two (the DiskPool kept by its finalizer,
// the namespace Terminating, the pool destroyed or not). Never a DiskPool
// gone while its pool remains on the disk.
func testUninstall(t *testing.T, s *suite) {
	if l := poolLabel(t, s.poolDev); l == nil || l.UUID != s.poolUUID {
		t.Fatalf("before the uninstall: label %+v on %s, want pool %s", l, s.poolDev, s.poolUUID)
	}
	// --wait=false: in the second outcome the namespace never goes.
	kubectl(t, "delete", "-k", s.overlay, "--wait=false")
	var outcome string
	poll(t, 3*time.Minute, "the uninstall settles", func() (bool, string) {
		gone, _ := kubectlErr("get", "ns/"+ns, "crd/diskpools.openebs.io", "crd/mayastorpools.openebs.io", "--ignore-not-found", "-o", "name")
		if strings.TrimSpace(gone) == "" {
			outcome = "destroyed"
			return true, ""
		}
		pods, _ := kubectlErr("-n", ns, "get", "pods", "-o", "name")
		fin, err := kubectlErr("-n", ns, "get", "diskpool", s.pool, "-o", "jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}")
		if strings.TrimSpace(pods) == "" && err == nil && strings.Contains(fin, "openebs.io") && !strings.HasPrefix(fin, " ") {
			outcome = "kept"
			return true, ""
		}
		return false, fmt.Sprintf("left: %s; pods: %s; pool: %s %v", gone, pods, fin, err)
	})
	l := poolLabel(t, s.poolDev)
	t.Logf("uninstall outcome: %s (label on the device: %v)", outcome, l != nil)
	switch {
	case outcome == "destroyed" && l != nil:
		t.Errorf("namespace and CRDs gone, but the pool label is still on %s: %+v", s.poolDev, l)
	case outcome == "kept" && l != nil && l.UUID != s.poolUUID:
		t.Errorf("the DiskPool is kept by its finalizer, and the label on %s is another pool's: %+v", s.poolDev, l)
	}
}
