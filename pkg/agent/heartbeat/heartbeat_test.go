package heartbeat

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
)

const ns = "diskpool-system"

type fixture struct {
	t      *testing.T
	client *fake.Clientset
	clock  *testingclock.FakeClock
	cancel context.CancelFunc
	done   chan struct{}
}

func start(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{t: t, client: fake.NewClientset(objs...), clock: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), done: make(chan struct{})}
	return f.run(ctx)
}

func (f *fixture) run(ctx context.Context) *fixture {
	hb, err := New(Config{Client: f.client, Namespace: ns, Node: "node-a", Endpoint: "10.0.0.1:10124", Clock: f.clock})
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, f.cancel = context.WithCancel(ctx)
	go func() { defer close(f.done); hb.Run(ctx) }()
	f.t.Cleanup(f.stop)
	return f
}

func (f *fixture) stop() {
	f.cancel()
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		f.t.Fatal("Run did not return after cancel")
	}
}

func (f *fixture) lease() *coordinationv1.Lease {
	l, err := f.client.CoordinationV1().Leases(ns).Get(context.Background(), agentlease.Name("node-a"), metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return l
}

func (f *fixture) waitFor(what string, cond func(l *coordinationv1.Lease) bool) *coordinationv1.Lease {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if l := f.lease(); l != nil && cond(l) {
			return l
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s; lease = %+v", what, f.lease())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func renewedAt(at time.Time) func(*coordinationv1.Lease) bool {
	return func(l *coordinationv1.Lease) bool { return l.Spec.RenewTime != nil && l.Spec.RenewTime.Time.Equal(at) }
}

func TestCreateRenewRelease(t *testing.T) {
	f := start(t)
	t0 := f.clock.Now()
	l := f.waitFor("the lease", renewedAt(t0))
	if agentlease.Holder(l) != "node-a" || agentlease.Endpoint(l) != "10.0.0.1:10124" || agentlease.NodeOf(l) != "node-a" ||
		ptr.Deref(l.Spec.LeaseDurationSeconds, 0) != int32(agentlease.DefaultLeaseDuration/time.Second) || !l.Spec.AcquireTime.Time.Equal(t0) ||
		l.Labels[agentlease.AppLabel] != agentlease.AppLabelValue || !agentlease.Live(l, t0) {
		t.Fatalf("lease = %+v", l)
	}

	for i := 1; i <= 3; i++ {
		waitTicker(t, f.clock)
		f.clock.Step(agentlease.DefaultRenewInterval)
		l = f.waitFor("a renewal", renewedAt(t0.Add(time.Duration(i)*agentlease.DefaultRenewInterval)))
	}
	if !l.Spec.AcquireTime.Time.Equal(t0) || !agentlease.Live(l, f.clock.Now().Add(agentlease.DefaultLeaseDuration-time.Second)) {
		t.Fatalf("after renewals = %+v", l.Spec)
	}

	f.stop()
	l = f.lease()
	if agentlease.Holder(l) != "" || agentlease.Live(l, f.clock.Now()) || agentlease.Endpoint(l) == "" {
		t.Fatalf("after release = %+v", l)
	}
}

func TestTakeOverStaleLease(t *testing.T) {
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	stale := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: agentlease.Name("node-a"), Namespace: ns, Annotations: map[string]string{agentlease.EndpointAnnotation: "10.9.9.9:1"}},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: ptr.To("node-a-old"), LeaseDurationSeconds: ptr.To[int32](15), LeaseTransitions: ptr.To[int32](4),
			AcquireTime: &metav1.MicroTime{Time: old}, RenewTime: &metav1.MicroTime{Time: old},
		},
	}
	f := start(t, stale)
	l := f.waitFor("takeover", renewedAt(f.clock.Now()))
	if agentlease.Holder(l) != "node-a" || ptr.Deref(l.Spec.LeaseTransitions, 0) != 5 || agentlease.Endpoint(l) != "10.0.0.1:10124" ||
		!l.Spec.AcquireTime.Time.Equal(f.clock.Now()) || agentlease.NodeOf(l) != "node-a" {
		t.Fatalf("lease = %+v", l)
	}
}

func TestRetriesAfterErrors(t *testing.T) {
	var fails atomic.Int32
	fails.Store(2)
	client := fake.NewClientset()
	client.PrependReactor("create", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if fails.Add(-1) >= 0 {
			return true, nil, errors.New("apiserver unavailable")
		}
		return false, nil, nil
	})
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{t: t, client: client, clock: testingclock.NewFakeClock(time.Now()), done: make(chan struct{})}
	f.run(ctx)
	for i := 0; i < 2; i++ {
		waitTicker(t, f.clock)
		if f.lease() != nil {
			t.Fatal("lease created despite errors")
		}
		f.clock.Step(agentlease.DefaultRenewInterval)
	}
	f.waitFor("the lease after errors", func(l *coordinationv1.Lease) bool { return agentlease.Holder(l) == "node-a" })
}

func TestNewValidates(t *testing.T) {
	client := fake.NewClientset()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no client", Config{Namespace: ns, Node: "n", Endpoint: "e"}},
		{"no endpoint", Config{Client: client, Namespace: ns, Node: "n"}},
		{"renew not shorter than duration", Config{Client: client, Namespace: ns, Node: "n", Endpoint: "e", LeaseDuration: 5 * time.Second, RenewInterval: 5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// waitTicker waits until Run is blocked on its ticker, so a Step is seen.
func waitTicker(t *testing.T, c *testingclock.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !c.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("Run never waited on its ticker")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConflictRetriedAtOnce: a renewal that conflicts (the agent's own
// earlier write landed after its client gave up) reads the Lease again and
// renews in the same interval, not one interval later.
func TestConflictRetriedAtOnce(t *testing.T) {
	var conflicts atomic.Int32
	client := fake.NewClientset()
	client.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts.Add(1) == 1 {
			return true, nil, apierrors.NewConflict(coordinationv1.Resource("leases"), agentlease.Name("node-a"), errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{t: t, client: client, clock: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), done: make(chan struct{})}
	f.run(ctx)
	f.waitFor("the created Lease", func(l *coordinationv1.Lease) bool { return agentlease.Holder(l) == "node-a" })
	waitTicker(t, f.clock)
	f.clock.Step(agentlease.DefaultRenewInterval)
	f.waitFor("the renewal after a conflict, in the same interval", renewedAt(f.clock.Now()))
	if n := conflicts.Load(); n != 2 {
		t.Errorf("updates = %d, want 2 (the conflict and its retry)", n)
	}
}
