package controller

import (
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/util/workqueue"
)

// QueueName names the workqueue; its metrics carry it as the name label.
const QueueName = "diskpool"

const (
	// DefaultBackoffBase is the first retry delay of a failing object.
	DefaultBackoffBase = 5 * time.Second
	// DefaultBackoffMax caps the retry delay of a failing object.
	//
	// With the defaults an object that keeps failing is retried after 5s,
	// 10s, 20s, 40s, 80s and 160s (5m15s in all), then every 5m, since the
	// 7th delay, 320s, is capped. Any sync that ends without a retry
	// resets the sequence (Forget).
	DefaultBackoffMax = 5 * time.Minute
	// DefaultQueueQPS and DefaultQueueBurst bound the queue as a whole: a
	// mass failure (an agent restart under thousands of pools) is retried at
	// no more than 50 objects a second after a first burst of 300, so the
	// retries never starve the API server or the agents.
	DefaultQueueQPS   = 50
	DefaultQueueBurst = 300
)

// newRateLimiter returns the max of a per-item exponential backoff
// (base, 2*base, 4*base, ... capped at max) and an overall token bucket.
func newRateLimiter(base, maxDelay time.Duration, qps float64, burst int) workqueue.TypedRateLimiter[key] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[key](base, maxDelay),
		&workqueue.TypedBucketRateLimiter[key]{Limiter: rate.NewLimiter(rate.Limit(qps), burst)},
	)
}
