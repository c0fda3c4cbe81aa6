package agentwatch

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	coordinationinformers "k8s.io/client-go/informers/coordination/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/poolclient"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

const (
	testNamespace = agentlease.DefaultNamespace
	// longLease keeps Leases live however far a test steps the clock.
	longLease = int32(24 * 3600)
	// waitTimeout bounds every wait for a condition.
	waitTimeout = 15 * time.Second
)

// fixture runs a Tracker on a fake clientset's Lease informer and a fake
// clock, and records its change notifications.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	clock   *testingclock.FakeClock
	client  *fake.Clientset
	tracker *Tracker
	leases  coordinationinformers.LeaseInformer
	metrics *Metrics
	reg     *prometheus.Registry

	mu      sync.Mutex
	changes []change
}

type fixtureOption func(*Options)

func newFixture(t *testing.T, opts ...fixtureOption) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	f := &fixture{
		t:      t,
		ctx:    ctx,
		clock:  testingclock.NewFakeClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)),
		client: fake.NewClientset(),
		reg:    prometheus.NewPedanticRegistry(),
	}
	var err error
	if f.metrics, err = NewMetrics(f.reg); err != nil {
		t.Fatal(err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(f.client, 0,
		informers.WithNamespace(testNamespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = agentlease.Selector() }))
	f.leases = factory.Coordination().V1().Leases()
	o := Options{
		Namespace: testNamespace,
		Leases:    f.leases,
		Client:    poolclient.Options{Insecure: true},
		Clock:     f.clock,
		// Tests step the clock by a second to fire a reconnect; the
		// connect timeout must not fire on the way.
		ConnectTimeout: time.Hour,
		Backoff:        wait.Backoff{Duration: time.Second, Factor: 1, Steps: math.MaxInt32},
		// Tests step the fake clock by seconds at a time, past any
		// heartbeat timeout of a real agent on the real clock: only the
		// heartbeat tests ask for them.
		HeartbeatInterval: -1,
		Metrics:           f.metrics,
	}
	for _, opt := range opts {
		opt(&o)
	}
	f.tracker = New(o)
	f.tracker.AddChangeHandler(f.record)
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), f.tracker.HasSynced) {
		t.Fatal("Lease informer did not sync")
	}
	done := make(chan error, 1)
	go func() { done <- f.tracker.Run(ctx) }()
	f.waitFor("Run to start", func() bool {
		f.tracker.mu.RLock()
		defer f.tracker.mu.RUnlock()
		return f.tracker.running
	})
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("Run did not return after its context ended")
		}
		factory.Shutdown()
	})
	return f
}

func (f *fixture) record(node, pool string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes = append(f.changes, change{node: node, pool: pool})
}

// expiresAt returns when node's live Lease expires; zero without one.
func (f *fixture) expiresAt(node string) time.Time {
	f.tracker.mu.RLock()
	defer f.tracker.mu.RUnlock()
	n := f.tracker.nodes[node]
	if n == nil || n.state == reconcile.AgentMissing {
		return time.Time{}
	}
	return n.expiresAt
}

// pools returns the pools the Tracker holds for node, sorted by name.
func (f *fixture) pools(node string) []reconcile.Pool {
	f.tracker.mu.RLock()
	defer f.tracker.mu.RUnlock()
	if n := f.tracker.nodes[node]; n != nil {
		return n.pools.list()
	}
	return nil
}

// nodes returns the nodes with an agent Lease, live or not, sorted.
func (f *fixture) nodes() []string {
	f.tracker.mu.RLock()
	defer f.tracker.mu.RUnlock()
	return slices.Sorted(maps.Keys(f.tracker.nodes))
}

// takeChanges returns the change notifications so far and forgets them.
func (f *fixture) takeChanges() []change {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.changes
	f.changes = nil
	return out
}

func (f *fixture) sawChange(c change) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.changes, c)
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	err := wait.PollUntilContextTimeout(f.ctx, 2*time.Millisecond, waitTimeout, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		f.t.Fatalf("Timed out waiting for %s", what)
	}
}

func (f *fixture) waitForState(node string, want reconcile.AgentState) {
	f.t.Helper()
	f.waitFor(fmt.Sprintf("agent of %s to be %s", node, want), func() bool {
		s, _ := f.tracker.Agent(node)
		return s == want
	})
}

// stepUntilState steps the fake clock a second at a time (each step fires a
// pending reconnect) until node's agent is in state want.
func (f *fixture) stepUntilState(node string, want reconcile.AgentState) {
	f.t.Helper()
	f.waitFor(fmt.Sprintf("agent of %s to be %s", node, want), func() bool {
		if s, _ := f.tracker.Agent(node); s == want {
			return true
		}
		f.clock.Step(time.Second)
		return false
	})
}

// lease returns a live agent Lease of node renewed now.
func (f *fixture) lease(node, endpoint string, seconds int32) *coordinationv1.Lease {
	now := metav1.NewMicroTime(f.clock.Now())
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name:        agentlease.Name(node),
			Namespace:   testNamespace,
			Labels:      agentlease.Labels(node),
			Annotations: map[string]string{agentlease.EndpointAnnotation: endpoint},
		},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To(node),
			LeaseDurationSeconds: ptr.To(seconds),
			AcquireTime:          &now,
			RenewTime:            &now,
		},
	}
}

func (f *fixture) createLease(l *coordinationv1.Lease) {
	f.t.Helper()
	if _, err := f.client.CoordinationV1().Leases(l.Namespace).Create(f.ctx, l, metav1.CreateOptions{}); err != nil {
		f.t.Fatalf("create Lease: %v", err)
	}
}

// updateLease reads node's Lease, applies mut and writes it back.
func (f *fixture) updateLease(node string, mut func(*coordinationv1.Lease)) *coordinationv1.Lease {
	f.t.Helper()
	leases := f.client.CoordinationV1().Leases(testNamespace)
	l, err := leases.Get(f.ctx, agentlease.Name(node), metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("get Lease: %v", err)
	}
	mut(l)
	l, err = leases.Update(f.ctx, l, metav1.UpdateOptions{})
	if err != nil {
		f.t.Fatalf("update Lease: %v", err)
	}
	return l
}

// renew renews node's Lease at the fake clock's now and waits until the
// Tracker has seen it.
func (f *fixture) renew(node string) {
	f.t.Helper()
	l := f.updateLease(node, func(l *coordinationv1.Lease) {
		l.Spec.RenewTime = ptr.To(metav1.NewMicroTime(f.clock.Now()))
	})
	want := agentlease.ExpiresAt(l)
	f.waitFor("the renewal to reach the tracker", func() bool {
		return f.expiresAt(node).Equal(want)
	})
}

func (f *fixture) deleteLease(node string) {
	f.t.Helper()
	if err := f.client.CoordinationV1().Leases(testNamespace).Delete(f.ctx, agentlease.Name(node), metav1.DeleteOptions{}); err != nil {
		f.t.Fatalf("delete Lease: %v", err)
	}
}
