package controller

import (
	"testing"
	"time"
)

func TestBackoffSequence(t *testing.T) {
	rl := newRateLimiter(DefaultBackoffBase, DefaultBackoffMax, DefaultQueueQPS, DefaultQueueBurst)
	k := key{Kind: KindDiskPool, Namespace: "ns", Name: "a"}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second,
		80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if got := rl.When(k); got != w {
			t.Errorf("retry %d: delay %v, want %v", i+1, got, w)
		}
	}
	rl.Forget(k)
	if got := rl.When(k); got != DefaultBackoffBase {
		t.Errorf("after Forget: delay %v, want %v", got, DefaultBackoffBase)
	}
}

func TestOverallBucketLimitsMassRetries(t *testing.T) {
	rl := newRateLimiter(time.Millisecond, time.Millisecond, 10, 2)
	var last time.Duration
	for i := range 5 {
		last = rl.When(key{Kind: KindDiskPool, Name: string(rune('a' + i))})
	}
	// Two tokens of burst, then 10/s: the 5th first retry waits ~300ms,
	// far beyond its own 1ms backoff.
	if last < 200*time.Millisecond {
		t.Errorf("5th retry delay %v: the overall bucket did not apply", last)
	}
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	var c Config
	if err := c.validate(); err == nil {
		t.Error("empty config accepted")
	}
	c.setDefaults()
	if c.BackoffBase != DefaultBackoffBase || c.BackoffMax != DefaultBackoffMax || c.QueueQPS != DefaultQueueQPS || c.Clock == nil || c.Metrics == nil {
		t.Errorf("defaults not set: %+v", c)
	}
	c = Config{BackoffBase: time.Minute, BackoffMax: time.Second}
	if err := c.validate(); err == nil {
		t.Error("base > max accepted")
	}
}
