//go:build faultinject

package faultinject

import (
	"os"
	"runtime"
	"syscall"
)

// stopSelf stops the whole process with SIGSTOP and returns once it is
// continued. The signal is sent to the calling thread (tgkill), not to the
// process (kill): a process-directed SIGSTOP is taken by whichever thread
// the kernel picks, and the caller runs on past kill until that thread
// gets a CPU and stops the group. Under load that was long enough for
// stopUntil to loop maxStops times and let the call out unstopped. A
// thread-directed SIGSTOP is handled by the caller itself on its way out
// of tgkill, so nothing after this call runs before a SIGCONT.
func stopSelf() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_ = syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGSTOP)
}
