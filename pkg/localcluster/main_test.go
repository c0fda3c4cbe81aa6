package localcluster

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a child process for process tests,
// instead of running tests.
const helperEnv = "LOCALCLUSTER_TEST_HELPER"

// helperLifetime bounds how long a helper child lives whatever happens.
const helperLifetime = 60 * time.Second

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

// runHelper implements the child processes used by process tests:
//   - "serve": prints "ready", exits 0 on SIGTERM
//   - "ignore-term": prints "ready", ignores SIGTERM
//   - "fail": prints "boom" and exits 3 at once
func runHelper(mode string) int {
	switch mode {
	case "serve":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		fmt.Println("ready")
		select {
		case <-sigs:
			fmt.Println("got SIGTERM")
			return 0
		case <-time.After(helperLifetime):
			return 1
		}
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(helperLifetime)
		return 1
	case "fail":
		fmt.Println("boom")
		return 3
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		return 2
	}
}

// startHelper starts the test binary as a helper child in the given mode.
func startHelper(t *testing.T, mode string, stopTimeout time.Duration) *Process {
	t.Helper()
	p, err := StartProcess(ProcessConfig{
		Name:        "helper-" + mode,
		Path:        os.Args[0],
		Env:         []string{helperEnv + "=" + mode},
		LogPath:     t.TempDir() + "/helper.log",
		StopTimeout: stopTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Kill(); err != nil {
			t.Error(err)
		}
	})
	return p
}
