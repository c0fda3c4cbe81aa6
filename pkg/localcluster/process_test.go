package localcluster

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitForLog polls the process log until it contains want, for at most 10 s.
func waitForLog(t *testing.T, p *Process, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.LogTail(20), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log of %s never contained %q; tail:\n%s", p.Name(), want, p.LogTail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func assertGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists (kill -0: %v)", pid, err)
	}
}

func TestProcessStopGraceful(t *testing.T) {
	p := startHelper(t, "serve", 10*time.Second)
	waitForLog(t, p, "ready")
	began := time.Now()
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Stop took %s; want a prompt exit on SIGTERM", d)
	}
	if err := p.Wait(context.Background()); err != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", err)
	}
	if !strings.Contains(p.LogTail(5), "got SIGTERM") {
		t.Errorf("log does not show SIGTERM handling:\n%s", p.LogTail(5))
	}
	assertGone(t, p.PID())
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestProcessStopEscalatesToKill(t *testing.T) {
	p := startHelper(t, "ignore-term", 300*time.Millisecond)
	waitForLog(t, p, "ready")
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	var exitErr *exec.ExitError
	if err := p.Wait(context.Background()); !errors.As(err, &exitErr) ||
		exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("exit: %v, want killed by SIGKILL", err)
	}
	assertGone(t, p.PID())
}

func TestProcessKill(t *testing.T) {
	p := startHelper(t, "serve", time.Minute)
	waitForLog(t, p, "ready")
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if !p.Exited() {
		t.Error("Exited() = false after Kill")
	}
	assertGone(t, p.PID())
}

func TestProcessWaitHonoursContext(t *testing.T) {
	p := startHelper(t, "serve", time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v, want deadline exceeded", err)
	}
}

func TestWaitReadyReportsEarlyExit(t *testing.T) {
	p := startHelper(t, "fail", time.Second)
	err := waitReady(context.Background(), p, 10*time.Second, func(context.Context) error {
		return errors.New("not yet")
	})
	if err == nil {
		t.Fatal("waitReady succeeded for a process that exited")
	}
	for _, want := range []string{"exited", "exit status 3", "not yet", "boom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestWaitReadyTimesOut(t *testing.T) {
	p := startHelper(t, "serve", time.Second)
	err := waitReady(context.Background(), p, 300*time.Millisecond, func(context.Context) error {
		return errors.New("still starting")
	})
	if err == nil || !strings.Contains(err.Error(), "not ready after 300ms") || !strings.Contains(err.Error(), "still starting") {
		t.Errorf("waitReady = %v, want a timeout naming the last check error", err)
	}
}

func TestWaitReadySucceeds(t *testing.T) {
	p := startHelper(t, "serve", time.Second)
	calls := 0
	err := waitReady(context.Background(), p, 10*time.Second, func(context.Context) error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("waitReady = %v after %d checks, want nil after 3", err, calls)
	}
}

func TestTailFile(t *testing.T) {
	p := startHelper(t, "fail", time.Second)
	if err := p.Wait(context.Background()); err == nil {
		t.Fatal("helper fail exited 0")
	}
	tail := p.LogTail(1)
	if tail != "boom" {
		t.Errorf("LogTail(1) = %q, want %q", tail, "boom")
	}
	if got := tailFile(t.TempDir()+"/missing", 3); !strings.Contains(got, "cannot read") {
		t.Errorf("tailFile(missing) = %q", got)
	}
}
