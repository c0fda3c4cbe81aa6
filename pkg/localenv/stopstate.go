package localenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// WorkDirMarker is created in every work directory Start uses; StopState
// removes a work directory only when it holds this file.
const WorkDirMarker = ".diskpool-localenv"

// killWait bounds the wait for a process to go after SIGKILL.
const killWait = 5 * time.Second

// ProcessIs reports whether pid is a live process started from binary whose
// command line mentions workDir: a PID recorded in an env file is signalled
// only while this holds, so a PID reused by an unrelated process is never
// touched. The reason says why not, when it does not hold.
func ProcessIs(pid int, binary, workDir string) (bool, string) {
	if pid <= 1 {
		return false, "not a usable PID"
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false, "no such process"
	}
	// The state follows the parenthesised command name, which may itself
	// contain spaces and parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
		return false, "process has exited"
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return false, "process has exited"
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if args[0] != binary {
		return false, fmt.Sprintf("PID %d now runs %s, not %s", pid, args[0], binary)
	}
	for _, a := range args[1:] {
		if strings.Contains(a, workDir) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("PID %d runs %s but not for %s", pid, binary, workDir)
}

// StopState stops the processes of s (operator, agents, kube-apiserver,
// etcd, in that order): each gets SIGTERM, then SIGKILL if it is still
// there after grace. A PID that no longer belongs to the recorded process
// (ProcessIs) is left alone and reported on out. It then removes the disks
// of s's nodes and the work directory (only if it holds WorkDirMarker).
func StopState(ctx context.Context, s State, grace time.Duration, out io.Writer) error {
	var errs []error
	for _, p := range s.Processes {
		name := p.Role
		if p.Node != "" {
			name += " " + p.Node
		}
		if ok, why := ProcessIs(p.PID, p.Binary, s.WorkDir); !ok {
			_, _ = fmt.Fprintf(out, "%s (PID %d): not signalled: %s\n", name, p.PID, why)
			continue
		}
		began := time.Now()
		how, err := stopPID(ctx, p, s.WorkDir, grace)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (PID %d): %w", name, p.PID, err))
			continue
		}
		_, _ = fmt.Fprintf(out, "%s (PID %d): %s in %s\n", name, p.PID, how, time.Since(began).Round(10*time.Millisecond))
	}
	if err := errors.Join(errs...); err != nil {
		return err // keep the files of processes that may still run
	}
	return RemoveStateFiles(s)
}

// stopPID sends SIGTERM and waits for the process to go, then SIGKILL.
func stopPID(ctx context.Context, p ProcessRecord, workDir string, grace time.Duration) (string, error) {
	gone := func(context.Context) (bool, error) {
		ok, _ := ProcessIs(p.PID, p.Binary, workDir)
		return !ok, nil
	}
	if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return "", fmt.Errorf("SIGTERM: %w", err)
	}
	if err := wait.PollUntilContextTimeout(ctx, pollInterval, grace, true, gone); err == nil {
		return "stopped", nil
	}
	// Re-check right before the kill: the PID must still be ours.
	if ok, _ := ProcessIs(p.PID, p.Binary, workDir); !ok {
		return "stopped", nil
	}
	if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return "", fmt.Errorf("SIGKILL: %w", err)
	}
	if err := wait.PollUntilContextTimeout(ctx, pollInterval, killWait, true, gone); err != nil {
		return "", fmt.Errorf("still running %s after SIGKILL", killWait)
	}
	return fmt.Sprintf("killed (SIGTERM not honoured within %s)", grace), nil
}

// RemoveStateFiles removes each node's disk directory under s.DiskRoot,
// DiskRoot itself when empty, and s.WorkDir when it holds WorkDirMarker.
func RemoveStateFiles(s State) error {
	var errs []error
	if s.DiskRoot != "" {
		for _, n := range s.Nodes {
			if n == "" || strings.ContainsAny(n, "/\x00") || n == "." || n == ".." {
				errs = append(errs, fmt.Errorf("node name %q is not a directory name", n))
				continue
			}
			if err := os.RemoveAll(filepath.Join(s.DiskRoot, n)); err != nil {
				errs = append(errs, err)
			}
		}
		if err := os.Remove(s.DiskRoot); err != nil && !errors.Is(err, os.ErrNotExist) && !isNotEmpty(err) {
			errs = append(errs, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.WorkDir, WorkDirMarker)); err == nil {
		if err := os.RemoveAll(s.WorkDir); err != nil {
			errs = append(errs, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}
