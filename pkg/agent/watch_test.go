package agent

import (
	"context"
	"strconv"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

type watchStream struct {
	t      *testing.T
	stream agentv1.PoolService_WatchPoolsClient
	cancel context.CancelFunc
	seq    uint64
}

func (h *harness) watch() *watchStream {
	h.t.Helper()
	return h.watchWith(&agentv1.WatchPoolsRequest{})
}

func (h *harness) watchWith(req *agentv1.WatchPoolsRequest) *watchStream {
	h.t.Helper()
	ctx, cancel := context.WithCancel(h.ctx)
	s, err := h.client.WatchPools(ctx, req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(cancel)
	return &watchStream{t: h.t, stream: s, cancel: cancel}
}

// next receives one message and checks its type and sequence.
func (w *watchStream) next(typ agentv1.WatchPoolsResponse_Type) *agentv1.WatchPoolsResponse {
	w.t.Helper()
	msg, err := w.stream.Recv()
	if err != nil {
		w.t.Fatalf("Recv: %v", err)
	}
	w.seq++
	if msg.GetType() != typ || msg.GetSequence() != w.seq {
		w.t.Fatalf("got %v #%d, want %v #%d: %v", msg.GetType(), msg.GetSequence(), typ, w.seq, msg)
	}
	return msg
}

func TestWatchPools(t *testing.T) {
	h := newHarness(t)
	h.mustCreate("pool-a", ownerA, h.disk("sda", gib))

	w1, w2 := h.watch(), h.watch()
	for _, w := range []*watchStream{w1, w2} {
		snap := w.next(agentv1.WatchPoolsResponse_SNAPSHOT)
		if len(snap.GetPools()) != 1 || snap.GetPools()[0].GetName() != "pool-a" {
			t.Fatalf("snapshot = %v", snap)
		}
	}

	d := h.disk("sdb", gib)
	created := h.mustCreate("pool-b", ownerA, d)
	h.mustCreate("pool-b", ownerA, d) // idempotent: no event
	h.mustReplica("pool-b", replica1, 8<<20, false)
	if _, err := h.client.DestroyReplica(h.ctx, &agentv1.DestroyReplicaRequest{Pool: "pool-b", Uuid: replica1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.DestroyPool(h.ctx, &agentv1.DestroyPoolRequest{Name: "pool-b", OwnerUid: ownerA}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*watchStream{w1, w2} {
		up := w.next(agentv1.WatchPoolsResponse_UPSERT).GetPools()[0]
		if up.GetName() != "pool-b" || up.GetUuid() != created.GetUuid() || up.GetUsed() != 0 {
			t.Fatalf("create event = %v", up)
		}
		if up := w.next(agentv1.WatchPoolsResponse_UPSERT).GetPools()[0]; up.GetUsed() != 8<<20 || up.GetReplicaCount() != 1 {
			t.Fatalf("replica event = %v", up)
		}
		if up := w.next(agentv1.WatchPoolsResponse_UPSERT).GetPools()[0]; up.GetUsed() != 0 {
			t.Fatalf("replica destroy event = %v", up)
		}
		if del := w.next(agentv1.WatchPoolsResponse_DELETE).GetPools()[0]; del.GetName() != "pool-b" || del.GetUuid() != created.GetUuid() {
			t.Fatalf("delete event = %v", del)
		}
	}

	// A watcher that leaves does not disturb the others.
	w1.cancel()
	waitFor(t, "the watcher to be removed", func() bool { return h.agent.hub.count() == 1 })
	h.mustCreate("pool-c", ownerA, h.disk("sdc", gib))
	if up := w2.next(agentv1.WatchPoolsResponse_UPSERT).GetPools()[0]; up.GetName() != "pool-c" {
		t.Fatalf("event = %v", up)
	}

	// Closing the agent ends the stream.
	h.agent.Close()
	if _, err := w2.stream.Recv(); err == nil {
		t.Fatal("stream still open after Close")
	}
}

// TestWatcherFallsBehind: publishing never blocks, and a watcher that
// falls behind by more than maxPending is told to resync.
func TestWatcherFallsBehind(t *testing.T) {
	w := newWatcher()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 3*maxPending; i++ {
			w.push(event{typ: agentv1.WatchPoolsResponse_UPSERT, pool: &agentv1.Pool{Name: "p"}})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("push blocked on a watcher nobody reads")
	}
	evs, resync := w.take()
	if !resync || len(evs) != 0 {
		t.Fatalf("take() = %d events, resync %v; want a resync", len(evs), resync)
	}
	w.push(event{typ: agentv1.WatchPoolsResponse_DELETE})
	if evs, resync := w.take(); resync || len(evs) != 1 {
		t.Fatalf("after resync: %d events, resync %v", len(evs), resync)
	}
}

// TestSlowWatcherGetsSnapshot: over gRPC, a watcher that does not read
// while many changes happen neither blocks the agent nor other watchers, and
// converges on the current state (through a new SNAPSHOT) once it reads.
func TestSlowWatcherGetsSnapshot(t *testing.T) {
	h := newHarness(t)
	h.mustCreate("pool-a", ownerA, h.disk("sda", gib))
	slow := h.watch()
	slow.next(agentv1.WatchPoolsResponse_SNAPSHOT)
	fast := h.watch()
	fast.next(agentv1.WatchPoolsResponse_SNAPSHOT)

	// Direct commits (no disk I/O) produce changes faster than any stream.
	const changes = 20 * maxPending
	final := itoa(changes - 1)
	for i := 0; i < changes; i++ {
		c := h.agent.get("pool-a").clone()
		c.label.Labels = map[string]string{"n": itoa(i)}
		h.agent.commit(c)
	}
	for name, w := range map[string]*watchStream{"fast": fast, "slow": slow} {
		last := -1
		for {
			msg, err := w.stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			w.seq++
			if msg.GetSequence() != w.seq {
				t.Fatalf("%s watcher: sequence %d, want %d", name, msg.GetSequence(), w.seq)
			}
			n, _ := strconv.Atoi(msg.GetPools()[0].GetLabels()["n"])
			if n < last {
				t.Fatalf("%s watcher went back from %d to %d", name, last, n)
			}
			last = n
			if msg.GetPools()[0].GetLabels()["n"] == final {
				break
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestWatchHeartbeats: a watcher that asks for heartbeats gets one after
// each interval of silence (raised to MinHeartbeatInterval), counted in the
// sequence; one that does not ask gets none.
func TestWatchHeartbeats(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Now())
	h := newHarness(t, func(c *Config) { c.Clock = clk; c.HealthInterval = time.Hour })
	plain := h.watch()
	if snap := plain.next(agentv1.WatchPoolsResponse_SNAPSHOT); snap.GetHeartbeatIntervalMs() != 0 {
		t.Errorf("snapshot without a heartbeat request announces %d ms", snap.GetHeartbeatIntervalMs())
	}
	beating := h.watchWith(&agentv1.WatchPoolsRequest{HeartbeatIntervalMs: 100})
	if snap := beating.next(agentv1.WatchPoolsResponse_SNAPSHOT); snap.GetHeartbeatIntervalMs() != uint32(MinHeartbeatInterval/time.Millisecond) {
		t.Errorf("snapshot announces %d ms, want the minimum %s", snap.GetHeartbeatIntervalMs(), MinHeartbeatInterval)
	}

	got := make(chan *agentv1.WatchPoolsResponse, 1)
	go func() {
		msg, err := beating.stream.Recv()
		if err != nil {
			t.Errorf("Recv: %v", err)
		}
		got <- msg
	}()
	start := clk.Now()
	var beat *agentv1.WatchPoolsResponse
	for i := 0; beat == nil && i < 1000; i++ {
		// Step the fake clock while no message came: the agent may arm
		// its timer a moment after the snapshot was received.
		select {
		case beat = <-got:
		case <-time.After(5 * time.Millisecond):
			clk.Step(50 * time.Millisecond)
		}
	}
	if beat == nil {
		t.Fatal("no heartbeat after 50 s of silence on the fake clock")
	}
	if beat.GetType() != agentv1.WatchPoolsResponse_HEARTBEAT || beat.GetSequence() != 2 || len(beat.GetPools()) != 0 {
		t.Errorf("got %v, want HEARTBEAT #2 without pools", beat)
	}
	if silent := clk.Since(start); silent < MinHeartbeatInterval {
		t.Errorf("heartbeat after %s of silence, want at least %s", silent, MinHeartbeatInterval)
	}

	// The plain watcher got no heartbeat meanwhile: its next message is
	// the next change, #2.
	h.mustCreate("pool-a", ownerA, h.disk("sda", gib))
	plain.next(agentv1.WatchPoolsResponse_UPSERT)
}
