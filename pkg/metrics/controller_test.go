package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestController(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewController(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.ObserveReconcile("DiskPool", "success", 3*time.Millisecond)
	m.ObserveReconcile("DiskPool", "retry", 2*time.Second)
	m.ObserveWrite("update", "diskpools", nil)
	m.ObserveWrite("update", "diskpools/status", nil)
	m.ObserveWrite("update", "diskpools/status", apierrors.NewConflict(schema.GroupResource{Resource: "diskpools"}, "a", errors.New("stale")))

	want := `
# HELP diskpool_api_conflicts_total Controller writes refused with 409 Conflict (a stale cache; retried through the queue), by verb and resource.
# TYPE diskpool_api_conflicts_total counter
diskpool_api_conflicts_total{resource="diskpools/status",verb="update"} 1
# HELP diskpool_api_writes_total Writes the controller sent to the API server (events excluded), by verb and resource, whatever their outcome.
# TYPE diskpool_api_writes_total counter
diskpool_api_writes_total{resource="diskpools",verb="update"} 1
diskpool_api_writes_total{resource="diskpools/status",verb="update"} 2
# HELP diskpool_reconcile_total Syncs of pool objects, by kind and result (success, requeue, retry, conflict, error).
# TYPE diskpool_reconcile_total counter
diskpool_reconcile_total{kind="DiskPool",result="retry"} 1
diskpool_reconcile_total{kind="DiskPool",result="success"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"diskpool_api_conflicts_total", "diskpool_api_writes_total", "diskpool_reconcile_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.duration, "diskpool_reconcile_duration_seconds"); n != 2 {
		t.Errorf("duration series = %d, want 2", n)
	}
	if _, err := NewController(reg); err == nil {
		t.Error("registering twice on one registry succeeded")
	}
}
