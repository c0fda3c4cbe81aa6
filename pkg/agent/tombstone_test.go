package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/klog/v2/ktesting"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

const ownerC = "33333333-cccc-4ccc-8ccc-000000000003"

// away moves a disk out of the agent's directories (as a pulled disk) and
// returns where it is and the function that puts it back.
func (h *harness) away(d string) (out string, back func()) {
	h.t.Helper()
	out = filepath.Join(h.t.TempDir(), filepath.Base(d))
	if err := os.Rename(d, out); err != nil {
		h.t.Fatal(err)
	}
	return out, func() {
		h.t.Helper()
		if err := os.Rename(out, d); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) destroy(name, owner string) error {
	_, err := h.client.DestroyPool(h.ctx, &agentv1.DestroyPoolRequest{Name: name, OwnerUid: owner})
	return err
}

func (h *harness) savedTombstones() []tombstone {
	h.t.Helper()
	b, err := os.ReadFile(filepath.Join(h.stateDir, knownDisksFile))
	if err != nil {
		h.t.Fatal(err)
	}
	var kd knownDisks
	if err := json.Unmarshal(b, &kd); err != nil {
		h.t.Fatal(err)
	}
	return kd.Tombstones
}

// TestDestroyWhileAway: a pool destroyed while its disk is away leaves a
// tombstone; the disk coming back with exactly that label is erased, not
// imported as an orphan; a disk carrying anything else is left alone.
func TestDestroyWhileAway(t *testing.T) {
	tests := []struct {
		name string
		// meanwhile runs while the disk is away, after the destroy; away is
		// where the disk is.
		meanwhile func(t *testing.T, away string)
		// restart: the disk comes back to a stopped agent, which imports it;
		// otherwise to a running agent, which meets it on a CreatePool.
		restart bool
		// sweep: the disk comes back to a running agent's health sweep.
		sweep bool
		// wantErased: the returning disk reads empty; otherwise it is
		// unchanged.
		wantErased bool
	}{
		{name: "back before the agent restarts", restart: true, wantErased: true},
		{name: "back while the agent runs, met by a new pool", wantErased: true},
		{name: "back while the agent runs, found by the health sweep", sweep: true, wantErased: true},
		{
			name: "back carrying another pool (relabelled elsewhere)", restart: true,
			meanwhile: func(t *testing.T, away string) {
				// Another node imports the disk, destroys that pool and
				// makes one of its own on it.
				other := newHarness(t)
				there := filepath.Join(other.dir, "sdb")
				if err := os.Rename(away, there); err != nil {
					t.Fatal(err)
				}
				other.restart()
				if err := other.destroy("pool-a", ownerA); err != nil {
					t.Fatal(err)
				}
				other.mustCreate("pool-a", ownerB, there)
				other.stop()
				if err := os.Rename(there, away); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "back formatted as XFS",
			meanwhile: func(t *testing.T, away string) {
				f, err := os.OpenFile(away, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = f.Close() }()
				// Formatted outside the agent: the primary label is gone, the
				// backup is still there.
				if _, err := f.WriteAt([]byte("XFSB"), 0); err != nil {
					t.Fatal(err)
				}
			},
			restart: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			d := h.disk("sdb", gib)
			orig := h.mustCreate("pool-a", ownerA, d)
			out, back := h.away(d)
			if err := h.destroy("pool-a", ownerA); err != nil {
				t.Fatalf("DestroyPool while the disk is away: %v", err)
			}
			ts := h.savedTombstones()
			if len(ts) != 1 || ts[0].UUID != orig.GetUuid() || ts[0].OwnerUID != ownerA || ts[0].Path != d {
				t.Fatalf("saved tombstones = %+v, want one for pool %s on %s", ts, orig.GetUuid(), d)
			}
			if tt.meanwhile != nil {
				tt.meanwhile(t, out)
			}
			if tt.restart {
				h.stop()
				back()
				before := fileHash(t, d)
				h.start()
				if !tt.wantErased {
					if fileHash(t, d) != before {
						t.Fatal("the agent wrote to a returning disk that does not carry the destroyed pool's label")
					}
				}
			} else {
				back()
			}
			if tt.sweep {
				h.agent.CheckHealth(h.ctx)
				if got := h.content(d); got != contentEmpty {
					t.Fatalf("returning disk content after a health sweep = %v, want empty", got)
				}
				h.agent.CheckHealth(h.ctx) // the second sweep only stats the path
			}

			if !tt.wantErased {
				if got := h.content(d); got == contentEmpty {
					t.Fatal("a disk carrying something else was erased")
				}
				return
			}
			if tt.restart || tt.sweep {
				if ps := h.agent.Pools(); len(ps) != 0 {
					t.Fatalf("pools after the disk came back = %v, want none (the destroyed pool is not imported)", ps)
				}
				if got := h.content(d); got != contentEmpty {
					t.Fatalf("returning disk content = %v, want empty", got)
				}
			} else {
				p := h.mustCreate("pool-b", ownerB, d)
				if p.GetUuid() == orig.GetUuid() || p.GetOwnerUid() != ownerB {
					t.Fatalf("new pool on the returning disk = %v", p)
				}
			}
			if ts := h.savedTombstones(); len(ts) != 0 {
				t.Errorf("tombstones after the disk came back = %+v, want none", ts)
			}
		})
	}
}

// TestAdoptBeforeDiskReturns: asking to adopt a pool destroyed while its
// disk was away cancels the destroy's tombstone, so the disk, when it comes
// back, is imported and adopted rather than erased.
func TestAdoptBeforeDiskReturns(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	orig := h.mustCreate("pool-a", ownerA, d)
	_, back := h.away(d)
	if err := h.destroy("pool-a", ownerA); err != nil {
		t.Fatal(err)
	}
	adopt := &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerB, AdoptOwnerUid: ownerA, Disks: []string{d}}
	if _, err := h.client.CreatePool(h.ctx, adopt); err == nil {
		t.Fatal("CreatePool on a disk that is away succeeded")
	}
	if ts := h.savedTombstones(); len(ts) != 0 {
		t.Fatalf("tombstones after an adopting CreatePool = %+v, want none", ts)
	}
	h.stop()
	back()
	h.start()
	if p := h.get("pool-a"); p.GetUuid() != orig.GetUuid() || p.GetOwnerUid() != ownerA {
		t.Fatalf("imported pool = %v, want uuid %s owner %s", p, orig.GetUuid(), ownerA)
	}
	p, err := h.client.CreatePool(h.ctx, adopt)
	if err != nil || p.GetUuid() != orig.GetUuid() || p.GetOwnerUid() != ownerB {
		t.Fatalf("adopting CreatePool = %v, %v", p, err)
	}
}

// TestTombstoneSavedBeforeAnswer: a tombstone that cannot be saved fails
// the destroy and keeps the pool, so the caller retries instead of
// forgetting a label nothing else remembers.
func TestTombstoneSavedBeforeAnswer(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	h.mustCreate("pool-a", ownerA, d)
	h.away(d)
	if err := os.RemoveAll(h.stateDir); err != nil {
		t.Fatal(err)
	}
	if err := h.destroy("pool-a", ownerA); err == nil {
		t.Fatal("DestroyPool succeeded without saving its tombstone")
	}
	h.get("pool-a") // still there
	if err := os.Mkdir(h.stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := h.destroy("pool-a", ownerA); err != nil {
		t.Fatal(err)
	}
	if ts := h.savedTombstones(); len(ts) != 1 {
		t.Fatalf("saved tombstones = %+v, want one", ts)
	}
}

func TestTombstonesBounded(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	a := &Agent{}
	var ts []tombstone
	for i := range maxTombstones + 3 {
		ts = append(ts, tombstone{Pool: fmt.Sprintf("pool-%d", i), UUID: fmt.Sprintf("uuid-%d", i), OwnerUID: ownerC})
	}
	a.addTombstones(ctx, ts[:2])
	a.addTombstones(context.Background(), nil)
	a.addTombstones(ctx, ts[2:])
	got := a.tombstoneList()
	if len(got) != maxTombstones || got[0] != ts[3] || got[len(got)-1] != ts[len(ts)-1] {
		t.Fatalf("kept %d tombstones from %s to %s, want %d from %s", len(got), got[0].Pool, got[len(got)-1].Pool, maxTombstones, ts[3].Pool)
	}
	if _, ok := a.tombstoneFor(&label.Label{UUID: "uuid-0", OwnerUID: ownerC}); ok {
		t.Error("the oldest tombstone is still matched")
	}
	if _, ok := a.tombstoneFor(&label.Label{UUID: "uuid-5", OwnerUID: ownerA}); ok {
		t.Error("a label of another owner matched a tombstone")
	}
	if _, ok := a.tombstoneFor(&label.Label{UUID: "uuid-5", OwnerUID: ownerC}); !ok {
		t.Error("a tombstone's own label did not match")
	}
}
