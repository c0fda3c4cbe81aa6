package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/client-go/util/workqueue"
)

func TestWorkqueueProviderFeedsAQueue(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	p, err := NewWorkqueue(reg)
	if err != nil {
		t.Fatal(err)
	}
	q := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "diskpool", MetricsProvider: p})
	defer q.ShutDown()

	q.Add("a")
	q.Add("b")
	item, _ := q.Get()
	q.Done(item)
	q.AddRateLimited("c")

	want := `
# HELP diskpool_workqueue_adds_total Adds handled by the workqueue.
# TYPE diskpool_workqueue_adds_total counter
diskpool_workqueue_adds_total{name="diskpool"} 2
# HELP diskpool_workqueue_depth Current depth of the workqueue.
# TYPE diskpool_workqueue_depth gauge
diskpool_workqueue_depth{name="diskpool"} 1
# HELP diskpool_workqueue_retries_total Rate-limited retries handled by the workqueue.
# TYPE diskpool_workqueue_retries_total counter
diskpool_workqueue_retries_total{name="diskpool"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"diskpool_workqueue_adds_total", "diskpool_workqueue_depth", "diskpool_workqueue_retries_total"); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"diskpool_workqueue_queue_duration_seconds", "diskpool_workqueue_work_duration_seconds"} {
		if n := testutil.CollectAndCount(reg, name); n != 1 {
			t.Errorf("%s: %d series, want 1", name, n)
		}
	}
}
