package controller

import "time"

// Reconcile results, the result label of the reconcile metrics.
const (
	// ResultSuccess: the object is as it should be; nothing is scheduled.
	ResultSuccess = "success"
	// ResultRequeue: the plan asked for a timed look (RequeueAfter).
	ResultRequeue = "requeue"
	// ResultRetry: the plan asked for a backoff retry (a condition the user
	// or the node must fix, or a failed agent call).
	ResultRetry = "retry"
	// ResultConflict: a write met a newer object (409); the queue retries.
	ResultConflict = "conflict"
	// ResultError: any other failure (API error, unsettled loop).
	ResultError = "error"
)

// Metrics receives what the controller measures. pkg/metrics implements it
// on a Prometheus registry passed in; a nil Metrics in Config records
// nothing.
type Metrics interface {
	// ObserveReconcile records one sync of one object.
	ObserveReconcile(kind, result string, duration time.Duration)
	// ObserveWrite records one API write the controller made (events
	// excluded: the broadcaster writes them); err is its outcome, so
	// conflicts can be counted.
	ObserveWrite(verb, resource string, err error)
}

type noMetrics struct{}

func (noMetrics) ObserveReconcile(string, string, time.Duration) {}
func (noMetrics) ObserveWrite(string, string, error)             {}
