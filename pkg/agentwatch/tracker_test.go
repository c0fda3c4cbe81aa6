package agentwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	coordinationv1 "k8s.io/api/coordination/v1"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

const (
	nodeA  = "node-a"
	ownerA = "11111111-aaaa-4aaa-8aaa-000000000001"
	ownerB = "22222222-bbbb-4bbb-8bbb-000000000002"
)

var (
	snapshot = agentv1.WatchPoolsResponse_SNAPSHOT
	upsert   = agentv1.WatchPoolsResponse_UPSERT
	del      = agentv1.WatchPoolsResponse_DELETE
)

func wantAgentUnavailable(t *testing.T, err error, op reconcile.Action) {
	t.Helper()
	var ae *reconcile.AgentError
	if !errors.As(err, &ae) || ae.Reason != reconcile.ReasonAgentUnavailable || ae.Op != op {
		t.Errorf("error = %v, want an AgentUnavailable *reconcile.AgentError for %s", err, op)
	}
}

func (f *fixture) agentsGauge(state reconcile.AgentState) float64 {
	return testutil.ToFloat64(f.metrics.agents.WithLabelValues(state.String()))
}

// TestRealAgentLifecycle follows one node through a real agent's life:
// appear, create, renew, change, destroy, crash, restart, release.
func TestRealAgentLifecycle(t *testing.T) {
	f := newFixture(t)
	ag := startRealAgent(t, nodeA)
	diskB, diskC := ag.disk("b"), ag.disk("c")

	f.createLease(f.lease(nodeA, ag.addr, longLease))
	f.waitForState(nodeA, reconcile.AgentReady)
	if !f.sawChange(change{node: nodeA}) {
		t.Errorf("no OnChange(%s, \"\") for the snapshot: %v", nodeA, f.takeChanges())
	}
	if got := f.nodes(); len(got) != 1 || got[0] != nodeA {
		t.Errorf("Nodes() = %v", got)
	}
	if f.agentsGauge(reconcile.AgentReady) != 1 {
		t.Errorf("diskpool_agents{state=Ready} = %v, want 1", f.agentsGauge(reconcile.AgentReady))
	}

	// Create: the cache has the pool as soon as the call returns, and the
	// change is notified like a stream update.
	f.takeChanges()
	pool, err := f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: nodeA, Name: "p1", OwnerUID: ownerA, Disks: []string{diskB}})
	if err != nil {
		t.Fatalf("CreatePool: %v", err)
	}
	if pool.Name != "p1" || pool.UUID == "" || pool.Health != reconcile.PoolHealthOnline {
		t.Errorf("CreatePool = %+v", pool)
	}
	if v := f.tracker.Pool(nodeA, "p1"); !v.Found || v.Pool.UUID != pool.UUID {
		t.Errorf("Pool right after CreatePool = %+v", v)
	}
	if !f.sawChange(change{node: nodeA, pool: "p1"}) {
		t.Errorf("no change notified for the tracker's own CreatePool: %v", f.takeChanges())
	}
	if _, err := f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: nodeA, Name: "p2", OwnerUID: ownerB, Disks: []string{diskC}}); err != nil {
		t.Fatalf("CreatePool p2: %v", err)
	}
	// The disk inventory lists the node's disks over the same connection.
	disks, err := f.tracker.ListDisks(f.ctx, nodeA)
	if err != nil {
		t.Fatalf("ListDisks: %v", err)
	}
	pooled := map[string]bool{}
	for _, d := range disks {
		pooled[d.GetPoolName()] = true
	}
	if !pooled["p1"] || !pooled["p2"] {
		t.Errorf("ListDisks = %v, want the disks of p1 and p2", disks)
	}
	// A refusal comes back with the agent's reason.
	_, err = f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: nodeA, Name: "p3", OwnerUID: ownerB, Disks: []string{diskB}})
	var ae *reconcile.AgentError
	if !errors.As(err, &ae) || ae.Reason != reconcile.ReasonDiskClaimed {
		t.Errorf("CreatePool on a claimed disk = %v, want DiskClaimed", err)
	}

	// Renewals change nothing anyone looks at.
	f.waitFor("the stream to settle", func() bool { return len(f.pools(nodeA)) == 2 })
	f.takeChanges()
	for range 3 {
		f.clock.Step(5 * time.Second)
		f.renew(nodeA)
	}
	if got := f.takeChanges(); len(got) != 0 {
		t.Errorf("Lease renewals caused OnChange calls: %v", got)
	}

	// A pool change on the node reaches OnChange(node, pool).
	if _, err := ag.client().CreateReplica(f.ctx, &agentv1.CreateReplicaRequest{Pool: "p1", Uuid: "a1b2c3d4-0000-4000-8000-000000000001", Size: 4 << 20}); err != nil {
		t.Fatalf("CreateReplica: %v", err)
	}
	f.waitFor("the replica to be reported", func() bool { return f.tracker.Pool(nodeA, "p1").Pool.ReplicaCount == 1 })
	f.waitFor("OnChange(node-a, p1)", func() bool { return f.sawChange(change{node: nodeA, pool: "p1"}) })

	// Destroy: refused while the pool holds a replica, then gone from the
	// cache as soon as the call returns.
	err = f.tracker.DestroyPool(f.ctx, reconcile.DestroyRequest{Node: nodeA, Name: "p1", OwnerUID: ownerA})
	if !errors.As(err, &ae) || ae.Reason != reconcile.ReasonPoolInUse {
		t.Errorf("DestroyPool of a pool in use = %v, want PoolInUse", err)
	}
	if err := f.tracker.DestroyPool(f.ctx, reconcile.DestroyRequest{Node: nodeA, Name: "p2", OwnerUID: ownerB}); err != nil {
		t.Fatalf("DestroyPool: %v", err)
	}
	if v := f.tracker.Pool(nodeA, "p2"); v.Found {
		t.Errorf("Pool right after DestroyPool = %+v, want not found", v)
	}
	if !f.sawChange(change{node: nodeA, pool: "p2"}) {
		t.Errorf("no change notified for the tracker's own DestroyPool")
	}
	if _, err := f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: nodeA, Name: "p4", OwnerUID: ownerB, Disks: []string{diskC}}); err != nil {
		t.Fatalf("CreatePool p4: %v", err)
	}

	// The agent dies: Reconnecting at once, telling nobody (a restart in
	// place may be back within the grace); Unreachable when the grace
	// ends, everyone told.
	f.takeChanges()
	ag.kill()
	f.waitForState(nodeA, reconcile.AgentReconnecting)
	if got := f.takeChanges(); len(got) != 0 {
		t.Errorf("OnChange when the stream broke, within the grace: %v", got)
	}
	died := f.clock.Now()
	f.stepUntilState(nodeA, reconcile.AgentUnreachable)
	if took := f.clock.Since(died); took < DefaultReconnectGrace {
		t.Errorf("Unreachable %s after the stream broke, want the grace %s", took, DefaultReconnectGrace)
	}
	if _, msg := f.tracker.Agent(nodeA); !strings.Contains(msg, "its pool stream broke (") || !strings.Contains(msg, "not re-opened within 3s") {
		t.Errorf("Unreachable message = %q, want what was seen: the stream lost and not re-opened", msg)
	}
	if got := f.takeChanges(); !slices.Equal(got, []change{{node: nodeA}}) {
		t.Errorf("changes when the grace ended = %v, want one OnChange(%s, \"\")", got, nodeA)
	}
	if n := testutil.ToFloat64(f.metrics.reconnects.WithLabelValues(nodeA)); n < 1 {
		t.Errorf("reconnects = %v, want at least 1", n)
	}

	// It comes back on the same address and re-imports its pools.
	ag.restart()
	f.stepUntilState(nodeA, reconcile.AgentReady)
	names := []string{}
	for _, p := range f.pools(nodeA) {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "p1,p4" {
		t.Errorf("pools after the agent's restart = %v, want p1,p4", names)
	}

	// The agent releases its Lease (clean shutdown): Missing, cache dropped.
	f.takeChanges()
	f.updateLease(nodeA, func(l *coordinationv1.Lease) { l.Spec.HolderIdentity = nil })
	f.waitForState(nodeA, reconcile.AgentMissing)
	if got := f.pools(nodeA); len(got) != 0 {
		t.Errorf("Pools of a Missing agent = %v", got)
	}
	if exp := f.expiresAt(nodeA); !exp.IsZero() {
		t.Errorf("expiresAt of a released Lease = %v, want zero", exp)
	}
	if !f.sawChange(change{node: nodeA}) {
		t.Errorf("no OnChange(%s, \"\") when the Lease was released", nodeA)
	}
	_, err = f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: nodeA, Name: "p5", OwnerUID: ownerA, Disks: []string{diskB}})
	wantAgentUnavailable(t, err, reconcile.ActionCreatePool)
	if f.agentsGauge(reconcile.AgentMissing) != 1 || f.agentsGauge(reconcile.AgentReady) != 0 {
		t.Errorf("diskpool_agents Missing=%v Ready=%v, want 1 and 0", f.agentsGauge(reconcile.AgentMissing), f.agentsGauge(reconcile.AgentReady))
	}
}

func TestLeaseExpiry(t *testing.T) {
	f := newFixture(t)
	ag := startScriptedAgent(t)
	f.createLease(f.lease(nodeA, ag.addr, 15))
	ag.nextStream(t).send(snapshot)
	f.waitForState(nodeA, reconcile.AgentReady)
	exp := f.expiresAt(nodeA)
	if want := f.clock.Now().Add(15 * time.Second); !exp.Equal(want) {
		t.Errorf("expiresAt = %v, want %v", exp, want)
	}

	// Renewed in time: still Ready after the first expiry passes.
	f.clock.Step(10 * time.Second)
	f.renew(nodeA)
	f.clock.Step(10 * time.Second)
	if s, _ := f.tracker.Agent(nodeA); s != reconcile.AgentReady {
		t.Fatalf("agent = %s after a renewed Lease's old expiry, want Ready", s)
	}

	// Not renewed: no Lease event comes, the timer alone marks it Missing.
	f.takeChanges()
	f.clock.Step(6 * time.Second)
	// The expiry goroutine may be between two timers: keep time moving.
	f.stepUntilState(nodeA, reconcile.AgentMissing)
	if !f.sawChange(change{node: nodeA}) {
		t.Errorf("no OnChange(%s, \"\") on expiry", nodeA)
	}
	err := f.tracker.DestroyPool(f.ctx, reconcile.DestroyRequest{Node: nodeA, Name: "p"})
	wantAgentUnavailable(t, err, reconcile.ActionDestroyPool)

	// Renewed again: a new stream, Ready again.
	f.renewExpectingState(nodeA)
	ag.nextStream(t).send(snapshot)
	f.waitForState(nodeA, reconcile.AgentReady)
}

// renewExpectingState renews a Lease that is not live (Agent reports no
// expiry for it, so renew's wait does not apply).
func (f *fixture) renewExpectingState(node string) {
	f.t.Helper()
	f.updateLease(node, func(l *coordinationv1.Lease) {
		now := f.clock.Now()
		l.Spec.RenewTime.Time = now
	})
	f.waitFor("the agent to be live again", func() bool {
		s, _ := f.tracker.Agent(node)
		return s != reconcile.AgentMissing
	})
}

func TestLeaseDeleted(t *testing.T) {
	f := newFixture(t)
	ag := startScriptedAgent(t)
	f.createLease(f.lease(nodeA, ag.addr, longLease))
	ag.nextStream(t).send(snapshot, &agentv1.Pool{Name: "p1", Uuid: "u1"})
	f.waitForState(nodeA, reconcile.AgentReady)
	f.takeChanges()

	f.deleteLease(nodeA)
	f.waitFor("the node to be forgotten", func() bool { return len(f.nodes()) == 0 })
	if s, _ := f.tracker.Agent(nodeA); s != reconcile.AgentMissing {
		t.Errorf("agent of a deleted Lease = %s, want Missing", s)
	}
	if v := f.tracker.Pool(nodeA, "p1"); v.Found {
		t.Errorf("Pool of a deleted Lease's node = %+v", v)
	}
	if !f.sawChange(change{node: nodeA}) {
		t.Errorf("no OnChange(%s, \"\") on Lease deletion", nodeA)
	}
	for _, s := range agentStates {
		if f.agentsGauge(s) != 0 {
			t.Errorf("diskpool_agents{state=%s} = %v after the only Lease was deleted", s, f.agentsGauge(s))
		}
	}
}

// TestStreamEvents drives the stream message by message.
func TestStreamEvents(t *testing.T) {
	f := newFixture(t)
	ag := startScriptedAgent(t)
	var destroyed []string
	ag.destroy = func(req *agentv1.DestroyPoolRequest) error {
		destroyed = append(destroyed, req.GetName())
		return nil
	}
	p1 := &agentv1.Pool{Name: "p1", Uuid: "u1", Node: nodeA, State: agentv1.PoolState_POOL_STATE_ONLINE, Capacity: 100}
	p2 := &agentv1.Pool{Name: "p2", Uuid: "u2", Node: nodeA, State: agentv1.PoolState_POOL_STATE_ONLINE, Capacity: 100}

	f.createLease(f.lease(nodeA, ag.addr, longLease))
	s := ag.nextStream(t)
	// Syncing until the snapshot arrives: nothing to report yet.
	if st, _ := f.tracker.Agent(nodeA); st != reconcile.AgentSyncing {
		t.Errorf("agent before the snapshot = %s, want Syncing", st)
	}
	if got := f.takeChanges(); len(got) != 0 {
		t.Errorf("OnChange before the snapshot: %v", got)
	}
	s.send(snapshot, p1, p2)
	f.waitForState(nodeA, reconcile.AgentReady)
	if got := f.takeChanges(); len(got) != 1 || got[0] != (change{node: nodeA}) {
		t.Errorf("OnChange for the snapshot = %v, want one for the node", got)
	}

	// An unchanged upsert notifies nobody; a changed one notifies its pool.
	// Stream order lets the second act as a marker for the first.
	s.send(upsert, p1)
	degraded := &agentv1.Pool{Name: "p2", Uuid: "u2", Node: nodeA, State: agentv1.PoolState_POOL_STATE_DEGRADED, Reason: "slow", Capacity: 100}
	s.send(upsert, degraded)
	f.waitFor("the degraded pool", func() bool { return f.tracker.Pool(nodeA, "p2").Pool.Health == reconcile.PoolHealthDegraded })
	if got := f.takeChanges(); len(got) != 1 || got[0] != (change{node: nodeA, pool: "p2"}) {
		t.Errorf("OnChange for an unchanged and a changed upsert = %v, want only (node-a, p2)", got)
	}

	// Our destroy removes p1 at once and notifies it like a stream
	// change; the stream's stale upsert of it (sent before the destroy)
	// must not bring it back, nor its delete notify anyone.
	if err := f.tracker.DestroyPool(f.ctx, reconcile.DestroyRequest{Node: nodeA, Name: "p1", OwnerUID: ownerA}); err != nil {
		t.Fatalf("DestroyPool: %v", err)
	}
	if len(destroyed) != 1 || destroyed[0] != "p1" {
		t.Errorf("agent destroyed %v", destroyed)
	}
	s.send(upsert, &agentv1.Pool{Name: "p1", Uuid: "u1", Node: nodeA, Capacity: 100, Used: 1})
	s.send(del, &agentv1.Pool{Name: "p1", Uuid: "u1"})
	s.send(upsert, &agentv1.Pool{Name: "marker", Uuid: "um", Node: nodeA})
	f.waitFor("the marker pool", func() bool { return f.tracker.Pool(nodeA, "marker").Found })
	if v := f.tracker.Pool(nodeA, "p1"); v.Found {
		t.Errorf("a stale upsert resurrected the destroyed pool: %+v", v)
	}
	if got := f.takeChanges(); !slices.Equal(got, []change{{node: nodeA, pool: "p1"}, {node: nodeA, pool: "marker"}}) {
		t.Errorf("changes after destroy = %v, want (node-a, p1) from the destroy, then only (node-a, marker)", got)
	}

	// A delete of a known pool notifies it.
	s.send(del, &agentv1.Pool{Name: "p2", Uuid: "u2"})
	f.waitFor("p2 to go", func() bool { return !f.tracker.Pool(nodeA, "p2").Found })
	if got := f.takeChanges(); len(got) != 1 || got[0] != (change{node: nodeA, pool: "p2"}) {
		t.Errorf("OnChange for a delete = %v, want (node-a, p2)", got)
	}

	// The agent resyncs a watcher that fell behind with a new snapshot:
	// it replaces the cache and notifies the whole node.
	s.send(snapshot, &agentv1.Pool{Name: "p9", Uuid: "u9", Node: nodeA})
	f.waitFor("the resync snapshot", func() bool {
		pools := f.pools(nodeA)
		return len(pools) == 1 && pools[0].Name == "p9"
	})
	if got := f.takeChanges(); len(got) != 1 || got[0] != (change{node: nodeA}) {
		t.Errorf("OnChange for a resync snapshot = %v, want one for the node", got)
	}

	// Renewals still notify nobody while the stream is open.
	f.clock.Step(time.Second)
	f.renew(nodeA)
	if got := f.takeChanges(); len(got) != 0 {
		t.Errorf("OnChange for a renewal = %v", got)
	}
}

func TestEndpointChange(t *testing.T) {
	f := newFixture(t)
	first, second := startScriptedAgent(t), startScriptedAgent(t)
	f.createLease(f.lease(nodeA, first.addr, longLease))
	first.nextStream(t).send(snapshot, &agentv1.Pool{Name: "old", Uuid: "u1"})
	f.waitForState(nodeA, reconcile.AgentReady)

	f.updateLease(nodeA, func(l *coordinationv1.Lease) {
		l.Annotations["diskpool.openebs.io/grpc-endpoint"] = second.addr
	})
	s := second.nextStream(t)
	f.waitForState(nodeA, reconcile.AgentSyncing)
	s.send(snapshot, &agentv1.Pool{Name: "new", Uuid: "u2"})
	f.waitFor("the new agent's pools", func() bool {
		pools := f.pools(nodeA)
		return len(pools) == 1 && pools[0].Name == "new"
	})
	f.waitForState(nodeA, reconcile.AgentReady)
}

func TestConnectTimeout(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ConnectTimeout = 5 * time.Second })
	ag := startScriptedAgent(t)
	f.createLease(f.lease(nodeA, ag.addr, longLease))
	ag.nextStream(t) // opened, but no snapshot ever comes
	f.waitForState(nodeA, reconcile.AgentSyncing)
	f.waitFor("the connect timer", func() bool {
		f.clock.Step(time.Second)
		s, _ := f.tracker.Agent(nodeA)
		return s == reconcile.AgentUnreachable
	})
	if _, msg := f.tracker.Agent(nodeA); !strings.Contains(msg, "no pool snapshot") {
		t.Errorf("message = %q, want it to name the missing snapshot", msg)
	}
	// The retry, once its backoff timer fires, gets its snapshot.
	ag.nextStreamStepping(t, f.clock).send(snapshot)
	f.waitForState(nodeA, reconcile.AgentReady)
}

func TestWrongNodeAgent(t *testing.T) {
	f := newFixture(t)
	ag := startScriptedAgent(t)
	ag.create = func(req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
		t.Errorf("CreatePool %s reached another node's agent", req.GetName())
		return &agentv1.Pool{}, nil
	}
	f.createLease(f.lease(nodeA, ag.addr, longLease))
	ag.nextStream(t).send(snapshot, &agentv1.Pool{Name: "p", Uuid: "u", Node: "node-b"})
	f.waitForState(nodeA, reconcile.AgentUnreachable)
	if _, msg := f.tracker.Agent(nodeA); !strings.Contains(msg, "node-b") {
		t.Errorf("message = %q, want it to name the other node", msg)
	}
	_, err := f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: nodeA, Name: "p", OwnerUID: ownerA})
	wantAgentUnavailable(t, err, reconcile.ActionCreatePool)
}

func TestNoAgent(t *testing.T) {
	f := newFixture(t)
	// No Lease at all.
	_, err := f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: "nowhere", Name: "p", OwnerUID: ownerA})
	wantAgentUnavailable(t, err, reconcile.ActionCreatePool)
	wantAgentUnavailable(t, f.tracker.DestroyPool(f.ctx, reconcile.DestroyRequest{Node: "nowhere", Name: "p"}), reconcile.ActionDestroyPool)
	if s, msg := f.tracker.Agent("nowhere"); s != reconcile.AgentMissing || msg != "" {
		t.Errorf("Agent(nowhere) = %s %q", s, msg)
	}
	if v := f.tracker.Pool("nowhere", "p"); v.Found {
		t.Errorf("Pool(nowhere) = %+v", v)
	}

	// A Lease that expired before the Tracker saw it.
	old := f.lease("node-old", "127.0.0.1:1", 15)
	old.Spec.RenewTime.Time = f.clock.Now().Add(-time.Minute)
	f.createLease(old)
	// A live Lease without an endpoint: Unreachable, nothing to dial.
	noEndpoint := f.lease("node-quiet", "", longLease)
	delete(noEndpoint.Annotations, "diskpool.openebs.io/grpc-endpoint")
	f.createLease(noEndpoint)
	f.waitFor("both Leases", func() bool { return len(f.nodes()) == 2 })
	f.waitForState("node-quiet", reconcile.AgentUnreachable)
	if s, _ := f.tracker.Agent("node-old"); s != reconcile.AgentMissing {
		t.Errorf("agent of an expired Lease = %s, want Missing", s)
	}
	if _, msg := f.tracker.Agent("node-quiet"); !strings.Contains(msg, "grpc-endpoint") {
		t.Errorf("message = %q, want it to name the missing annotation", msg)
	}
	for _, node := range []string{"node-old", "node-quiet"} {
		_, err := f.tracker.CreatePool(f.ctx, reconcile.CreateRequest{Node: node, Name: "p", OwnerUID: ownerA})
		wantAgentUnavailable(t, err, reconcile.ActionCreatePool)
	}
	for node, want := range map[string]string{"nowhere": "no live diskpool-agent", "node-old": "no live diskpool-agent", "node-quiet": "not connected"} {
		if _, err := f.tracker.ListDisks(f.ctx, node); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ListDisks(%s) = %v, want an error containing %q", node, err, want)
		}
	}
}

func TestRunTwiceAndNilLeases(t *testing.T) {
	f := newFixture(t)
	if err := f.tracker.Run(f.ctx); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("a concurrent Run = %v", err)
	}
	if err := New(Options{}).Run(f.ctx); err == nil || !strings.Contains(err.Error(), "Leases is nil") {
		t.Errorf("Run without Leases = %v", err)
	}
}

func TestMetricsLint(t *testing.T) {
	f := newFixture(t)
	if problems, err := testutil.GatherAndLint(f.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	if _, err := NewMetrics(f.reg); err == nil {
		t.Error("registering the metrics twice on one registry succeeded")
	}
}

// TestRunAgain stops a Tracker (a replica that stops leading) and runs it
// again: live agents wait in Syncing meanwhile, then come back.
func TestRunAgain(t *testing.T) {
	f := newFixture(t)
	ag := startScriptedAgent(t)
	f.createLease(f.lease(nodeA, ag.addr, longLease))
	ag.nextStream(t).send(snapshot, &agentv1.Pool{Name: "p1", Uuid: "u1"})
	f.waitForState(nodeA, reconcile.AgentReady)

	// A second Tracker on the same informer, run and stopped by the test.
	tr := New(Options{Namespace: testNamespace, Leases: f.leases, Client: f.tracker.clientOpts, Clock: f.clock})
	for round := range 2 {
		ctx, cancel := context.WithCancel(f.ctx)
		done := make(chan error, 1)
		go func() { done <- tr.Run(ctx) }()
		ag.nextStream(t).send(snapshot, &agentv1.Pool{Name: "p1", Uuid: "u1"})
		f.waitFor(fmt.Sprintf("round %d: Ready", round), func() bool {
			s, _ := tr.Agent(nodeA)
			return s == reconcile.AgentReady
		})
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: Run: %v", round, err)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("round %d: Run did not return", round)
		}
		if s, _ := tr.Agent(nodeA); s != reconcile.AgentSyncing {
			t.Errorf("round %d: agent after Run returned = %s, want Syncing", round, s)
		}
		if _, err := tr.CreatePool(f.ctx, reconcile.CreateRequest{Node: nodeA, Name: "p"}); err == nil {
			t.Errorf("round %d: CreatePool after Run returned succeeded", round)
		}
	}
}

// TestBackWithinGrace: a Ready agent whose stream breaks and is re-opened
// within the grace is never reported: the only notification is the new
// snapshot's, whose syncs find nothing changed.
func TestBackWithinGrace(t *testing.T) {
	// A long grace: the test steps the clock until the redial, however
	// long the dial takes in real time.
	f := newFixture(t, func(o *Options) { o.ReconnectGrace = time.Hour })
	ag := startScriptedAgent(t)
	f.createLease(f.lease(nodeA, ag.addr, longLease))
	s := ag.nextStream(t)
	s.send(snapshot, &agentv1.Pool{Name: "p1", Uuid: "u1", Node: nodeA})
	f.waitForState(nodeA, reconcile.AgentReady)
	f.takeChanges()

	s.fail()
	f.waitForState(nodeA, reconcile.AgentReconnecting)
	if v := f.tracker.Pool(nodeA, "p1"); !v.Found {
		t.Errorf("pool dropped while reconnecting: %+v", v)
	}
	if f.agentsGauge(reconcile.AgentReconnecting) != 1 {
		t.Errorf("diskpool_agents{state=Reconnecting} = %v, want 1", f.agentsGauge(reconcile.AgentReconnecting))
	}
	ag.nextStreamStepping(t, f.clock).send(snapshot, &agentv1.Pool{Name: "p1", Uuid: "u1", Node: nodeA})
	f.waitForState(nodeA, reconcile.AgentReady)
	if got := f.takeChanges(); !slices.Equal(got, []change{{node: nodeA}}) {
		t.Errorf("changes for a blip within the grace = %v, want only the snapshot's OnChange(%s, \"\")", got, nodeA)
	}
}

// TestSyncingGrace: an agent that cannot be reached when its stream is
// first opened stays Syncing (nothing reported) until the grace ends.
func TestSyncingGrace(t *testing.T) {
	f := newFixture(t)
	f.createLease(f.lease(nodeA, "127.0.0.1:1", longLease)) // nothing listens there
	f.waitFor("a refused dial", func() bool {
		_, msg := f.tracker.Agent(nodeA)
		return strings.Contains(msg, "connection refused")
	})
	if s, _ := f.tracker.Agent(nodeA); s != reconcile.AgentSyncing {
		t.Errorf("agent after a refused first dial = %s, want Syncing within the grace", s)
	}
	if got := f.takeChanges(); len(got) != 0 {
		t.Errorf("OnChange within the grace: %v", got)
	}
	f.stepUntilState(nodeA, reconcile.AgentUnreachable)
	if _, msg := f.tracker.Agent(nodeA); !strings.Contains(msg, "no pool snapshot within 3s of connecting") {
		t.Errorf("message = %q, want it to say no snapshot came within the grace", msg)
	}
	if got := f.takeChanges(); !slices.Equal(got, []change{{node: nodeA}}) {
		t.Errorf("changes when the grace ended = %v, want one OnChange(%s, \"\")", got, nodeA)
	}
}

// TestHeartbeats: the Tracker asks for heartbeats; a stream that carries
// them stays Ready however long it is otherwise quiet, and one silent for
// three intervals is Unreachable at once (no grace: the silence was it),
// with a message that says so.
func TestHeartbeats(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.HeartbeatInterval = time.Second })
	ag := startScriptedAgent(t)
	f.createLease(f.lease(nodeA, ag.addr, longLease))
	s := ag.nextStream(t)
	if got := s.req.GetHeartbeatIntervalMs(); got != 1000 {
		t.Errorf("WatchPools asked for heartbeats every %d ms, want 1000", got)
	}
	s.sendMsg(&agentv1.WatchPoolsResponse{Type: snapshot, HeartbeatIntervalMs: 1000})
	f.waitForState(nodeA, reconcile.AgentReady)
	f.takeChanges()

	// 4 s of fake time with a heartbeat every half second: more than the
	// 3 s the stream may be silent. Each heartbeat that the tracker takes
	// in late only moves its deadline later.
	for range 8 {
		s.send(agentv1.WatchPoolsResponse_HEARTBEAT)
		f.waitFor("the heartbeat to be sent", func() bool { return len(s.msgs) == 0 })
		f.clock.Step(500 * time.Millisecond)
	}
	if st, msg := f.tracker.Agent(nodeA); st != reconcile.AgentReady {
		t.Fatalf("agent with heartbeats = %s (%s), want Ready", st, msg)
	}
	if got := f.takeChanges(); len(got) != 0 {
		t.Errorf("heartbeats caused OnChange calls: %v", got)
	}

	// Then silence: the stream's process froze.
	f.stepUntilState(nodeA, reconcile.AgentUnreachable)
	_, msg := f.tracker.Agent(nodeA)
	if !strings.Contains(msg, "for 3s") || !strings.Contains(msg, "heartbeat every 1s") {
		t.Errorf("message = %q, want it to say how long the stream was silent", msg)
	}
	if got := f.takeChanges(); !slices.Equal(got, []change{{node: nodeA}}) {
		t.Errorf("changes when the heartbeats stopped = %v, want one OnChange(%s, \"\")", got, nodeA)
	}

	// An agent that announces no heartbeats (older than them) is never
	// failed for silence.
	ag.nextStreamStepping(t, f.clock).send(snapshot)
	f.waitForState(nodeA, reconcile.AgentReady)
	for range 10 {
		f.clock.Step(time.Second)
	}
	if st, msg := f.tracker.Agent(nodeA); st != reconcile.AgentReady {
		t.Errorf("agent without heartbeats after 10 s of silence = %s (%s), want Ready", st, msg)
	}
}

// TestGraceEndedMessage: the message of a grace that ended says what was
// seen: the break and the last redial's error, or the missing snapshot.
func TestGraceEndedMessage(t *testing.T) {
	tr := New(Options{})
	for _, tc := range []struct {
		name        string
		state       reconcile.AgentState
		broke, last string
		want        string
	}{
		{"broke, redials refused", reconcile.AgentReconnecting, "EOF", "connection refused",
			"its pool stream broke (EOF) and was not re-opened within 3s; last redial: connection refused"},
		{"broke, no redial yet", reconcile.AgentReconnecting, "EOF", "EOF",
			"its pool stream broke (EOF) and was not re-opened within 3s"},
		{"first dial refused", reconcile.AgentSyncing, "", "connection refused",
			"no pool snapshot within 3s of connecting (connection refused)"},
		// Left to the connect timeout: slow is not failed.
		{"first dial still under way", reconcile.AgentSyncing, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &node{name: nodeA, state: tc.state, message: tc.last, brokeWith: tc.broke}
			tr.graceEndedLocked(n)
			want := reconcile.AgentUnreachable
			if tc.want == "" {
				want = tc.state
			}
			if n.state != want || n.message != tc.want {
				t.Errorf("got %s %q, want %s %q", n.state, n.message, want, tc.want)
			}
		})
	}
}

// TestStreamFailedAfterTheGrace: a redial that fails once the grace is
// over, before the expiry timer has ended it, ends it in the same words
// (seen under load: the dial error had replaced what was seen).
func TestStreamFailedAfterTheGrace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state reconcile.AgentState
		want  string
	}{
		{"broke", reconcile.AgentReconnecting, "its pool stream broke (EOF) and was not re-opened within 3s; last redial: connection refused"},
		{"first dial", reconcile.AgentSyncing, "no pool snapshot within 3s of connecting (connection refused)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(Options{})
			c := &connection{}
			tr.nodes[nodeA] = &node{name: nodeA, state: tc.state, message: "EOF", brokeWith: "EOF", conn: c,
				graceUntil: time.Now().Add(-time.Millisecond)}
			if got := tr.streamFailed(nodeA, c, errors.New("connection refused")); got != reconcile.AgentUnreachable {
				t.Errorf("state = %s, want Unreachable", got)
			}
			if _, msg := tr.Agent(nodeA); msg != tc.want {
				t.Errorf("message = %q, want %q", msg, tc.want)
			}
		})
	}
}

func TestFiredLate(t *testing.T) {
	due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		now  time.Time
		want bool
	}{
		{"on time", due, false},
		{"a little late: the agent's silence", due.Add(time.Second), false},
		{"stalled for 10 s: our own", due.Add(10 * time.Second), true},
	} {
		if got := firedLate(due, tc.now, time.Second); got != tc.want {
			t.Errorf("%s: firedLate = %v, want %v", tc.name, got, tc.want)
		}
	}
}
