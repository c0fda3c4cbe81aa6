package soak

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/addrfile"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

// maxOperators bounds the operator processes alive at once.
const maxOperators = 3

// operator is one operator process of the soak.
type operator struct {
	p        *localcluster.Process
	addrFile string
	faults   string
	frozen   bool
}

// operators starts and tracks the run's operators, replaces them when none
// is left (as a Deployment would) and samples their readiness.
type operators struct {
	t      *testing.T
	ns     string
	dir    string
	mu     sync.Mutex
	all    []*operator
	starts int
}

func (o *operators) start(faults string) *operator {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.startLocked(faults)
}

func (o *operators) startLocked(faults string) *operator {
	n := o.starts
	o.starts++
	addrFile := filepath.Join(o.dir, fmt.Sprintf("addresses-%d", n))
	args := append(harness.OperatorArgs(env, o.ns, "op-"+o.ns, addrFile), operatorArgs...)
	procEnv := []string{"POD_NAMESPACE=" + localenv.SystemNamespace}
	if faults != "" {
		procEnv = append(procEnv, "DISKPOOL_FAULTS="+faults)
	}
	p, err := localcluster.StartProcess(localcluster.ProcessConfig{
		Name:        fmt.Sprintf("operator %s #%d", o.ns, n),
		Path:        env.OperatorBinary(),
		Args:        args,
		Env:         procEnv,
		LogPath:     filepath.Join(env.LogDir(), fmt.Sprintf("%s.operator-%d.log", o.ns, n)),
		StopTimeout: 10 * time.Second,
	})
	if err != nil {
		o.t.Errorf("start operator: %v", err)
		return nil
	}
	op := &operator{p: p, addrFile: addrFile, faults: faults}
	o.all = append(o.all, op)
	return op
}

// alive returns the operators that have not exited.
func (o *operators) alive() []*operator {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*operator
	for _, op := range o.all {
		if !op.p.Exited() {
			out = append(out, op)
		}
	}
	return out
}

// ensure starts a fault-free operator when every alive one is frozen or
// none is alive: the Deployment's restart. It returns how many it started.
func (o *operators) ensure() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, op := range o.all {
		if !op.p.Exited() && !op.frozen {
			return 0
		}
	}
	if o.startLocked("") == nil {
		return 0
	}
	return 1
}

// leader returns the operator whose metrics say it leads, or nil.
func (o *operators) leader(ctx context.Context) *operator {
	for _, op := range o.alive() {
		if o.isFrozen(op) {
			continue
		}
		if m, err := op.scrape(ctx); err == nil && m.Sum("diskpool_leader") == 1 {
			return op
		}
	}
	return nil
}

// anyReady reports whether an unfrozen operator answers /readyz with 200.
func (o *operators) anyReady(ctx context.Context) bool {
	for _, op := range o.alive() {
		if !o.isFrozen(op) && op.ready(ctx) {
			return true
		}
	}
	return false
}

// isFrozen reads op.frozen under o.mu: the supervisor reads it while the
// schedule's goroutine sets it.
func (o *operators) isFrozen(op *operator) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return op.frozen
}

func (o *operators) setFrozen(op *operator, frozen bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	op.frozen = frozen
}

// frozenOnes returns the frozen operators.
func (o *operators) frozenOnes() []*operator {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*operator
	for _, op := range o.all {
		if op.frozen {
			out = append(out, op)
		}
	}
	return out
}

// killAll kills every process (a frozen one dies of SIGKILL too).
func (o *operators) killAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, op := range o.all {
		_ = op.p.Kill()
	}
}

func (op *operator) url(server, path string) string {
	addrs, err := addrfile.Read(op.addrFile)
	if err != nil || addrs[server] == "" {
		return ""
	}
	return "http://" + addrs[server] + path
}

func (op *operator) scrape(ctx context.Context) (metrics.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return metrics.Scrape(ctx, op.url("metrics", "/metrics"))
}

func (op *operator) ready(ctx context.Context) bool {
	u := op.url("health", "/readyz")
	if u == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// signal sends sig to pid, a process this test started.
func signal(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %v to %d: %w", sig, pid, err)
	}
	return nil
}
