//go:build !linux

package localcluster

import "syscall"

// sysProcAttr puts the child in its own process group. Outside Linux there is
// no parent-death signal, so children of a crashed parent survive it.
func sysProcAttr(bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
