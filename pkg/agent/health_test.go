package agent

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testingclock "k8s.io/utils/clock/testing"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

const (
	online   = agentv1.PoolState_POOL_STATE_ONLINE
	degraded = agentv1.PoolState_POOL_STATE_DEGRADED
	faulted  = agentv1.PoolState_POOL_STATE_FAULTED
)

func (h *harness) wantState(name string, state agentv1.PoolState, reason string) *agentv1.Pool {
	h.t.Helper()
	p := h.get(name)
	if p.GetState() != state || !strings.Contains(p.GetReason(), reason) || (state == online) != (p.GetReason() == "") {
		h.t.Fatalf("pool %s is %v (%q), want %v with reason containing %q", name, p.GetState(), p.GetReason(), state, reason)
	}
	return p
}

func TestHealthDiskGoneAndBack(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	w := h.watch()
	w.next(agentv1.WatchPoolsResponse_SNAPSHOT)

	if err := os.Rename(d, d+".away"); err != nil {
		t.Fatal(err)
	}
	h.agent.CheckHealth(h.ctx)
	h.wantState("pool-a", faulted, "is gone")
	if up := w.next(agentv1.WatchPoolsResponse_UPSERT).GetPools()[0]; up.GetState() != faulted {
		t.Fatalf("event = %v", up)
	}
	_, err := h.client.CreateReplica(h.ctx, &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: replica1, Size: 4096})
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonPoolFaulted)
	// CreatePool of the same pool returns it, Faulted, rather than an error.
	if p := h.mustCreate("pool-a", ownerA, d); p.GetState() != faulted {
		t.Fatalf("CreatePool of a faulted pool = %v", p)
	}

	// Nothing changes while it stays away: no event.
	h.agent.CheckHealth(h.ctx)

	if err := os.Rename(d+".away", d); err != nil {
		t.Fatal(err)
	}
	h.agent.CheckHealth(h.ctx)
	h.wantState("pool-a", online, "")
	if up := w.next(agentv1.WatchPoolsResponse_UPSERT).GetPools()[0]; up.GetState() != online {
		t.Fatalf("event = %v", up)
	}
}

func TestHealthReadErrors(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	path := h.agent.get("pool-a").members[0].disk.Path

	h.opener.setReadError(path, syscall.EIO)
	for i := 1; i < DefaultFaultThreshold; i++ {
		h.agent.CheckHealth(h.ctx)
		h.wantState("pool-a", degraded, "read error")
	}
	h.agent.CheckHealth(h.ctx)
	h.wantState("pool-a", faulted, "consecutive reads")

	h.opener.setReadError(path, nil)
	h.agent.CheckHealth(h.ctx)
	h.wantState("pool-a", online, "")
}

func TestHealthGrowAndShrink(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	h.mustReplica("pool-a", replica1, 8<<20, false)

	if err := os.Truncate(d, 2*gib); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, d)
	h.agent.CheckHealth(h.ctx)
	// The growth is noticed and reported; the pool only grows by ExpandPool,
	// so nothing is written.
	p := h.wantState("pool-a", online, "")
	if want := label.Capacity(gib, label.DefaultClusterSize); p.GetCapacity() != want || p.GetDiskCapacityBytes() != 2*gib {
		t.Fatalf("after growth: capacity %d (want %d), disk capacity %d (want %d)", p.GetCapacity(), want, p.GetDiskCapacityBytes(), 2*gib)
	}
	if fileHash(t, d) != before {
		t.Fatal("the health check wrote to a disk that grew")
	}
	h.restart()
	p = h.wantState("pool-a", online, "")
	if p.GetCapacity() != label.Capacity(gib, label.DefaultClusterSize) || p.GetDiskCapacityBytes() != 2*gib || p.GetReplicaCount() != 1 {
		t.Fatalf("after restart = %v", p)
	}

	if err := os.Truncate(d, gib-1<<20); err != nil {
		t.Fatal(err)
	}
	h.agent.CheckHealth(h.ctx)
	h.wantState("pool-a", faulted, "shrank")
}

func TestHealthLabelErased(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	hash := func() string { return fileHash(t, d) }

	f, err := os.OpenFile(d, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, label.AreaSize)
	for _, off := range []int64{label.PrimaryOffset, label.BackupOffset(gib)} {
		if _, err := f.WriteAt(zero, off); err != nil {
			t.Fatal(err)
		}
	}
	_ = f.Close()
	before := hash()
	h.agent.CheckHealth(h.ctx)
	h.wantState("pool-a", faulted, "gone or damaged")
	h.agent.CheckHealth(h.ctx)
	if hash() != before {
		t.Fatal("the health check wrote to a disk whose label vanished")
	}
}

func TestHealthMonitorLoop(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Now())
	h := newHarness(t, func(c *Config) { c.Clock = clk; c.HealthInterval = 2 * time.Second })
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { defer close(done); h.agent.RunHealthMonitor(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "the monitor's ticker", clk.HasWaiters)
	if err := os.Remove(d); err != nil {
		t.Fatal(err)
	}
	clk.Step(2 * time.Second)
	waitFor(t, "the pool to fault", func() bool { return h.agent.get("pool-a").state == faulted })
}
