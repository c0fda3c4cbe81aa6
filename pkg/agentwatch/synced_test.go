package agentwatch

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/poolclient"
)

// TestHasSynced: the Tracker is synced once its Lease handler has had the
// initial list and Run has taken in every live Lease; an expired Lease does
// not count, and a Tracker with no live Lease has nothing to wait for.
func TestHasSynced(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	clock := testingclock.NewFakeClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	f := &fixture{t: t, ctx: ctx, clock: clock}
	live := f.lease("node-live", "127.0.0.1:1", 60)
	expired := f.lease("node-expired", "127.0.0.1:1", 15)
	old := metav1.NewMicroTime(clock.Now().Add(-time.Hour))
	expired.Spec.RenewTime, expired.Spec.AcquireTime = &old, &old
	client := fake.NewClientset(live, expired)
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(testNamespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = agentlease.Selector() }))
	tr := New(Options{Namespace: testNamespace, Leases: factory.Coordination().V1().Leases(),
		Client: poolclient.Options{Insecure: true}, Clock: clock, ConnectTimeout: time.Hour})
	if tr.HasSynced() {
		t.Fatal("synced before the Lease informer delivered anything")
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	f.waitFor("the Lease handler to sync", func() bool { return tr.registration.HasSynced() })
	if tr.HasSynced() {
		t.Error("synced while a live agent is still Missing (Run has not looked yet)")
	}

	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	f.waitFor("the Tracker to take the live Lease in", tr.HasSynced)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}

	// No live Lease: nothing to wait for, Run or not.
	client = fake.NewClientset(expired)
	factory = informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(testNamespace))
	tr = New(Options{Namespace: testNamespace, Leases: factory.Coordination().V1().Leases(), Clock: clock})
	stop := make(chan struct{})
	factory.Start(stop)
	defer factory.Shutdown()
	defer close(stop) // before the Shutdown, which waits for the informers
	f.ctx = context.Background()
	f.waitFor("a Tracker with only an expired Lease to be synced", tr.HasSynced)
}
