package controller

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	kubeinformers "k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2/ktesting"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/scheme"
	informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// waitFor polls cond (no sleeps in the test itself) for at most 10s.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// TestRun runs the whole controller on started informers over fake
// clientsets, with the real events.k8s.io broadcaster: the pool is created,
// an Event is written, an agent change reaches the status, and Run stops
// cleanly.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)

	client := fake.NewSimpleClientset()
	newFakeAPIServer(client)
	kube := k8sfake.NewSimpleClientset(newNode(testNode))
	agents := newFakeAgents()
	agents.setAgent(testNode, reconcile.AgentReady, "")

	poolFactory := informers.NewSharedInformerFactory(client, time.Hour)
	kubeFactory := kubeinformers.NewSharedInformerFactory(kube, time.Hour)
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: kube.EventsV1()})
	c, err := NewController(ctx, Config{
		PoolClient:        client,
		DiskPoolInformers: []v1beta3informers.DiskPoolInformer{poolFactory.Openebs().V1beta3().DiskPools()},
		NodeInformer:      kubeFactory.Core().V1().Nodes(),
		Agents:            agents,
		EventBroadcaster:  broadcaster,
		EventRecorder:     broadcaster.NewRecorder(scheme.Scheme, FieldManager),
	})
	if err != nil {
		t.Fatal(err)
	}
	poolFactory.Start(ctx.Done())
	kubeFactory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 2) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		poolFactory.Shutdown()
		kubeFactory.Shutdown()
	}
	t.Cleanup(stop)

	if _, err := client.OpenebsV1beta3().DiskPools(testNS).Create(ctx, newDiskPool("pool-a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	get := func() *v1beta3.DiskPool {
		d, err := client.OpenebsV1beta3().DiskPools(testNS).Get(ctx, "pool-a", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	waitFor(t, ctx, "Created/Online", func() bool {
		d := get()
		return d.Status.CRState == v1beta3.CRStateCreated && d.Status.PoolStatus == v1beta3.PoolStatusOnline
	})
	waitFor(t, ctx, "the Created event", func() bool {
		evs, err := kube.EventsV1().Events(testNS).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs.Items {
			if e.Reason == reconcile.ReasonCreated && e.Regarding.Kind == "DiskPool" && e.Regarding.Name == "pool-a" && e.ReportingController == FieldManager {
				return true
			}
		}
		return false
	})

	// The agent reports a degraded pool and says so through OnChange.
	agents.updatePool(testNode, "pool-a", func(p *reconcile.Pool) { p.Health = reconcile.PoolHealthDegraded })
	c.OnChange(testNode, "pool-a")
	waitFor(t, ctx, "Degraded", func() bool { return get().Status.PoolStatus == v1beta3.PoolStatusDegraded })

	if !c.HasSynced() {
		t.Error("HasSynced = false while running")
	}
	stop()
	if !c.queue.ShuttingDown() {
		t.Error("queue not shut down after Run returned")
	}
}

func TestRunStopsBeforeCachesSync(t *testing.T) {
	f := newFixture(t)
	f.c.synced = append(f.c.synced, func() bool { return false })
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if err := f.c.Run(ctx, 1); err == nil {
		t.Error("Run returned nil without synced caches")
	}
}
