//go:build faultinject

package faultinject

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Sizes of TestStopHoldsTheCaller.
const (
	stopCycles = 50
	// busyGoroutines keep every P running, so the caller of a stop is
	// rarely the thread the kernel would pick for a process-directed one.
	busyGoroutines = 8
	// stopWait bounds each wait on the child (it is a handful of ms idle).
	stopWait = 30 * time.Second
)

// stopChildEnv makes the test binary the child of TestStopHoldsTheCaller.
const stopChildEnv = "FAULTINJECT_STOP_CHILD_DIR"

// TestStopHoldsTheCaller stops a busy child with stopUntil, stopCycles
// times, and checks that nothing after the stop runs before a SIGCONT: the
// child is fully stopped (every thread in state T) and has printed nothing
// since the previous cycle; one SIGCONT before the resume file exists is
// answered with exactly one "continued before" line and a stop; after the
// file, the child goes on. With a process-directed SIGSTOP (kill) the
// caller ran on and printed "continued before" lines no SIGCONT caused.
func TestStopHoldsTheCaller(t *testing.T) {
	if dir := os.Getenv(stopChildEnv); dir != "" {
		stopChild(dir)
		return
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "stderr")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopHoldsTheCaller$", "-test.count=1")
	cmd.Env = append(os.Environ(), stopChildEnv+"="+dir)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for i := range stopCycles {
		waitAllStopped(t, pid, out)
		checkOutput(t, out, i, i)
		signalChild(t, pid, syscall.SIGCONT) // before the file: must stop again
		waitOutput(t, out, "continued before", i+1)
		waitAllStopped(t, pid, out)
		checkOutput(t, out, i, i+1)
		if err := os.WriteFile(resumeFile(dir, i), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		signalChild(t, pid, syscall.SIGCONT)
		waitOutput(t, out, "passed ", i+1)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, readFile(t, out))
	}
}

func resumeFile(dir string, i int) string { return filepath.Join(dir, "resume-"+strconv.Itoa(i)) }

// stopChild is the child: busy goroutines, and stopCycles stops from a
// goroutine of its own.
func stopChild(dir string) {
	for range busyGoroutines {
		go func() {
			for x := 0; ; x++ {
				if x%1_000_000 == 0 {
					time.Sleep(time.Microsecond)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range stopCycles {
			stopUntil(resumeFile(dir, i))
			fmt.Fprintf(os.Stderr, "passed %d\n", i)
		}
	}()
	<-done
}

// waitAllStopped waits until every thread of pid is in state T: a stopped
// thread has finished any write it was in.
func waitAllStopped(t *testing.T, pid int, out string) {
	t.Helper()
	waitUntil(t, out, fmt.Sprintf("child %d stopped", pid), func() bool { return allStopped(pid) })
}

// waitUntil polls cond every millisecond for up to stopWait.
func waitUntil(t *testing.T, out, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), time.Millisecond, stopWait, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, readFile(t, out))
	}
}

func allStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			return false
		}
		i := bytes.LastIndexByte(data, ')')
		if i < 0 || i+2 >= len(data) || data[i+2] != 'T' {
			return false
		}
	}
	return true
}

// checkOutput fails unless the child printed exactly passed "passed" and
// continued "continued before" lines.
func checkOutput(t *testing.T, out string, passed, continued int) {
	t.Helper()
	s := readFile(t, out)
	if p, c := strings.Count(s, "passed "), strings.Count(s, "continued before"); p != passed || c != continued {
		t.Fatalf("stopped child printed %d passed and %d continued lines, want %d and %d: it ran on past a stop no SIGCONT ended\n%s", p, c, passed, continued, s)
	}
}

// waitOutput waits until the child printed n lines containing s.
func waitOutput(t *testing.T, out, s string, n int) {
	t.Helper()
	waitUntil(t, out, fmt.Sprintf("%d %q lines", n, s), func() bool { return strings.Count(readFile(t, out), s) >= n })
}

func signalChild(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
