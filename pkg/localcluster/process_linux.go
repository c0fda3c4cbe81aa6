package localcluster

import "syscall"

// sysProcAttr puts the child in its own process group and, unless it must
// survive its parent, has the kernel kill it when the parent dies. Pdeathsig
// fires when the thread that started the child exits; the Go runtime only
// ends a thread when a goroutine exits while locked to it with
// runtime.LockOSThread, which nothing here does.
func sysProcAttr(surviveParent bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if !surviveParent {
		attr.Pdeathsig = syscall.SIGKILL
	}
	return attr
}
