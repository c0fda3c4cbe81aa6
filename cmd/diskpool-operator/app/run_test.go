package app

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 20*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func httpGet(addr, path string) (int, string) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunLeadsReconcilesAndReleases runs the whole wiring on fake clients:
// it becomes ready and leader, reconciles a DiskPool (its node has no
// agent, so the pool is reported AgentUnavailable), serves metrics, and on
// cancel stops and releases the leader-election Lease.
func TestRunLeadsReconcilesAndReleases(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	kube := k8sfake.NewSimpleClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}})
	pools := fake.NewSimpleClientset(&v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Namespace: "storage", Name: "pool-a", UID: "uid-a", Generation: 1},
		Spec:       v1beta3.DiskPoolSpec{Node: "node-a", Disks: []string{"/dev/sdb"}},
	})
	o := NewOptions()
	o.OperatorNamespace = "diskpool-system"
	o.AgentInsecure = true
	o.MetricsAddress, o.HealthAddress = "127.0.0.1:0", "127.0.0.1:0"
	o.LeaderElectLeaseDuration, o.LeaderElectRenewDeadline, o.LeaderElectRetryPeriod = 3*time.Second, 2*time.Second, 100*time.Millisecond
	o.Workers = 2
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	addrs := map[string]string{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, o, Deps{KubeClient: kube, PoolClient: pools, Registry: prometheus.NewPedanticRegistry(),
			Listening: func(name string, a net.Addr) {
				mu.Lock()
				defer mu.Unlock()
				addrs[name] = a.String()
			}})
	}()
	addr := func(name string) string {
		mu.Lock()
		defer mu.Unlock()
		return addrs[name]
	}
	waitFor(t, "servers", func() bool { return addr("health") != "" && addr("metrics") != "" })
	waitFor(t, "/readyz", func() bool { code, _ := httpGet(addr("health"), "/readyz"); return code == http.StatusOK })
	if code, _ := httpGet(addr("health"), "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}

	getLease := func() (string, bool) {
		l, err := kube.CoordinationV1().Leases("diskpool-system").Get(ctx, "diskpool-operator", metav1.GetOptions{})
		if err != nil || l.Spec.HolderIdentity == nil {
			return "", err == nil
		}
		return *l.Spec.HolderIdentity, true
	}
	waitFor(t, "leadership", func() bool { h, _ := getLease(); return h != "" })

	waitFor(t, "the pool's status", func() bool {
		d, err := pools.OpenebsV1beta3().DiskPools("storage").Get(ctx, "pool-a", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Status.Conditions {
			if c.Type == v1beta3.ConditionReady && c.Reason == reconcile.ReasonAgentUnavailable {
				return true
			}
		}
		return false
	})

	if code, _ := httpGet(addr("metrics"), "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without --profiling = %d, want 404", code)
	}
	_, body := httpGet(addr("metrics"), "/metrics")
	for _, m := range []string{"diskpool_reconcile_total", "diskpool_workqueue_adds_total", "diskpool_api_writes_total",
		"diskpool_pools{", "diskpool_leader 1", "diskpool_agents{"} {
		if !strings.Contains(body, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop")
	}
	if h, ok := getLease(); !ok || h != "" {
		t.Errorf("leader Lease holder after stop = %q (exists %v), want released", h, ok)
	}
}

// TestStandbyTakesOverAfterRelease runs two replicas: the second stands by
// (ready, not leading) and takes over as soon as the first is stopped,
// well before the lease duration would have expired.
func TestStandbyTakesOverAfterRelease(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	kube := k8sfake.NewSimpleClientset()
	pools := fake.NewSimpleClientset()
	newOpts := func() *Options {
		o := NewOptions()
		o.OperatorNamespace = "diskpool-system"
		o.AgentInsecure = true
		o.MetricsAddress, o.HealthAddress = "", ""
		// A long lease: a take-over within it proves the release.
		o.LeaderElectLeaseDuration, o.LeaderElectRenewDeadline, o.LeaderElectRetryPeriod = time.Minute, 30*time.Second, 100*time.Millisecond
		return o
	}
	holder := func() string {
		l, err := kube.CoordinationV1().Leases("diskpool-system").Get(ctx, "diskpool-operator", metav1.GetOptions{})
		if err != nil || l.Spec.HolderIdentity == nil {
			return ""
		}
		return *l.Spec.HolderIdentity
	}
	start := func() (context.CancelFunc, chan error) {
		c, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- Run(c, newOpts(), Deps{KubeClient: kube, PoolClient: pools, Registry: prometheus.NewRegistry()})
		}()
		return cancel, done
	}
	cancel1, done1 := start()
	waitFor(t, "first leader", func() bool { return holder() != "" })
	first := holder()
	cancel2, done2 := start()
	defer func() {
		cancel2()
		if err := <-done2; err != nil {
			t.Errorf("second replica: %v", err)
		}
	}()

	start1 := time.Now()
	cancel1()
	if err := <-done1; err != nil {
		t.Fatalf("first replica: %v", err)
	}
	waitFor(t, "take-over", func() bool { h := holder(); return h != "" && h != first })
	if d := time.Since(start1); d > 30*time.Second {
		t.Errorf("take-over took %v", d)
	}
}

// TestRunEndsWhenTheLeaseIsLost makes every renewal of the leader Lease
// fail: the replica stops leading and Run returns errLostLeadership, so
// the process exits and restarts as a standby. (It used to hang in the
// informer factories' Shutdown: they were stopped by the signal context
// only, which a lost Lease does not end.)
func TestRunEndsWhenTheLeaseIsLost(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	kube := k8sfake.NewSimpleClientset()
	pools := fake.NewSimpleClientset()
	o := NewOptions()
	o.OperatorNamespace = "diskpool-system"
	o.AgentInsecure = true
	o.MetricsAddress, o.HealthAddress = "127.0.0.1:0", "127.0.0.1:0"
	o.LeaderElectLeaseDuration, o.LeaderElectRenewDeadline, o.LeaderElectRetryPeriod = 2*time.Second, 1*time.Second, 100*time.Millisecond
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	// The reactor is installed before Run (the fake's reaction chain is not
	// safe to change while in use) and switched on once leading.
	var apiAway atomic.Bool
	kube.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if !apiAway.Load() {
			return false, nil, nil
		}
		return true, nil, errors.New("injected: the API server is away")
	})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, o, Deps{KubeClient: kube, PoolClient: pools, Registry: prometheus.NewRegistry()})
	}()
	waitFor(t, "leadership", func() bool {
		l, err := kube.CoordinationV1().Leases("diskpool-system").Get(ctx, "diskpool-operator", metav1.GetOptions{})
		return err == nil && l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != ""
	})
	apiAway.Store(true)
	select {
	case err := <-done:
		if !errors.Is(err, errLostLeadership) {
			t.Errorf("Run: %v, want %v", err, errLostLeadership)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after the Lease was lost")
	}
}
