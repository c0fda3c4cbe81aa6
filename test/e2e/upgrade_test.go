package e2e

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// TestAgentUpgradeRestart stops a node's agent the way a DaemonSet rollout
// does (SIGTERM: it releases its Lease) and starts it again: meanwhile its
// pools are Offline with Ready False, AgentUnavailable (what
// docs/operations.md says under Upgrades), then Online again with the same
// uuid.
func TestAgentUpgradeRestart(t *testing.T) {
	f := setup(t)
	const node = "node-b"
	disk := f.newDisk(node)
	name := uniqueName("upgrade")
	f.newPool(name, node, disk)
	before := f.waitCreated(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f.env.StartAgent(ctx, node); err != nil {
			t.Errorf("restart agent on %s: %v", node, err)
		}
	})

	if err := f.env.StopAgent(node); err != nil {
		t.Fatal(err)
	}
	offline := f.waitPool(name, "Offline", convergeTimeout, func(p *v1beta3.DiskPool) bool {
		return p.Status.PoolStatus == v1beta3.PoolStatusOffline
	})
	c := meta.FindStatusCondition(offline.Status.Conditions, v1beta3.ConditionReady)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != reconcile.ReasonAgentUnavailable {
		t.Errorf("Ready of a pool whose agent stopped: %+v; want False, %s", c, reconcile.ReasonAgentUnavailable)
	}
	if offline.Status.CRState != v1beta3.CRStateCreated || offline.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("an Offline pool stays Created with its uuid: %s", describe(offline))
	}
	if err := f.env.StartAgent(f.ctx, node); err != nil {
		t.Fatal(err)
	}
	if after := f.waitCreated(name); after.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("pool uuid %s after the restart, was %s", after.Status.PoolUUID, before.Status.PoolUUID)
	}
}
