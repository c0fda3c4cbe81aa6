package e2e

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestAgentUpgradeRestart stops a node's agent the way a DaemonSet rollout
// does (SIGTERM: it releases its Lease) and starts it again: meanwhile its
// pools are Offline with Ready False, AgentUnavailable (what
// docs/operations.md says under Upgrades), then Online again with the same
// uuid.
func TestAgentUpgradeRestart(t *testing.T) {
	f := setup(t)
	const node = "node-b"
	disk := f.NewDisk(node)
	name := harness.UniqueName("upgrade")
	f.CreatePool(name, node, disk)
	before := f.WaitCreated(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f.Env.StartAgent(ctx, node); err != nil {
			t.Errorf("restart agent on %s: %v", node, err)
		}
	})

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
