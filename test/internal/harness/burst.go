package harness

import (
	"context"
	"sync"
)

// Burst calls do(i) for every i in [0, n) from workers goroutines at once,
// taking no more work once ctx is done. It returns at once; wait waits for
// the workers and returns the errors do returned.
func Burst(ctx context.Context, n, workers int, do func(i int) error) (wait func() []error) {
	work := make(chan int, n)
	for i := range n {
		work <- i
	}
	close(work)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range work {
				if ctx.Err() != nil {
					return
				}
				if err := do(i); err != nil {
					errs <- err
				}
			}
		})
	}
	return func() []error {
		wg.Wait()
		close(errs)
		var out []error
		for err := range errs {
			out = append(out, err)
		}
		return out
	}
}
