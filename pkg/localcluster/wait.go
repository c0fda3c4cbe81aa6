package localcluster

import (
	"context"
	"fmt"
	"time"
)

// pollInterval is how often readiness checks are repeated.
const pollInterval = 100 * time.Millisecond

// checkTimeout bounds a single readiness check.
const checkTimeout = 2 * time.Second

// logTailLines is how much of a process log an error message carries.
const logTailLines = 30

// waitReady polls check until it succeeds, failing when timeout passes, ctx
// ends or p exits first. The error carries the last check error and the tail
// of p's log.
func waitReady(ctx context.Context, p *Process, timeout time.Duration, check func(context.Context) error) error {
	deadline, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		checkCtx, checkCancel := context.WithTimeout(deadline, checkTimeout)
		err := check(checkCtx)
		checkCancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.Done():
			exit := "exit status 0"
			if exitErr := p.Wait(context.Background()); exitErr != nil {
				exit = exitErr.Error()
			}
			return fmt.Errorf("%s (pid %d) exited (%s) before it was ready: %w\n---- tail of %s ----\n%s",
				p.Name(), p.PID(), exit, err, p.LogPath(), p.LogTail(logTailLines))
		case <-deadline.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("wait for %s (pid %d): %w", p.Name(), p.PID(), ctx.Err())
			}
			return fmt.Errorf("%s (pid %d) not ready after %s: %w\n---- tail of %s ----\n%s",
				p.Name(), p.PID(), timeout, err, p.LogPath(), p.LogTail(logTailLines))
		case <-ticker.C:
		}
	}
}
