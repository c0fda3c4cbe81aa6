package soak

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// maxOperators bounds the operator processes alive at once.
const maxOperators = 3

// operator is one operator process of the soak.
type operator struct {
	*harness.Operator
	faults string
	frozen bool
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
	var faultEnv []string
	if faults != "" {
		faultEnv = []string{"DISKPOOL_FAULTS=" + faults}
	}
	h, err := harness.StartOperator(env, harness.OperatorSpec{
		NS: o.ns, LeaderID: "op-" + o.ns, Index: n,
		AddrFile:    filepath.Join(o.dir, fmt.Sprintf("addresses-%d", n)),
		Args:        operatorArgs,
		Env:         faultEnv,
		StopTimeout: 10 * time.Second,
	})
	if err != nil {
		o.t.Errorf("start operator: %v", err)
		return nil
	}
	op := &operator{Operator: h, faults: faults}
	o.all = append(o.all, op)
	return op
}

// alive returns the operators that have not exited.
func (o *operators) alive() []*operator {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*operator
	for _, op := range o.all {
		if !op.Process.Exited() {
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
		if !op.Process.Exited() && !op.frozen {
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
		if probe(ctx, op.Leading) {
			return op
		}
	}
	return nil
}

// anyReady reports whether an unfrozen operator answers /readyz with 200.
func (o *operators) anyReady(ctx context.Context) bool {
	for _, op := range o.alive() {
		if !o.isFrozen(op) && probe(ctx, op.Ready) {
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
		_ = op.Process.Kill()
	}
}

// probeTimeout bounds one scrape or /readyz request of the samplers,
// tighter than metrics.Timeout: an operator slower than this to answer
// counts as not ready.
const probeTimeout = 2 * time.Second

// probe asks check within probeTimeout.
func probe(ctx context.Context, check func(context.Context) bool) bool {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return check(ctx)
}

// signal sends sig to pid, a process this test started.
func signal(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %v to %d: %w", sig, pid, err)
	}
	return nil
}
