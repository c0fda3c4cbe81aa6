package app

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2/ktesting"

	"github.com/diskpool/diskpool-operator/pkg/addrfile"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
)

// TestAddressFile starts the agent on port 0 for both servers, as the local
// environment does: the address file names the ports it bound, the Lease
// publishes the gRPC one, and /healthz answers on the metrics one.
func TestAddressFile(t *testing.T) {
	e := newEnv(t)
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	o := NewOptions()
	o.Node = "node-a"
	o.AllowedDeviceDirs = []string{e.devDir}
	o.StateDir = e.stateDir
	o.TLS = e.certs
	o.ListenAddress, o.MetricsAddress = "127.0.0.1:0", "127.0.0.1:0"
	o.AddressFile = filepath.Join(t.TempDir(), "agent.addr")
	o.Complete()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, o, Deps{KubeClient: e.client, Registry: prometheus.NewPedanticRegistry(), Clock: e.clock, Ready: ready})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run returned before serving: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("agent not ready")
	}
	addrs, err := addrfile.Read(o.AddressFile)
	if err != nil {
		t.Fatal(err)
	}
	grpcAddr, metricsAddr := addrs["grpc"], addrs["metrics"]
	for _, a := range []string{grpcAddr, metricsAddr} {
		if a == "" || a == "127.0.0.1:0" {
			t.Fatalf("address file %v: want both servers' bound ports", addrs)
		}
	}
	// Ready comes before the first renewal: wait for the Lease.
	var ep string
	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		l, err := e.client.CoordinationV1().Leases(agentlease.DefaultNamespace).Get(ctx, agentlease.Name("node-a"), metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // not created yet
		}
		ep = agentlease.Endpoint(l)
		return true, nil
	})
	if err != nil || ep != grpcAddr {
		t.Errorf("Lease endpoint %q (%v), want the bound gRPC address %q", ep, err, grpcAddr)
	}
	resp, err := http.Get("http://" + metricsAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz on %s: %s", metricsAddr, resp.Status)
	}
}
