package fault

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

// convergeTimeout bounds the waits: twice the other suites', as a fault
// may cost a Lease or a backoff.
const convergeTimeout = 60 * time.Second

// scenarioNodes are the nodes of each scenario: every scenario has its own
// agents, so the agents' gRPC counters and logs are its alone, and an agent
// fault touches no other scenario.
var scenarioNodes = map[int][]string{
	1: {"s01"}, 2: {"s02"}, 3: {"s03"}, 4: {"s04"}, 5: {"s05"}, 6: {"s06"}, 7: {"s07"}, 8: {"s08"},
	9: {"s09"}, 10: {"s10a", "s10b"}, 11: {"s11"}, 12: {"s12"}, 13: {"s13a", "s13b"}, 14: {"s14"},
	15: {"s15"}, 16: {"s16"}, 17: {"s17"}, 18: {"s18"}, 19: {"s19"},
}

func allNodes() []string {
	var ids []int
	for id := range scenarioNodes {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var nodes []string
	for _, id := range ids {
		nodes = append(nodes, scenarioNodes[id]...)
	}
	return nodes
}

// ---- results table ----

// sideEffects are what the agents did for one run: gRPC calls by method
// (from the agents' own server metrics, diskpool_agent_grpc_server_*) and
// pools actually created and destroyed (from the agents' logs, by pool
// uuid, which survive an agent restart).
type sideEffects struct {
	CreateOK, CreateCalls   int
	DestroyOK, DestroyCalls int
	PoolsCreated            int
	PoolsDestroyed          int
}

func (s sideEffects) creates() string {
	return fmt.Sprintf("%d (%d calls, %d OK)", s.PoolsCreated, s.CreateCalls, s.CreateOK)
}

func (s sideEffects) destroys() string {
	return fmt.Sprintf("%d (%d calls, %d OK)", s.PoolsDestroyed, s.DestroyCalls, s.DestroyOK)
}

type row struct {
	ID          int
	Test, Title string
	Pass        bool
	Skipped     bool
	Fault, Base sideEffects
	HasBase     bool
	Converge    time.Duration
	Note        string
}

type resultTable struct {
	mu   sync.Mutex
	rows []*row
}

var results = &resultTable{}

func (r *resultTable) add(x *row) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, x)
}

func (r *resultTable) render() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows := slices.Clone(r.rows)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	var b strings.Builder
	b.WriteString("\n| # | scenario (test) | pass | pools created (CreatePool calls, OK): fault / fault-free | pools destroyed (DestroyPool calls, OK): fault / fault-free | convergence | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, x := range rows {
		pass := "yes"
		switch {
		case x.Skipped:
			pass = "skipped"
		case !x.Pass:
			pass = "**NO**"
		}
		base := "-"
		baseD := "-"
		if x.HasBase {
			base, baseD = x.Base.creates(), x.Base.destroys()
		}
		conv := "-"
		if x.Converge > 0 {
			conv = x.Converge.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %d | %s (%s) | %s | %s / %s | %s / %s | %s | %s |\n", x.ID, x.Title, x.Test, pass,
			x.Fault.creates(), base, x.Fault.destroys(), baseD, conv, x.Note)
	}
	return b.String()
}

// ---- scenario ----

// scenario is one named test: its nodes, its row in the table.
type scenario struct {
	t     *testing.T
	ctx   context.Context
	id    int
	nodes []string
	row   *row
	kube  kubernetes.Interface
	pools versioned.Interface
}

// newScenario sets up scenario id; the row is recorded when the test ends.
func newScenario(t *testing.T, id int, title string) *scenario {
	t.Helper()
	f := harness.NewFixture(t, suite.Env(t))
	s := &scenario{t: t, ctx: t.Context(), id: id, nodes: scenarioNodes[id], kube: f.Kube, pools: f.Pools,
		row: &row{ID: id, Test: t.Name(), Title: title}}
	t.Cleanup(func() {
		s.row.Pass, s.row.Skipped = !t.Failed(), t.Skipped()
		results.add(s.row)
		if !t.Failed() {
			return
		}
		for _, n := range s.nodes {
			harness.LogTails(t, f.Env.Agent(n))
		}
	})
	return s
}

// wantCreated and wantDestroyed check the pools the faulted run created
// and destroyed (from the agents' logs).
func (s *scenario) wantCreated(n int) {
	s.t.Helper()
	if got := s.row.Fault.PoolsCreated; got != n {
		s.t.Errorf("%d pools created, want %d", got, n)
	}
}

func (s *scenario) wantDestroyed(n int) {
	s.t.Helper()
	if got := s.row.Fault.PoolsDestroyed; got != n {
		s.t.Errorf("%d pools destroyed, want %d", got, n)
	}
}

// note appends to the table row's notes (and the test log).
func (s *scenario) note(format string, args ...any) {
	s.t.Helper()
	msg := fmt.Sprintf(format, args...)
	s.t.Log(msg)
	if s.row.Note != "" {
		s.row.Note += "; "
	}
	s.row.Note += msg
}

// ---- run: one workload in its own namespace ----

// run is one execution of a workload: the fault-free one or the faulted
// one. Its objects live in a namespace of their own and are named
// <tag>-<suffix>, so the two runs can share the scenario's nodes (an agent
// names pools by object name) and compare after masking the tag.
type run struct {
	s     *scenario
	t     *testing.T
	ctx   context.Context
	kind  string
	ns    string
	tag   string
	disks []string // in allocation order: disk<i> when masked
	uids  map[string]string
	// before are the agents' gRPC counters when the run began.
	before map[string]metrics.Calls
	ops    []*operator
	mu     sync.Mutex // uids, when written concurrently
}

func (s *scenario) newRun(kind string) *run {
	s.t.Helper()
	tag := fmt.Sprintf("s%02d%s-%s", s.id, kind[:1], harness.RandHex(3))
	r := &run{s: s, t: s.t, ctx: s.ctx, kind: kind, ns: tag, tag: tag, uids: map[string]string{}, before: map[string]metrics.Calls{}}
	if _, err := s.kube.CoreV1().Namespaces().Create(s.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.ns}}, metav1.CreateOptions{}); err != nil {
		s.t.Fatal(err)
	}
	for _, n := range s.nodes {
		r.before[n] = harness.AgentCalls(s.t, s.ctx, env, n)
	}
	s.t.Cleanup(func() {
		if !s.t.Failed() {
			return
		}
		for _, o := range r.ops {
			harness.LogTails(s.t, o.Process)
		}
	})
	return r
}

// name is the object name of the run's i-th pool.
func (r *run) name(i int) string { return fmt.Sprintf("%s-p%d", r.tag, i) }

// node is the node of the run's i-th pool: round-robin over the scenario's.
func (r *run) node(i int) string { return r.s.nodes[i%len(r.s.nodes)] }

// newDisk adds a fresh empty disk to node.
func (r *run) newDisk(node string) string {
	r.t.Helper()
	p, err := env.AddDisk(node)
	if err != nil {
		r.t.Fatal(err)
	}
	r.disks = append(r.disks, p)
	return p
}

// create creates pool i on a new disk of its node.
func (r *run) create(i int) *v1beta3.DiskPool {
	r.t.Helper()
	return r.createOn(r.name(i), r.node(i), r.newDisk(r.node(i)))
}

func (r *run) createOn(name, node, disk string) *v1beta3.DiskPool {
	r.t.Helper()
	p, err := r.s.pools.OpenebsV1beta3().DiskPools(r.ns).Create(r.ctx, &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.ns},
		Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: []string{disk}},
	}, metav1.CreateOptions{})
	if err != nil {
		r.t.Fatalf("create DiskPool %s/%s: %v", r.ns, name, err)
	}
	r.setUID(name, string(p.UID))
	return p
}

// createN creates pools 0..n-1.
func (r *run) createN(n int) {
	r.t.Helper()
	for i := range n {
		r.create(i)
	}
}

func (r *run) get(name string) (*v1beta3.DiskPool, error) {
	return r.s.pools.OpenebsV1beta3().DiskPools(r.ns).Get(r.ctx, name, metav1.GetOptions{})
}

func (r *run) list() []v1beta3.DiskPool {
	r.t.Helper()
	l, err := r.tryList()
	if err != nil {
		r.t.Fatal(err)
	}
	return l
}

// tryList lists the run's objects; waits use it, so an API server that is
// briefly away (scenarios 14 and 15) is waited for, not a failure.
func (r *run) tryList() ([]v1beta3.DiskPool, error) {
	l, err := r.s.pools.OpenebsV1beta3().DiskPools(r.ns).List(r.ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (r *run) delete(name string) {
	r.t.Helper()
	if err := r.s.pools.OpenebsV1beta3().DiskPools(r.ns).Delete(r.ctx, name, metav1.DeleteOptions{}); err != nil {
		r.t.Fatalf("delete DiskPool %s/%s: %v", r.ns, name, err)
	}
}

func (r *run) deleteN(n int) {
	r.t.Helper()
	for i := range n {
		r.delete(r.name(i))
	}
}

// waitFor polls until cond holds, failing with what after timeout.
func (r *run) waitFor(what string, timeout time.Duration, cond func() (bool, string)) {
	r.t.Helper()
	harness.Poll(r.t, r.ctx, what, timeout, func(context.Context) (bool, string) { return cond() })
}

// waitCreated waits until pools 0..n-1 are Created/Online with Ready=True.
func (r *run) waitCreated(n int, timeout time.Duration) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%d pools of %s Created", n, r.ns), timeout, func() (bool, string) {
		done := 0
		var notYet []string
		l, err := r.tryList()
		if err != nil {
			return false, err.Error()
		}
		for _, p := range l {
			if isCreatedOnline(&p) {
				done++
			} else if len(notYet) < 3 {
				notYet = append(notYet, p.Name+": "+harness.Describe(&p))
			}
		}
		return done >= n, fmt.Sprintf("%d Created; e.g. %s", done, strings.Join(notYet, " | "))
	})
}

// waitEmpty waits until the run's namespace holds no pool object.
// waitNoPools waits until the run's agents report no pool at all.
func (r *run) waitNoPools(timeout time.Duration) {
	r.t.Helper()
	r.waitFor("no pool left on the node", timeout, func() (bool, string) {
		var left []string
		for name := range r.agentPools() {
			left = append(left, name)
		}
		return len(left) == 0, fmt.Sprintf("pools left: %s", strings.Join(left, ", "))
	})
}

func (r *run) waitEmpty(timeout time.Duration) {
	r.t.Helper()
	r.waitFor("every pool object of "+r.ns+" gone", timeout, func() (bool, string) {
		l, err := r.tryList()
		if err != nil {
			return false, err.Error()
		}
		if len(l) == 0 {
			return true, ""
		}
		return false, fmt.Sprintf("%d left, e.g. %s: %s", len(l), l[0].Name, harness.Describe(&l[0]))
	})
}

// waitPool waits until pool name satisfies cond.
func (r *run) waitPool(name, what string, timeout time.Duration, cond func(*v1beta3.DiskPool) bool) *v1beta3.DiskPool {
	r.t.Helper()
	var last *v1beta3.DiskPool
	r.waitFor(fmt.Sprintf("pool %s/%s %s", r.ns, name, what), timeout, func() (bool, string) {
		p, err := r.get(name)
		if err != nil {
			return false, err.Error()
		}
		last = p
		return cond(p), harness.Describe(p)
	})
	return last
}

// isCreatedOnline is harness.IsCreatedOnline, not deleting and with the
// current generation observed: a run's end state is compared line by line.
func isCreatedOnline(p *v1beta3.DiskPool) bool {
	return p.DeletionTimestamp == nil && harness.IsCreatedOnline(p) && p.Status.ObservedGeneration == p.Generation
}

// ---- operators ----

// operator is one operator process started by a run.
type operator struct {
	*harness.Operator
	// restarts counts the restarts of opConfig.restart.
	restarts atomic.Int32
	// resumeFile lets a stop fault resume (DISKPOOL_FAULTS_RESUME_FILE).
	resumeFile string
}

// resume lets a process stopped by a stop fault go on.
func (o *operator) resume(t *testing.T) {
	t.Helper()
	o.checkHeld(t)
	if err := os.WriteFile(o.resumeFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A SIGCONT that lands between the hook's check of the file and its
	// next SIGSTOP is lost: send it until the process says it resumed.
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		_ = syscall.Kill(o.Process.PID(), syscall.SIGCONT)
		return o.logHas(": resumed"), nil
	})
	if err != nil {
		t.Fatalf("%s did not resume: %v", o.Process.Name(), err)
	}
}

// opConfig configures startOperator.
type opConfig struct {
	// faults is DISKPOOL_FAULTS; empty runs the build without faults.
	faults string
	// leaderID is the leader-election Lease; empty means the run's own.
	leaderID string
	// noWait skips waiting for /readyz (a standby is ready too; a faulted
	// operator may crash before).
	noWait bool
	// args are extra flags.
	args []string
	// restart starts the operator again whenever it exits, as a
	// Deployment's restart policy would (at most maxRestarts times).
	restart bool
}

// maxRestarts bounds opConfig.restart.
const maxRestarts = 5

// startOperator starts an operator for the run's namespace with the
// operator ServiceAccount, the operator's mTLS identity and the suite's
// flags, as localenv starts its own: on port 0, its ports read back from
// its address file.
func (r *run) startOperator(c opConfig) *operator {
	r.t.Helper()
	if c.leaderID == "" {
		c.leaderID = "op-" + r.ns
	}
	resumeFile := filepath.Join(r.t.TempDir(), "resume")
	var faultEnv []string
	if c.faults != "" {
		faultEnv = []string{"DISKPOOL_FAULTS=" + c.faults, "DISKPOOL_FAULTS_RESUME_FILE=" + resumeFile}
	}
	h, err := harness.StartOperator(env, harness.OperatorSpec{
		NS: r.ns, LeaderID: c.leaderID, Index: len(r.ops),
		AddrFile:    filepath.Join(r.t.TempDir(), "addresses"),
		Args:        slices.Concat(operatorArgs, c.args),
		Env:         faultEnv,
		StopTimeout: 15 * time.Second,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	o := &operator{Operator: h, resumeFile: resumeFile}
	r.ops = append(r.ops, o)
	r.t.Cleanup(func() {
		// A stopped (SIGSTOP) process dies of SIGKILL too.
		_ = h.Process.Kill()
	})
	if c.restart {
		r.supervise(o)
	}
	if !c.noWait {
		o.waitReady(r.t)
	}
	return o
}

// supervise restarts o's process whenever it exits, until the test ends,
// and kills the last one then. The restarts are counted in o.restarts.
func (r *run) supervise(o *operator) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		cur := o.Process
		for range maxRestarts {
			select {
			case <-stop:
				_ = cur.Kill()
				return
			case <-cur.Done():
			}
			_ = os.Remove(o.AddrFile) // the next process names its own ports
			p, err := localcluster.StartProcess(o.Config)
			if err != nil {
				return
			}
			o.restarts.Add(1)
			cur = p
		}
		<-stop
		_ = cur.Kill()
	}()
	r.t.Cleanup(func() {
		close(stop)
		<-done
	})
}

// waitReady waits until /readyz answers 200.
func (o *operator) waitReady(t *testing.T) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), harness.PollInterval, convergeTimeout, true, func(ctx context.Context) (bool, error) {
		if o.Process.Exited() {
			return false, fmt.Errorf("%s exited", o.Process.Name())
		}
		return o.Ready(ctx), nil
	})
	if err != nil {
		t.Fatalf("%s not ready: %v\n%s", o.Process.Name(), err, o.Process.LogTail(harness.LogTailLines))
	}
}

// waitLeading waits until the operator leads.
func (o *operator) waitLeading(t *testing.T, timeout time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		return o.Leading(ctx), nil
	})
	if err != nil {
		t.Fatalf("%s does not lead after %s", o.Process.Name(), timeout)
	}
}

// waitExit waits for the process to end and returns its exit code (-1 for
// a signal).
func (o *operator) waitExit(t *testing.T, timeout time.Duration) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	err := o.Process.Wait(ctx)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("%s: %v\n%s", o.Process.Name(), err, o.Process.LogTail(harness.LogTailLines))
	return 0
}

// waitCrash waits for a crash-after fault: exit status 137.
func (o *operator) waitCrash(t *testing.T, timeout time.Duration) {
	t.Helper()
	if code := o.waitExit(t, timeout); code != 137 {
		t.Fatalf("%s exited with %d, want 137 (crash-after fault)\n%s", o.Process.Name(), code, o.Process.LogTail(harness.LogTailLines))
	}
}

// waitStopped waits until a stop-after fault has stopped the process
// (state T in /proc).
func (o *operator) waitStopped(t *testing.T, timeout time.Duration) {
	t.Helper()
	waitProcState(t, o.Process.PID(), 'T', timeout)
	o.checkHeld(t)
}

// checkHeld fails the test when the stop hook was continued before the
// test resumed it: nothing here sends SIGCONT before the resume file
// exists, so the line means the stop did not hold (pkg/faultinject's
// stopSelf) and the call went out with the process taken for frozen.
func (o *operator) checkHeld(t *testing.T) {
	t.Helper()
	if o.logHas("faultinject: continued before") {
		t.Fatalf("%s went on past its stop before the test resumed it\n%s", o.Process.Name(), o.Process.LogTail(harness.LogTailLines))
	}
}

func waitProcState(t *testing.T, pid int, state byte, timeout time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		return procState(pid) == state, nil
	})
	if err != nil {
		t.Fatalf("process %d not in state %c after %s (state %c)", pid, state, timeout, procState(pid))
	}
}

// procState is the state letter of /proc/<pid>/stat, 0 if unreadable.
func procState(pid int) byte {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 || i+2 >= len(data) {
		return 0
	}
	return data[i+2]
}

// signal sends sig to a process this test started.
func signal(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("signal %v to %d: %v", sig, pid, err)
	}
}

// logHas reports whether the operator's log contains s.
func (o *operator) logHas(s string) bool {
	data, err := os.ReadFile(o.Process.LogPath())
	return err == nil && strings.Contains(string(data), s)
}

// waitLog waits until the operator's log contains s.
func (o *operator) waitLog(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		return o.logHas(s), nil
	})
	if err != nil {
		t.Fatalf("%s: no %q in its log after %s\n%s", o.Process.Name(), s, timeout, o.Process.LogTail(harness.LogTailLines))
	}
}

// ---- side effects ----

// sideEffects returns what the scenario's agents did since the run began.
// Calls are counted from the agents' metrics (a restarted agent starts
// from zero: restarts adds what was counted before each restart);
// creations and destructions from their logs, by the uuids of the run's
// pools across every process of the agent (harness.ReadPoolLedger), so a
// pool created or destroyed in the instant before a SIGKILL, whose line was
// never written, still counts once.
func (r *run) sideEffects(restarts ...metrics.Calls) sideEffects {
	r.t.Helper()
	var s sideEffects
	for _, n := range r.s.nodes {
		now := harness.AgentCalls(r.t, r.ctx, env, n)
		ca, co := now.Total("CreatePool")
		da, do := now.Total("DestroyPool")
		ba, bo := r.before[n].Total("CreatePool")
		bda, bdo := r.before[n].Total("DestroyPool")
		s.CreateCalls += ca - ba
		s.CreateOK += co - bo
		s.DestroyCalls += da - bda
		s.DestroyOK += do - bdo
	}
	l := r.ledger()
	s.PoolsCreated, s.PoolsDestroyed = l.Created(), l.DestroyedTotal()
	for _, c := range restarts {
		ca, co := c.Total("CreatePool")
		da, do := c.Total("DestroyPool")
		s.CreateCalls += ca
		s.CreateOK += co
		s.DestroyCalls += da
		s.DestroyOK += do
	}
	return s
}

// ledger is what the scenario's agents' logs say happened to the run's
// pools (pool names are the run's own, so the nodes' ledgers do not
// overlap).
func (r *run) ledger() harness.PoolLedger {
	r.t.Helper()
	all := harness.PoolLedger{Names: map[string][]string{}, Destroyed: map[string]int{}}
	for _, n := range r.s.nodes {
		data, err := os.ReadFile(env.Agent(n).LogPath())
		if err != nil {
			r.t.Fatal(err)
		}
		l := harness.ReadPoolLedger(data, r.tag+"-")
		maps.Copy(all.Names, l.Names)
		maps.Copy(all.Destroyed, l.Destroyed)
	}
	return all
}

// ---- end state ----

// agentPools lists the run's pools on the scenario's agents, by name.
func (r *run) agentPools() map[string]*agentv1.Pool {
	r.t.Helper()
	out := map[string]*agentv1.Pool{}
	for _, n := range r.s.nodes {
		ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
		resp, err := harness.AgentClient(r.t, env, n).ListPools(ctx, &agentv1.ListPoolsRequest{})
		cancel()
		if err != nil {
			r.t.Fatalf("ListPools on %s: %v", n, err)
		}
		for _, p := range resp.GetPools() {
			if strings.HasPrefix(p.GetName(), r.tag+"-") {
				out[p.GetName()] = p
			}
		}
	}
	return out
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// mask replaces what must differ between two runs: the tag (names,
// namespace), disk paths (disk<i> in allocation order), UUIDs and UIDs.
func (r *run) mask(s string) string {
	for i := len(r.disks) - 1; i >= 0; i-- { // disk-10 before disk-1
		s = strings.ReplaceAll(s, r.disks[i], "disk"+strconv.Itoa(i))
	}
	s = strings.ReplaceAll(s, r.tag, "RUN")
	return uuidRE.ReplaceAllString(s, "UUID")
}

// endState is the run's end state as comparable lines: every object (its
// fields, timestamps and resourceVersion left out, names, paths and UUIDs
// masked), every pool the agents report (uuid checked against the
// object's status, owner against its UID), and every disk's label.
func (r *run) endState() []string {
	r.t.Helper()
	var lines []string
	objs := map[string]v1beta3.DiskPool{}
	for _, p := range r.list() {
		objs[p.Name] = p
		var conds []string
		for _, c := range p.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s/%s: %s", c.Type, c.Status, c.Reason, c.Message))
		}
		lines = append(lines, r.mask(fmt.Sprintf("object %s: node=%s disks=%v finalizers=%v labels=%v annotations=%v deleting=%v | cr_state=%s pool_status=%s capacity=%d used=%d available=%d committed=%d status.node=%s status.disks=%v uuid-set=%v observed-current=%v conditions=%v",
			p.Name, p.Spec.Node, p.Spec.Disks, p.Finalizers, p.Labels, p.Annotations, p.DeletionTimestamp != nil,
			p.Status.CRState, p.Status.PoolStatus, p.Status.Capacity, p.Status.Used, p.Status.Available, p.Status.Committed,
			p.Status.Node, p.Status.Disks, p.Status.PoolUUID != "", p.Status.ObservedGeneration == p.Generation, conds)))
	}
	pools := r.agentPools()
	for name, p := range pools {
		owner := "no object"
		if o, ok := objs[name]; ok {
			owner = "another object"
			if p.GetOwnerUid() == string(o.UID) {
				owner = "its object"
			}
			if o.Status.PoolUUID != "" && o.Status.PoolUUID != p.GetUuid() {
				r.t.Errorf("pool %s: agent reports uuid %s, the object's status %s", name, p.GetUuid(), o.Status.PoolUUID)
			}
		}
		lines = append(lines, r.mask(fmt.Sprintf("pool %s on %s: disks=%v state=%v replicas=%d capacity=%d owner=%s",
			name, p.GetNode(), p.GetDisks(), p.GetState(), p.GetReplicaCount(), p.GetCapacity(), owner)))
	}
	for _, d := range r.disks {
		found := harness.ReadLabel(r.t, d)
		desc := "no label"
		if l := found.Label; l != nil {
			desc = fmt.Sprintf("label of %s generation %d", l.Name, l.Generation)
			if p, ok := pools[l.Name]; !ok || p.GetUuid() != l.UUID {
				desc += " (not a pool the agent reports)"
			}
		}
		lines = append(lines, r.mask(fmt.Sprintf("disk %s: %s", d, desc)))
	}
	sort.Strings(lines)
	return lines
}

// compare fails the test when the two runs' end states differ.
func compare(t *testing.T, base, fault []string) {
	t.Helper()
	if slices.Equal(base, fault) {
		return
	}
	t.Errorf("end state differs from the fault-free run:\n--- fault-free\n%s\n--- with faults\n%s",
		strings.Join(base, "\n"), strings.Join(fault, "\n"))
}

// stopAll stops the run's operators gracefully (SIGTERM: the leader Lease
// is released).
func (r *run) stopAll() {
	r.t.Helper()
	for _, o := range r.ops {
		if err := o.Process.Stop(); err != nil {
			r.t.Error(err)
		}
	}
}

// ignoreNotFound returns nil for NotFound.
func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func (r *run) setUID(name, uid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.uids[name] = uid
}

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }
