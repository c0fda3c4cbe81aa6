package agent

import (
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

func TestRestartReimports(t *testing.T) {
	tests := []struct {
		name string
		// cfg changes the scan configuration before the restart.
		cfg func(h *harness)
	}{
		{name: "found by --disk glob", cfg: func(h *harness) { h.cfg.StateDir = "" }},
		{name: "found by the state file", cfg: func(h *harness) { h.cfg.Disks = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			d := h.disk("sdb", gib)
			orig := h.mustCreate("pool-a", ownerA, d)
			h.mustReplica("pool-a", replica1, 10<<20, false)
			h.mustReplica("pool-a", replica2, 1<<30, true)
			before := h.get("pool-a")
			tt.cfg(h)
			h.restart()

			got := h.get("pool-a")
			if got.GetUuid() != orig.GetUuid() || got.GetOwnerUid() != ownerA || got.GetReplicaCount() != 2 ||
				got.GetUsed() != before.GetUsed() || got.GetCommitted() != before.GetCommitted() ||
				got.GetCapacity() != before.GetCapacity() || got.GetState() != agentv1.PoolState_POOL_STATE_ONLINE {
				t.Fatalf("after restart = %v, want %v", got, before)
			}
			rs, err := h.client.ListReplicas(h.ctx, &agentv1.ListReplicasRequest{Pool: "pool-a"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs.GetReplicas()) != 2 || rs.GetReplicas()[0].GetUuid() != replica1 || rs.GetReplicas()[1].GetThin() != true {
				t.Fatalf("replicas after restart = %v", rs.GetReplicas())
			}
			// Create after restart is an import: same uuid, nothing written.
			hash := fileHash(t, d)
			if p := h.mustCreate("pool-a", ownerA, d); p.GetUuid() != orig.GetUuid() {
				t.Fatalf("CreatePool after restart = %v", p)
			}
			if fileHash(t, d) != hash {
				t.Error("importing a pool rewrote its label")
			}
		})
	}
}

// TestCreateImportsUnknownPool: an agent that did not scan the disk imports
// the pool on CreatePool with the same name and owner, without writing.
func TestCreateImportsUnknownPool(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	orig := h.mustCreate("pool-a", ownerA, d)
	h.mustReplica("pool-a", replica1, 10<<20, false)
	h.cfg.Disks, h.cfg.StateDir = nil, ""
	h.restart()
	if len(h.agent.Pools()) != 0 {
		t.Fatal("pool imported without a scan")
	}
	hash := fileHash(t, d)
	p := h.mustCreate("pool-a", ownerA, d)
	if p.GetUuid() != orig.GetUuid() || p.GetReplicaCount() != 1 {
		t.Fatalf("import = %v", p)
	}
	if fileHash(t, d) != hash {
		t.Error("import rewrote the label")
	}
}

func TestCorruptLabel(t *testing.T) {
	tests := []struct {
		name string
		// damage breaks the label; backupToo also breaks the backup.
		offsets  []int64
		wantName string
		faulted  bool
	}{
		{name: "primary only: imported from the backup and repaired", offsets: []int64{label.PrimaryOffset + label.HeaderSize + 300}, wantName: "pool-a"},
		{name: "both copies: Faulted under its salvaged name", offsets: []int64{label.PrimaryOffset + label.HeaderSize + 300, gib - 1<<20 + label.HeaderSize + 300}, wantName: "pool-a", faulted: true},
		{name: "both headers: Faulted", offsets: []int64{label.PrimaryOffset + 17, gib - 1<<20 + 17}, wantName: "pool-a", faulted: true},
		{name: "both names: Faulted under a placeholder", offsets: []int64{label.PrimaryOffset + label.HeaderSize + 2, gib - 1<<20 + label.HeaderSize + 2}, wantName: "damaged-label-sdb", faulted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			d := h.disk("sdb", gib)
			orig := h.mustCreate("pool-a", ownerA, d)
			h.mustReplica("pool-a", replica1, 10<<20, false)
			h.stop()
			flipBytes(t, d, tt.offsets...)
			hash := fileHash(t, d)
			h.start()

			got := h.get(tt.wantName)
			if !tt.faulted {
				if got.GetUuid() != orig.GetUuid() || got.GetState() != agentv1.PoolState_POOL_STATE_ONLINE || got.GetReplicaCount() != 1 {
					t.Fatalf("pool = %v", got)
				}
				if h.content(d) != contentLabel {
					t.Fatal("label not readable after repair")
				}
				return
			}
			if got.GetState() != agentv1.PoolState_POOL_STATE_FAULTED || !strings.Contains(got.GetReason(), "damaged") || got.GetUuid() == orig.GetUuid() {
				t.Fatalf("pool = %v, want Faulted with a reason", got)
			}
			// Never re-initialised: CreatePool of the same pool is refused
			// and writes nothing; so is a replica.
			_, err := h.create("pool-a", ownerA, d)
			if tt.wantName == "pool-a" {
				wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonPoolFaulted)
			} else {
				wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskClaimed)
			}
			_, err = h.create("pool-new", ownerA, d)
			wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskClaimed)
			h.cfg.Disks, h.cfg.StateDir = nil, ""
			h.restart()
			_, err = h.create("pool-new", ownerA, d)
			wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
			if fileHash(t, d) != hash {
				t.Fatal("a damaged label was rewritten")
			}
		})
	}
}

func TestDestroyCorruptPool(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	h.stop()
	flipBytes(t, d, label.PrimaryOffset+label.HeaderSize+300, gib-1<<20+label.HeaderSize+300)
	h.start()
	if _, err := h.client.DestroyPool(h.ctx, &agentv1.DestroyPoolRequest{Name: "pool-a", OwnerUid: ownerB}); poolerr.Reason(err) != poolerr.ReasonOwnerMismatch {
		t.Fatalf("destroy by another owner: %v", err)
	}
	if _, err := h.client.DestroyPool(h.ctx, &agentv1.DestroyPoolRequest{Name: "pool-a", OwnerUid: ownerA}); err != nil {
		t.Fatalf("destroy by the owner: %v", err)
	}
	if h.content(d) != contentEmpty {
		t.Fatal("damaged label not erased by destroy")
	}
}

func flipBytes(t *testing.T, path string, offsets ...int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	for _, off := range offsets {
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x40
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
}
