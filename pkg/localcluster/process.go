package localcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// DefaultStopTimeout is how long Stop waits after SIGTERM before SIGKILL.
const DefaultStopTimeout = 10 * time.Second

// killWait bounds the wait for a process to be reaped after SIGKILL.
const killWait = 5 * time.Second

// ProcessConfig describes a process to start.
type ProcessConfig struct {
	// Name identifies the process in errors, e.g. "etcd".
	Name string
	// Path is the executable.
	Path string
	Args []string
	// Env is added to the environment of the current process.
	Env []string
	// Dir is the working directory; empty means the current one.
	Dir string
	// LogPath receives stdout and stderr; it is appended to, so a restarted
	// process keeps one log.
	LogPath string
	// StopTimeout is the grace period after SIGTERM; zero means
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// SurviveParent lets the process outlive the current one. By default it
	// is killed (Linux only) when the current process dies, so a crashed or
	// timed-out test leaves nothing behind.
	SurviveParent bool
}

// Process is a started child process.
type Process struct {
	cfg  ProcessConfig
	cmd  *exec.Cmd
	done chan struct{}
	// err is the result of cmd.Wait, written before done is closed.
	err error
}

// StartProcess starts cfg.Path with its output appended to cfg.LogPath. The
// process runs in its own process group, so a Ctrl-C in a terminal reaches
// only the current process, which then stops its children in order.
func StartProcess(cfg ProcessConfig) (*Process, error) {
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	logFile, err := os.OpenFile(cfg.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: open log: %w", cfg.Name, err)
	}
	// The child gets its own copy of the descriptor; the parent's copy is
	// only needed until the child has started.
	defer func() { _ = logFile.Close() }()
	if _, err := fmt.Fprintf(logFile, "==== %s: starting %s %q\n", time.Now().Format(time.RFC3339Nano), cfg.Path, cfg.Args); err != nil {
		return nil, fmt.Errorf("start %s: write log: %w", cfg.Name, err)
	}

	cmd := exec.Command(cfg.Path, cfg.Args...)
	cmd.Dir = cfg.Dir
	cmd.Env = append(os.Environ(), cfg.Env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr(cfg.SurviveParent)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	p := &Process{cfg: cfg, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Name returns the name given in the config.
func (p *Process) Name() string { return p.cfg.Name }

// PID returns the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// LogPath returns the file receiving the process output.
func (p *Process) LogPath() string { return p.cfg.LogPath }

// Path returns the executable.
func (p *Process) Path() string { return p.cfg.Path }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit and returns its exit error, or the
// context's error.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("wait for %s (pid %d): %w", p.cfg.Name, p.PID(), ctx.Err())
	}
}

// Stop sends SIGTERM, waits up to the stop timeout, then sends SIGKILL. It
// returns nil once the process is gone, whatever its exit status, and is safe
// to call more than once.
func (p *Process) Stop() error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s (pid %d): %w", p.cfg.Name, p.PID(), err)
	}
	timer := time.NewTimer(p.cfg.StopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	return p.Kill()
}

// Kill sends SIGKILL, as a crash would, and waits for the process to be
// reaped.
func (p *Process) Kill() error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s (pid %d): %w", p.cfg.Name, p.PID(), err)
	}
	timer := time.NewTimer(killWait)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
		return fmt.Errorf("kill %s (pid %d): still running %s after SIGKILL", p.cfg.Name, p.PID(), killWait)
	}
}

// LogTail returns up to the last n lines of the process log, for error
// messages.
func (p *Process) LogTail(n int) string {
	return tailFile(p.cfg.LogPath, n)
}

// tailFile returns the last n lines of path, reading at most its last 64 KiB.
func tailFile(path string, n int) string {
	const maxRead = 64 << 10
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer func() { _ = f.Close() }()
	if info, err := f.Stat(); err == nil && info.Size() > maxRead {
		if _, err := f.Seek(-maxRead, io.SeekEnd); err != nil {
			return fmt.Sprintf("(cannot read %s: %v)", path, err)
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
