package harness

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestBurstCallsEachOnceWithinWorkers(t *testing.T) {
	const n, workers = 50, 4
	var mu sync.Mutex
	seen := map[int]int{}
	var running, most atomic.Int32
	wait := Burst(t.Context(), n, workers, func(i int) error {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		mu.Lock()
		seen[i]++
		mu.Unlock()
		if i%10 == 0 {
			return fmt.Errorf("item %d", i)
		}
		return nil
	})
	errs := wait()
	if len(seen) != n {
		t.Errorf("%d items called, want %d", len(seen), n)
	}
	for i, c := range seen {
		if c != 1 {
			t.Errorf("item %d called %d times", i, c)
		}
	}
	if len(errs) != n/10 {
		t.Errorf("%d errors, want %d: %v", len(errs), n/10, errs)
	}
	if m := most.Load(); m > workers {
		t.Errorf("%d calls at once, want at most %d", m, workers)
	}
}

func TestBurstStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int32
	wait := Burst(ctx, 100, 1, func(int) error {
		if calls.Add(1) == 3 {
			cancel()
		}
		return nil
	})
	wait()
	if c := calls.Load(); c != 3 {
		t.Errorf("%d calls, want 3 (none after the cancel)", c)
	}
}
