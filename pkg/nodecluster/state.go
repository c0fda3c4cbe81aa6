package nodecluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// State is what StopState needs to stop a cluster started by another
// process (make cluster-up, then make cluster-down): every process by PID,
// and what the cluster changed on the host.
type State struct {
	WorkDir       string         `json:"workDir"`
	RemoveWorkDir bool           `json:"removeWorkDir"`
	Kubeconfig    string         `json:"kubeconfig"`
	Ctr           string         `json:"ctr"`
	Processes     []StateProcess `json:"processes"`
	Host          hostState      `json:"host"`
}

// StateProcess is one running process, in stop order.
type StateProcess struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	Path string `json:"path"`
}

// State returns the cluster's state; write it with WriteState.
func (c *Cluster) State() State {
	s := State{WorkDir: c.dirs.root, RemoveWorkDir: c.removeWorkDir, Kubeconfig: c.KubeconfigPath(), Ctr: c.bins.Ctr, Host: c.host}
	for _, name := range stopOrder {
		if p := c.proc(name); p != nil && !p.Exited() {
			s.Processes = append(s.Processes, StateProcess{Name: name, PID: p.PID(), Path: p.Path()})
		}
	}
	for _, p := range []*localcluster.Process{c.control.APIServer(), c.control.Etcd()} {
		if p != nil && !p.Exited() {
			s.Processes = append(s.Processes, StateProcess{Name: p.Name(), PID: p.PID(), Path: p.Path()})
		}
	}
	return s
}

// WriteState writes s as JSON.
func WriteState(path string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// ReadState reads a state file.
func ReadState(path string) (State, error) {
	var s State
	data, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(data, &s)
}

// StopState stops the cluster of s and cleans up as Stop does.
func StopState(s State) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := &Cluster{dirs: newDirs(s.WorkDir), host: s.Host, removeWorkDir: s.RemoveWorkDir}
	c.bins.Ctr = s.Ctr
	var errs []error
	for _, p := range s.Processes {
		if p.Name == procContainerd && c.socketAlive() {
			errs = append(errs, c.removeContainers(ctx))
		}
		errs = append(errs, stopPID(p))
	}
	errs = append(errs, c.cleanupHost(ctx))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop single-node cluster: %w", err)
	}
	if s.RemoveWorkDir {
		return os.RemoveAll(s.WorkDir)
	}
	return nil
}

func (c *Cluster) socketAlive() bool {
	_, err := os.Stat(c.dirs.containerdSocket)
	return err == nil
}

// stopPID sends SIGTERM to a process it started, after checking the PID
// still runs that program, then SIGKILL after 15 s.
func stopPID(p StateProcess) error {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.PID))
	if err != nil {
		return nil // gone
	}
	exe, _, _ := strings.Cut(string(cmdline), "\x00")
	if !strings.HasSuffix(exe, p.Name) && (p.Path == "" || exe != p.Path) {
		return fmt.Errorf("pid %d runs %q, not %s: not signalling it", p.PID, exe, p.Name)
	}
	if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil {
		return nil
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if !running(p.PID) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	for range 50 {
		if !running(p.PID) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.Name, p.PID)
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, after, ok := strings.Cut(string(data), ") ")
	return ok && !strings.HasPrefix(after, "Z")
}
