package fault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// Bounds of the waits.
const (
	convergeTimeout = 60 * time.Second
	pollInterval    = 100 * time.Millisecond
	logTailLines    = 40
)

// scenarioNodes are the nodes of each scenario: every scenario has its own
// agents, so the agents' gRPC counters and logs are its alone, and an agent
// fault touches no other scenario.
var scenarioNodes = map[int][]string{
	1: {"s01"}, 2: {"s02"}, 3: {"s03"}, 4: {"s04"}, 5: {"s05"}, 6: {"s06"}, 7: {"s07"}, 8: {"s08"},
	9: {"s09"}, 10: {"s10a", "s10b"}, 11: {"s11"}, 12: {"s12"}, 13: {"s13a", "s13b"}, 14: {"s14"},
	15: {"s15"}, 16: {"s16"}, 17: {"s17"},
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
// name, which survive an agent restart).
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
	e := requireEnv(t)
	cfg := e.RESTConfig()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &scenario{t: t, ctx: t.Context(), id: id, nodes: scenarioNodes[id], kube: kube, pools: pools,
		row: &row{ID: id, Test: t.Name(), Title: title}}
	t.Cleanup(func() {
		s.row.Pass, s.row.Skipped = !t.Failed(), t.Skipped()
		results.add(s.row)
		if !t.Failed() {
			return
		}
		for _, n := range s.nodes {
			if p := e.Agent(n); p != nil {
				t.Logf("---- tail of %s ----\n%s", p.LogPath(), p.LogTail(logTailLines))
			}
		}
	})
	return s
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
	before map[string]callCounts
	ops    []*operator
	mu     sync.Mutex // uids, when written concurrently
}

func (s *scenario) newRun(kind string) *run {
	s.t.Helper()
	tag := fmt.Sprintf("s%02d%s-%s", s.id, kind[:1], randHex(3))
	r := &run{s: s, t: s.t, ctx: s.ctx, kind: kind, ns: tag, tag: tag, uids: map[string]string{}, before: map[string]callCounts{}}
	if _, err := s.kube.CoreV1().Namespaces().Create(s.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.ns}}, metav1.CreateOptions{}); err != nil {
		s.t.Fatal(err)
	}
	for _, n := range s.nodes {
		r.before[n] = scrapeCalls(s.t, n)
	}
	s.t.Cleanup(func() {
		if !s.t.Failed() {
			return
		}
		for _, o := range r.ops {
			s.t.Logf("---- tail of %s ----\n%s", o.p.LogPath(), o.p.LogTail(logTailLines))
		}
	})
	return r
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
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
	last := ""
	err := wait.PollUntilContextTimeout(r.ctx, pollInterval, timeout, true, func(context.Context) (bool, error) {
		ok, state := cond()
		last = state
		return ok, nil
	})
	if err != nil {
		r.t.Fatalf("%s: not reached within %s; last seen: %s", what, timeout, last)
	}
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
				notYet = append(notYet, p.Name+": "+describe(&p))
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
		return false, fmt.Sprintf("%d left, e.g. %s: %s", len(l), l[0].Name, describe(&l[0]))
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
		return cond(p), describe(p)
	})
	return last
}

func isCreatedOnline(p *v1beta3.DiskPool) bool {
	return p.DeletionTimestamp == nil && p.Status.CRState == v1beta3.CRStateCreated && p.Status.PoolStatus == v1beta3.PoolStatusOnline &&
		meta.IsStatusConditionTrue(p.Status.Conditions, v1beta3.ConditionReady) && p.Status.ObservedGeneration == p.Generation
}

func readyReason(p *v1beta3.DiskPool) string {
	if c := meta.FindStatusCondition(p.Status.Conditions, v1beta3.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

func describe(p *v1beta3.DiskPool) string {
	if p == nil {
		return "nothing"
	}
	var conds []string
	for _, c := range p.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("cr_state=%q pool_status=%q uuid=%q finalizers=%v deleting=%v conditions=[%s]",
		p.Status.CRState, p.Status.PoolStatus, p.Status.PoolUUID, p.Finalizers, p.DeletionTimestamp != nil, strings.Join(conds, "; "))
}

// ---- operators ----

// operator is one operator process started by a run.
type operator struct {
	p                     *localcluster.Process
	metricsURL, healthURL string
	// restarts counts the restarts of opConfig.restart.
	restarts atomic.Int32
	// resumeFile lets a stop fault resume (DISKPOOL_FAULTS_RESUME_FILE).
	resumeFile string
}

// resume lets a process stopped by a stop fault go on.
func (o *operator) resume(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(o.resumeFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A SIGCONT that lands between the hook's check of the file and its
	// next SIGSTOP is lost: send it until the process says it resumed.
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		_ = syscall.Kill(o.p.PID(), syscall.SIGCONT)
		return o.logHas(": resumed"), nil
	})
	if err != nil {
		t.Fatalf("%s did not resume: %v", o.p.Name(), err)
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
// flags, as localenv starts its own, on ports of its own.
func (r *run) startOperator(c opConfig) *operator {
	r.t.Helper()
	ports := freePorts(r.t, 2)
	if c.leaderID == "" {
		c.leaderID = "op-" + r.ns
	}
	tls := env.OperatorTLS()
	args := append([]string{
		"--kubeconfig=" + env.OperatorKubeconfig(),
		"--operator-namespace=" + localenv.SystemNamespace,
		"--namespace=" + r.ns,
		"--metrics-address=" + ports[0],
		"--health-address=" + ports[1],
		"--agent-tls-cert-file=" + tls.CertFile,
		"--agent-tls-key-file=" + tls.KeyFile,
		"--agent-tls-ca-file=" + tls.CAFile,
		"--agent-tls-server-name=" + localenv.AgentTLSServerName,
		"--leader-elect=true",
		"--leader-elect-id=" + c.leaderID,
	}, operatorArgs...)
	args = append(args, c.args...)
	procEnv := []string{"POD_NAMESPACE=" + localenv.SystemNamespace}
	resumeFile := filepath.Join(r.t.TempDir(), "resume")
	if c.faults != "" {
		procEnv = append(procEnv, "DISKPOOL_FAULTS="+c.faults, "DISKPOOL_FAULTS_RESUME_FILE="+resumeFile)
	}
	cfg := localcluster.ProcessConfig{
		Name:        fmt.Sprintf("operator %s #%d", r.ns, len(r.ops)),
		Path:        env.OperatorBinary(),
		Args:        args,
		Env:         procEnv,
		LogPath:     filepath.Join(env.LogDir(), fmt.Sprintf("%s.operator-%d.log", r.ns, len(r.ops))),
		StopTimeout: 15 * time.Second,
	}
	p, err := localcluster.StartProcess(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	o := &operator{p: p, metricsURL: "http://" + ports[0] + "/metrics", healthURL: "http://" + ports[1], resumeFile: resumeFile}
	r.ops = append(r.ops, o)
	r.t.Cleanup(func() {
		// A stopped (SIGSTOP) process dies of SIGKILL too.
		_ = p.Kill()
	})
	if c.restart {
		r.supervise(o, cfg)
	}
	if !c.noWait {
		o.waitReady(r.t)
	}
	return o
}

// supervise restarts o's process whenever it exits, until the test ends,
// and kills the last one then. The restarts are counted in o.restarts.
func (r *run) supervise(o *operator, cfg localcluster.ProcessConfig) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		cur := o.p
		for range maxRestarts {
			select {
			case <-stop:
				_ = cur.Kill()
				return
			case <-cur.Done():
			}
			p, err := localcluster.StartProcess(cfg)
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

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return out
}

// waitReady waits until /readyz answers 200.
func (o *operator) waitReady(t *testing.T) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), pollInterval, convergeTimeout, true, func(ctx context.Context) (bool, error) {
		if o.p.Exited() {
			return false, fmt.Errorf("%s exited", o.p.Name())
		}
		return httpOK(ctx, o.healthURL+"/readyz"), nil
	})
	if err != nil {
		t.Fatalf("%s not ready: %v\n%s", o.p.Name(), err, o.p.LogTail(logTailLines))
	}
}

// leading reports whether the operator says it leads (diskpool_leader).
func (o *operator) leading(ctx context.Context) bool {
	m, err := scrape(ctx, o.metricsURL)
	return err == nil && m.sum("diskpool_leader") == 1
}

// waitLeading waits until the operator leads.
func (o *operator) waitLeading(t *testing.T, timeout time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		return o.leading(ctx), nil
	})
	if err != nil {
		t.Fatalf("%s does not lead after %s", o.p.Name(), timeout)
	}
}

// waitExit waits for the process to end and returns its exit code (-1 for
// a signal).
func (o *operator) waitExit(t *testing.T, timeout time.Duration) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	err := o.p.Wait(ctx)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("%s: %v\n%s", o.p.Name(), err, o.p.LogTail(logTailLines))
	return 0
}

// waitCrash waits for a crash-after fault: exit status 137.
func (o *operator) waitCrash(t *testing.T, timeout time.Duration) {
	t.Helper()
	if code := o.waitExit(t, timeout); code != 137 {
		t.Fatalf("%s exited with %d, want 137 (crash-after fault)\n%s", o.p.Name(), code, o.p.LogTail(logTailLines))
	}
}

// waitStopped waits until a stop-after fault has stopped the process
// (state T in /proc).
func (o *operator) waitStopped(t *testing.T, timeout time.Duration) {
	t.Helper()
	waitProcState(t, o.p.PID(), 'T', timeout)
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
	data, err := os.ReadFile(o.p.LogPath())
	return err == nil && strings.Contains(string(data), s)
}

// waitLog waits until the operator's log contains s.
func (o *operator) waitLog(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		return o.logHas(s), nil
	})
	if err != nil {
		t.Fatalf("%s: no %q in its log after %s\n%s", o.p.Name(), s, timeout, o.p.LogTail(logTailLines))
	}
}

func httpOK(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
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

// ---- metrics ----

type metricsSnapshot map[string]*dto.MetricFamily

func scrape(ctx context.Context, url string) (metricsSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// sum adds the counter or gauge values of family's series whose labels
// include every k=v of want.
func (s metricsSnapshot) sum(family string, want ...string) float64 {
	f, ok := s[family]
	if !ok {
		return 0
	}
	var total float64
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for _, w := range want {
			k, v, _ := strings.Cut(w, "=")
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		total += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return total
}

// callCounts are an agent's completed gRPC calls: method -> code -> n.
type callCounts map[string]map[string]int

func scrapeCalls(t *testing.T, node string) callCounts {
	t.Helper()
	m, err := scrape(t.Context(), env.AgentMetricsURL(node))
	if err != nil {
		t.Fatalf("agent metrics of %s: %v", node, err)
	}
	out := callCounts{}
	for _, s := range m["diskpool_agent_grpc_server_handled_total"].GetMetric() {
		var method, code string
		for _, l := range s.GetLabel() {
			switch l.GetName() {
			case "grpc_method":
				method = l.GetValue()
			case "grpc_code":
				code = l.GetValue()
			}
		}
		if out[method] == nil {
			out[method] = map[string]int{}
		}
		out[method][code] += int(s.GetCounter().GetValue())
	}
	return out
}

func (c callCounts) total(method string) (all, ok int) {
	for code, n := range c[method] {
		all += n
		if code == "OK" {
			ok += n
		}
	}
	return all, ok
}

// Pool creations and destructions in an agent's log (pkg/agent's messages).
var (
	createdLog   = regexp.MustCompile(`"Created pool".*\bpool="([^"]+)"`)
	destroyedLog = regexp.MustCompile(`"Destroyed pool".*\bpool="([^"]+)"`)
)

// sideEffects returns what the scenario's agents did since the run began.
// Calls are counted from the agents' metrics (a restarted agent starts
// from zero: restarts adds what was counted before each restart);
// creations and destructions from their logs, by the run's pool names.
func (r *run) sideEffects(restarts ...callCounts) sideEffects {
	r.t.Helper()
	var s sideEffects
	for _, n := range r.s.nodes {
		now := scrapeCalls(r.t, n)
		ca, co := now.total("CreatePool")
		da, do := now.total("DestroyPool")
		ba, bo := r.before[n].total("CreatePool")
		bda, bdo := r.before[n].total("DestroyPool")
		s.CreateCalls += ca - ba
		s.CreateOK += co - bo
		s.DestroyCalls += da - bda
		s.DestroyOK += do - bdo
		data, err := os.ReadFile(env.Agent(n).LogPath())
		if err != nil {
			r.t.Fatal(err)
		}
		for _, m := range createdLog.FindAllSubmatch(data, -1) {
			if strings.HasPrefix(string(m[1]), r.tag+"-") {
				s.PoolsCreated++
			}
		}
		for _, m := range destroyedLog.FindAllSubmatch(data, -1) {
			if strings.HasPrefix(string(m[1]), r.tag+"-") {
				s.PoolsDestroyed++
			}
		}
	}
	for _, c := range restarts {
		ca, co := c.total("CreatePool")
		da, do := c.total("DestroyPool")
		s.CreateCalls += ca
		s.CreateOK += co
		s.DestroyCalls += da
		s.DestroyOK += do
	}
	return s
}

// ---- end state ----

// agentClient dials node's agent with a client certificate the agents
// accept (mutual TLS).
func agentClient(t *testing.T, node string) agentv1.PoolServiceClient {
	t.Helper()
	cfg, err := env.AgentClientTLS().ClientTLSConfig(localenv.AgentTLSServerName)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(env.AgentEndpoint(node), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return agentv1.NewPoolServiceClient(conn)
}

// agentPools lists the run's pools on the scenario's agents, by name.
func (r *run) agentPools() map[string]*agentv1.Pool {
	r.t.Helper()
	out := map[string]*agentv1.Pool{}
	for _, n := range r.s.nodes {
		ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
		resp, err := agentClient(r.t, n).ListPools(ctx, &agentv1.ListPoolsRequest{})
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

func readLabel(t *testing.T, path string) *label.Found {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	found, err := label.Read(fh, fi.Size())
	if err != nil {
		t.Fatalf("read label of %s: %v", path, err)
	}
	return found
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
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
		found := readLabel(r.t, d)
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
		if err := o.p.Stop(); err != nil {
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
