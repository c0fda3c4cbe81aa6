package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// Sizes of TestOperatorRestart.
const (
	bulkPools = 200
	// bulkKillAt: the operator is killed once this many pools are Created.
	bulkKillAt     = 40
	bulkWriters    = 8
	bulkConvergeIn = 3 * time.Minute
)

// bulkItem is one pool of TestOperatorRestart.
type bulkItem struct{ name, node, disk string }

// TestOperatorRestart kills the operator (SIGKILL) part-way through 200
// pool creations and starts it again: every pool ends Created, each pool's
// uuid never changes from the first one reported, the agents hold exactly
// 200 pools, and each disk label was written exactly once (generation 1):
// no pool was created twice, whatever the crash interrupted.
func TestOperatorRestart(t *testing.T) {
	f := setup(t)
	t.Cleanup(func() {
		// t.Context() is cancelled by now.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f.Env.StartOperator(ctx); err != nil {
			t.Errorf("restart operator: %v", err)
		}
	})
	nodes := f.Env.Nodes()
	items := make([]bulkItem, bulkPools)
	byName := map[string]bulkItem{}
	for i := range items {
		node := nodes[i%len(nodes)]
		items[i] = bulkItem{name: harness.UniqueName(fmt.Sprintf("bulk-%03d", i)), node: node, disk: f.NewDisk(node)}
		byName[items[i].name] = items[i]
	}
	rec := f.recordPools()

	began := time.Now()
	wait := harness.Burst(f.Ctx, bulkPools, bulkWriters, func(i int) error {
		it := items[i]
		_, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Create(f.Ctx, &v1beta3.DiskPool{
			ObjectMeta: metav1.ObjectMeta{Name: it.name, Namespace: f.NS},
			Spec:       v1beta3.DiskPoolSpec{Node: it.node, Disks: []string{it.disk}},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create %s: %w", it.name, err)
		}
		return nil
	})

	rec.waitCreated(t, bulkKillAt, bulkConvergeIn)
	if err := f.Env.KillOperator(); err != nil {
		t.Fatal(err)
	}
	atKill := rec.created()
	t.Logf("Killed the operator %s after the first create, with %d of %d pools Created",
		time.Since(began).Round(time.Millisecond), atKill, bulkPools)
	if atKill >= bulkPools {
		t.Logf("All pools were Created before the kill: the crash interrupted nothing")
	}
	for _, err := range wait() {
		t.Error(err)
	}

	restarted := time.Now()
	if err := f.Env.StartOperator(f.Ctx); err != nil {
		t.Fatal(err)
	}
	rec.waitCreated(t, bulkPools, bulkConvergeIn)
	t.Logf("All %d Created %s after the restart (%s in all)", bulkPools,
		time.Since(restarted).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	first, changes := rec.uuids()
	for _, c := range changes {
		t.Errorf("uuid changed: %s", c)
	}
	// The agents hold exactly these pools, with the uuids first reported.
	onAgents := 0
	for _, node := range nodes {
		ctx, cancel := f.callCtx()
		resp, err := f.agentClient(node).ListPools(ctx, &agentv1.ListPoolsRequest{})
		cancel()
		if err != nil {
			t.Fatalf("ListPools on %s: %v", node, err)
		}
		for _, p := range resp.GetPools() {
			it, ok := byName[p.GetName()]
			if !ok {
				continue
			}
			onAgents++
			if it.node != node || p.GetUuid() != first[p.GetName()] {
				t.Errorf("pool %s on %s has uuid %s; want node %s, uuid %s", p.GetName(), node, p.GetUuid(), it.node, first[p.GetName()])
			}
		}
	}
	if onAgents != bulkPools {
		t.Errorf("agents hold %d of the %d pools", onAgents, bulkPools)
	}
	// One CreatePool side effect per pool: a label written once
	// (generation 1; an import writes nothing).
	for _, it := range items {
		found := harness.ReadLabel(t, it.disk)
		if found.Label == nil || found.Label.UUID != first[it.name] || found.Label.Generation != 1 {
			t.Errorf("pool %s: disk label %+v; want uuid %s, generation 1", it.name, found.Label, first[it.name])
		}
	}
	countCreatedInAgentLogs(t, f, byName)
}

// createdLog matches the agent's log line for a pool it created (not
// imported): `"Created pool" pool="<name>"`.
var createdLog = regexp.MustCompile(`"Created pool".*\bpool="([^"]+)"`)

// countCreatedInAgentLogs checks each pool was created once according to
// the agents' logs. The log format is the agent's, not a contract: when no
// line matches at all, it says so instead of failing.
func countCreatedInAgentLogs(t *testing.T, f *fixture, want map[string]bulkItem) {
	t.Helper()
	counts := map[string]int{}
	for _, node := range f.Env.Nodes() {
		data, err := os.ReadFile(f.Env.Agent(node).LogPath())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createdLog.FindAllSubmatch(data, -1) {
			counts[string(m[1])]++
		}
	}
	if len(counts) == 0 {
		t.Logf("No \"Created pool\" line in the agent logs: the log format changed; the on-disk generation check stands")
		return
	}
	for name := range want {
		if counts[name] != 1 {
			t.Errorf("pool %s created %d times according to the agent logs, want 1", name, counts[name])
		}
	}
}

// poolRecorder watches the fixture's namespace: the first uuid each pool
// reports, any later change of it, and which pools are Created.
type poolRecorder struct {
	mu      sync.Mutex
	first   map[string]string
	changes []string
	done    map[string]bool
}

func (f *fixture) recordPools() *poolRecorder {
	r := &poolRecorder{first: map[string]string{}, done: map[string]bool{}}
	factory := externalversions.NewSharedInformerFactoryWithOptions(f.Pools, 0, externalversions.WithNamespace(f.NS))
	inf := factory.Openebs().V1beta3().DiskPools().Informer()
	observe := func(obj any) {
		if p, ok := obj.(*v1beta3.DiskPool); ok {
			r.observe(p)
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: observe, UpdateFunc: func(_, o any) { observe(o) }}); err != nil {
		f.T.Fatal(err)
	}
	stop := make(chan struct{})
	factory.Start(stop)
	f.T.Cleanup(func() {
		close(stop)
		factory.Shutdown()
	})
	if !cache.WaitForCacheSync(f.Ctx.Done(), inf.HasSynced) {
		f.T.Fatal("pool informer did not sync")
	}
	return r
}

func (r *poolRecorder) observe(p *v1beta3.DiskPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u := p.Status.PoolUUID; u != "" {
		switch prev := r.first[p.Name]; {
		case prev == "":
			r.first[p.Name] = u
		case prev != u:
			r.changes = append(r.changes, fmt.Sprintf("%s: %s, then %s", p.Name, prev, u))
		}
	}
	r.done[p.Name] = p.Status.CRState == v1beta3.CRStateCreated
}

func (r *poolRecorder) created() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, d := range r.done {
		if d {
			n++
		}
	}
	return n
}

func (r *poolRecorder) uuids() (map[string]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := make(map[string]string, len(r.first))
	for k, v := range r.first {
		first[k] = v
	}
	return first, append([]string(nil), r.changes...)
}

// waitCreated waits until at least n pools are Created.
func (r *poolRecorder) waitCreated(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		return r.created() >= n, nil
	})
	if err != nil {
		t.Fatalf("%d of %d pools Created after %s", r.created(), n, timeout)
	}
}
