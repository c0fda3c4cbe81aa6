package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const exposition = `# TYPE diskpool_agent_grpc_server_handled_total counter
diskpool_agent_grpc_server_handled_total{grpc_code="OK",grpc_method="CreatePool"} 3
diskpool_agent_grpc_server_handled_total{grpc_code="AlreadyExists",grpc_method="CreatePool"} 1
diskpool_agent_grpc_server_handled_total{grpc_code="OK",grpc_method="DestroyPool"} 2
# TYPE diskpool_leader gauge
diskpool_leader 1
# TYPE diskpool_sync_duration_seconds histogram
diskpool_sync_duration_seconds_bucket{kind="DiskPool",le="+Inf"} 4
diskpool_sync_duration_seconds_sum{kind="DiskPool"} 2
diskpool_sync_duration_seconds_count{kind="DiskPool"} 4
`

func TestScrapeSum(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(exposition))
	}))
	defer srv.Close()
	s, err := Scrape(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		family string
		want   []string
		sum    float64
	}{
		{AgentCallsFamily, nil, 6},
		{AgentCallsFamily, []string{"grpc_method=CreatePool"}, 4},
		{AgentCallsFamily, []string{"grpc_method=CreatePool", "grpc_code=OK"}, 3},
		{AgentCallsFamily, []string{"grpc_method=~CreatePool|DestroyPool", "grpc_code=OK"}, 5},
		{"diskpool_leader", nil, 1},
		{"diskpool_sync_duration_seconds", []string{"kind=DiskPool"}, 4},
		{"absent", nil, 0},
	} {
		if got := s.Sum(tc.family, tc.want...); got != tc.sum {
			t.Errorf("Sum(%s, %v) = %v, want %v", tc.family, tc.want, got, tc.sum)
		}
	}
	calls := s.AgentCalls()
	if all, ok := calls.Total("CreatePool"); all != 4 || ok != 3 {
		t.Errorf("CreatePool calls %d, OK %d; want 4, 3", all, ok)
	}
	if HistogramMean(Snapshot{}, s, "diskpool_sync_duration_seconds") != 0.5 {
		t.Errorf("HistogramMean = %v, want 0.5", HistogramMean(Snapshot{}, s, "diskpool_sync_duration_seconds"))
	}
	if _, err := Scrape(t.Context(), srv.URL+"/\x00"); err == nil {
		t.Error("Scrape of a bad URL succeeded")
	}
}
