package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// TestCreateWithAdmittedFinalizerCostsOneWrite: where the API server's
// admission policy (manifests/base/finalizer-policy.yaml) added the
// finalizer on create, the operator's first and only write is the Created
// status.
func TestCreateWithAdmittedFinalizerCostsOneWrite(t *testing.T) {
	f := newFixture(t, newDiskPool("pool-a", withFinalizer), newNode(testNode))
	f.mustSync("pool-a")

	equal(t, "writes", f.writes(), []string{"update diskpools/status"})
	equal(t, "agent calls", f.agents.takeCalls(), []string{"CreatePool node-a/pool-a [/dev/sdb]"})
	equal(t, "events", f.events.take(), []string{"Normal " + reconcile.ReasonCreated})
	checkState(t, f.stored("pool-a"), v1beta3.CRStateCreated, v1beta3.PoolStatusOnline, metav1.ConditionTrue, reconcile.ReasonPoolOnline)
}
