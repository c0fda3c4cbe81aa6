package app

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2/ktesting"

	"github.com/diskpool/diskpool-operator/pkg/addrfile"
)

// TestServeAddressFile starts both servers on port 0, as the tests do: the
// address file names the ports they bound, and each answers there.
func TestServeAddressFile(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	o := NewOptions()
	o.MetricsAddress, o.HealthAddress = "127.0.0.1:0", "127.0.0.1:0"
	o.AddressFile = filepath.Join(t.TempDir(), "operator.addr")
	stop, err := serve(ctx, o, Deps{}, prometheus.NewPedanticRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	addrs, err := addrfile.Read(o.AddressFile)
	if err != nil {
		t.Fatal(err)
	}
	for server, path := range map[string]string{"metrics": "/metrics", "health": "/healthz"} {
		a := addrs[server]
		if a == "" || a == "127.0.0.1:0" {
			t.Fatalf("address file %v: want the bound %s port", addrs, server)
		}
		if code, _ := httpGet(a, path); code != http.StatusOK {
			t.Errorf("%s on %s: %d", path, a, code)
		}
	}
}
