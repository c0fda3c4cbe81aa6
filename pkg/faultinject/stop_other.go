//go:build faultinject && !linux

package faultinject

import (
	"os"
	"syscall"
)

// stopSelf stops the process with SIGSTOP. Outside Linux it is
// process-directed, so the caller may run on briefly before it stops (see
// stop_linux.go).
func stopSelf() { _ = syscall.Kill(os.Getpid(), syscall.SIGSTOP) }
