package e2e

import (
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestAgentCrash kills a node's agent: its pools go Offline, straight from
// Online (one status write, no Unknown first), when the operator's stream
// to the agent breaks and is not re-opened within the tracker's grace, or
// the agent's Lease expires, whichever comes first; the restarted agent
// re-imports them from their disk labels, and they come back Online with
// the same uuid: two status writes for the whole outage.
func TestAgentCrash(t *testing.T) {
	f := setup(t)
	const node = "node-b"
	name, disk, before := f.CreatedPool("crash", node)
	f.RestartAgentAtEnd(node)
	// Every write of the object from here on, in order.
	w, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Watch(f.Ctx, metav1.ListOptions{
		FieldSelector: "metadata.name=" + name, ResourceVersion: before.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	killed := time.Now()
	if err := f.Env.KillAgent(node); err != nil {
		t.Fatal(err)
	}
	// The stream breaks at once and the grace is 3 s; the Lease was renewed
	// at most one renew interval before the kill, so it expires at most
	// harness.AgentLeaseDuration after it. Allow the operator a little more
	// to notice and write the status.
	limit := harness.AgentLeaseDuration + 2*time.Second
	offline := f.WaitPool(name, "Offline", limit+5*time.Second, func(p *v1beta3.DiskPool) bool {
		return p.Status.PoolStatus == v1beta3.PoolStatusOffline
	})
	took := time.Since(killed)
	t.Logf("Offline %s after the agent was killed (grace 3s, Lease duration %s): %s", took.Round(time.Millisecond), harness.AgentLeaseDuration, harness.Describe(offline))
	if took > limit {
		t.Errorf("Offline after %s, want within the Lease duration %s (+2 s)", took.Round(time.Millisecond), harness.AgentLeaseDuration)
	}
	if offline.Status.CRState != v1beta3.CRStateCreated || offline.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("an Offline pool stays Created with its uuid: %s", harness.Describe(offline))
	}
	if c := harness.Ready(offline); c == nil || c.Status != metav1.ConditionFalse || c.Reason != reconcile.ReasonAgentUnavailable {
		t.Errorf("Offline pool's Ready = %+v, want False AgentUnavailable", c)
	}

	restarted := time.Now()
	if err := f.Env.StartAgent(f.Ctx, node); err != nil {
		t.Fatal(err)
	}
	after := f.WaitCreated(name)
	t.Logf("Online again %s after the agent restarted", time.Since(restarted).Round(time.Millisecond))
	if after.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("pool uuid %s after re-import, was %s", after.Status.PoolUUID, before.Status.PoolUUID)
	}
	if found := harness.ReadLabel(t, disk); found.Label == nil || found.Label.UUID != before.Status.PoolUUID || found.Label.Generation != 1 {
		t.Errorf("label after re-import: %+v; want uuid %s, generation 1 (import writes nothing)", found.Label, before.Status.PoolUUID)
	}

	// The writes of the outage: Offline, then Online, nothing between
	// (no Unknown first, nothing when the Lease expired).
	var writes []string
	for seen := false; !seen; {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed after writes %v", writes)
			}
			p, isPool := ev.Object.(*v1beta3.DiskPool)
			if !isPool || ev.Type != watch.Modified {
				t.Fatalf("watch event %s %T after writes %v", ev.Type, ev.Object, writes)
			}
			writes = append(writes, string(p.Status.PoolStatus))
			seen = p.ResourceVersion == after.ResourceVersion
		case <-time.After(f.Timeout):
			t.Fatalf("no watch event for the Online status %s; writes so far %v", after.ResourceVersion, writes)
		}
	}
	if want := []string{string(v1beta3.PoolStatusOffline), string(v1beta3.PoolStatusOnline)}; !slices.Equal(writes, want) {
		t.Errorf("status writes from the kill to Online again: %v, want %v (one per transition)", writes, want)
	}
}

// TestAgentUpgradeRestart stops a node's agent the way a DaemonSet rollout
// does (SIGTERM: it releases its Lease) and starts it again: meanwhile its
// pools are Offline with Ready False, AgentUnavailable (what
// docs/operations.md says under Upgrades), then Online again with the same
// uuid.
func TestAgentUpgradeRestart(t *testing.T) {
	f := setup(t)
	const node = "node-b"
	name, _, before := f.CreatedPool("upgrade", node)
	f.RestartAgentAtEnd(node)

	if err := f.Env.StopAgent(node); err != nil {
		t.Fatal(err)
	}
	offline := f.WaitPool(name, "Offline", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		return p.Status.PoolStatus == v1beta3.PoolStatusOffline
	})
	c := meta.FindStatusCondition(offline.Status.Conditions, v1beta3.ConditionReady)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != reconcile.ReasonAgentUnavailable {
		t.Errorf("Ready of a pool whose agent stopped: %+v; want False, %s", c, reconcile.ReasonAgentUnavailable)
	}
	if offline.Status.CRState != v1beta3.CRStateCreated || offline.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("an Offline pool stays Created with its uuid: %s", harness.Describe(offline))
	}
	if err := f.Env.StartAgent(f.Ctx, node); err != nil {
		t.Fatal(err)
	}
	if after := f.WaitCreated(name); after.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("pool uuid %s after the restart, was %s", after.Status.PoolUUID, before.Status.PoolUUID)
	}
}
