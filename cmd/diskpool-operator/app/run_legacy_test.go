package app

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// runWith runs the operator on fake clients holding objs, until the test
// ends; it returns the metrics address.
func runWith(t *testing.T, mayastorPools bool, pools *fake.Clientset) string {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	kube := k8sfake.NewSimpleClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node1"}})
	o := NewOptions()
	o.OperatorNamespace = "diskpool-system"
	o.AgentInsecure = true
	o.LeaderElect = false
	o.MayastorPools = mayastorPools
	o.MetricsAddress, o.HealthAddress = "127.0.0.1:0", ""
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var metricsAddr string
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, o, Deps{KubeClient: kube, PoolClient: pools, Registry: prometheus.NewPedanticRegistry(),
			Listening: func(name string, a net.Addr) {
				mu.Lock()
				defer mu.Unlock()
				if name == "metrics" {
					metricsAddr = a.String()
				}
			}})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not stop")
		}
	})
	waitFor(t, "metrics server", func() bool { mu.Lock(); defer mu.Unlock(); return metricsAddr != "" })
	mu.Lock()
	defer mu.Unlock()
	return metricsAddr
}

// TestRunServesMayastorPools: with --mayastorpools (the default) the
// legacy example is reconciled (its node has no agent: pending, with the
// reason) and counted in diskpool_mayastorpools; with
// --mayastorpools=false it is left alone.
func TestRunServesMayastorPools(t *testing.T) {
	example := func() *v1alpha1.MayastorPool {
		return &v1alpha1.MayastorPool{
			ObjectMeta: metav1.ObjectMeta{Namespace: "mayastor", Name: "my-new-pool", UID: "uid-msp", Generation: 1},
			Spec:       v1alpha1.MayastorPoolSpec{Node: "node1", Disks: []string{"/dev/loop0"}},
		}
	}
	get := func(pools *fake.Clientset) *v1alpha1.MayastorPool {
		m, err := pools.OpenebsV1alpha1().MayastorPools("mayastor").Get(context.Background(), "my-new-pool", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	t.Run("served", func(t *testing.T) {
		pools := fake.NewSimpleClientset(example())
		addr := runWith(t, true, pools)
		waitFor(t, "the MayastorPool's status", func() bool {
			m := get(pools)
			return m.Status.State == v1alpha1.StatePending && strings.Contains(m.Status.Reason, "no diskpool-agent runs on node node1")
		})
		waitFor(t, "diskpool_mayastorpools", func() bool {
			_, body := httpGet(addr, "/metrics")
			return strings.Contains(body, `diskpool_mayastorpools{state="pending"} 1`)
		})
	})
	t.Run("disabled", func(t *testing.T) {
		pools := fake.NewSimpleClientset(example(), newLegacyDiskPool())
		addr := runWith(t, false, pools)
		// The DiskPool in the same namespace is served; once it has its
		// status, the MayastorPool has had every chance to be touched.
		waitFor(t, "the DiskPool's status", func() bool {
			d, err := pools.OpenebsV1beta3().DiskPools("mayastor").Get(context.Background(), "dsp", metav1.GetOptions{})
			return err == nil && d.Status.CRState != ""
		})
		if m := get(pools); m.Status.State != "" || len(m.Finalizers) != 0 {
			t.Errorf("MayastorPool touched with --mayastorpools=false: %+v", m)
		}
		if _, body := httpGet(addr, "/metrics"); strings.Contains(body, "diskpool_mayastorpools") {
			t.Error("diskpool_mayastorpools exported with --mayastorpools=false")
		}
	})
}

func newLegacyDiskPool() *v1beta3.DiskPool {
	return &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Namespace: "mayastor", Name: "dsp", UID: "uid-dsp", Generation: 1},
		Spec:       v1beta3.DiskPoolSpec{Node: "node1", Disks: []string{"/dev/loop1"}},
	}
}
