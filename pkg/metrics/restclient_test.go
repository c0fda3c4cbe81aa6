package metrics

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRESTClientAdapters(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewRESTClient(reg)
	if err != nil {
		t.Fatal(err)
	}
	opts := m.RegisterOpts()
	ctx := context.Background()
	opts.RequestResult.Increment(ctx, "200", "PUT", "10.0.0.1:6443")
	opts.RequestResult.Increment(ctx, "409", "PUT", "10.0.0.1:6443")
	u := url.URL{Scheme: "https", Host: "10.0.0.1:6443", Path: "/apis/openebs.io/v1beta3/namespaces/a/diskpools/b/status"}
	opts.RequestLatency.Observe(ctx, "PUT", u, 20*time.Millisecond)
	opts.RateLimiterLatency.Observe(ctx, "PUT", u, time.Millisecond)

	want := `
# HELP diskpool_rest_client_requests_total Requests to the Kubernetes API server, by HTTP status code, method and host.
# TYPE diskpool_rest_client_requests_total counter
diskpool_rest_client_requests_total{code="200",host="10.0.0.1:6443",method="PUT"} 1
diskpool_rest_client_requests_total{code="409",host="10.0.0.1:6443",method="PUT"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "diskpool_rest_client_requests_total"); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"diskpool_rest_client_request_duration_seconds", "diskpool_rest_client_rate_limiter_duration_seconds"} {
		if n := testutil.CollectAndCount(reg, name); n != 1 {
			t.Errorf("%s: %d series, want 1 (labelled by verb and host, never by path)", name, n)
		}
	}
}
