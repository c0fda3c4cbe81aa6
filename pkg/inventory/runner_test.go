package inventory

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

type testSource struct {
	disks  []*agentv1.Disk
	err    error
	onList func(call int) // runs after a call, before the answer is used
	listed int
}

func (s *testSource) ReadyNodes() []string { return []string{"node-a"} }

func (s *testSource) ListDisks(context.Context, string) ([]*agentv1.Disk, error) {
	disks := s.disks
	s.listed++
	if s.onList != nil {
		s.onList(s.listed)
	}
	return disks, s.err
}

type testOwners struct{ uids map[string]bool }

func (o *testOwners) Live(uid string) bool { return o.uids[uid] }
func (o *testOwners) HasSynced() bool      { return true }

// TestSyncOwnerRace: a pool whose object is created while the disks are
// read is no orphan, nor is one destroyed with its object meanwhile (its
// label is gone from a second listing); one whose object is gone and whose
// label stays is, and costs the second listing.
func TestSyncOwnerRace(t *testing.T) {
	pool := pooled("/dev/sda", "pool-a", "u-a", goneUID, 0, true)
	erased := &agentv1.Disk{Path: "/dev/sda", Kind: "block", SizeBytes: 1 << 30, Content: agentv1.DiskContent_DISK_CONTENT_EMPTY}
	cases := []struct {
		name string
		live bool // the owner is cached when the listing starts
		// during the first listing: the owner's cache entry becomes this,
		// and the disk this (nil: unchanged)
		liveAfter bool
		diskAfter *agentv1.Disk
		orphans   int
		listings  int
	}{
		{"live owner: one listing", true, true, nil, 0, 1},
		{"created meanwhile", false, true, nil, 0, 1},
		{"destroyed with its object meanwhile", true, false, erased, 0, 2},
		{"object gone, label stays (purged)", true, false, nil, 1, 2},
		{"never there", false, false, nil, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			owners := &testOwners{uids: map[string]bool{goneUID: tc.live}}
			src := &testSource{disks: []*agentv1.Disk{pool}}
			src.onList = func(call int) {
				if call == 1 {
					owners.uids[goneUID] = tc.liveAfter
					if tc.diskAfter != nil {
						src.disks = []*agentv1.Disk{tc.diskAfter}
					}
				}
			}
			r := NewRunner(src, owners, f.pub, 0)
			if err := r.Sync(f.ctx, "node-a"); err != nil {
				t.Fatal(err)
			}
			cm, err := f.client.CoreV1().ConfigMaps(ns).Get(f.ctx, ConfigMapName("node-a"), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Decode(cm)
			if err != nil || len(rep.Orphans) != tc.orphans {
				t.Errorf("orphans = %v, %v; want %d", rep.Orphans, err, tc.orphans)
			}
			if src.listed != tc.listings {
				t.Errorf("ListDisks called %d times, want %d", src.listed, tc.listings)
			}
		})
	}
}

func TestSyncListError(t *testing.T) {
	f := newFixture(t)
	r := NewRunner(&testSource{err: errors.New("unreachable")}, &testOwners{}, f.pub, 0)
	f.client.ClearActions()
	if err := r.Sync(f.ctx, "node-a"); err == nil {
		t.Fatal("Sync succeeded with a failing ListDisks")
	}
	if n := len(f.client.Actions()); n != 0 {
		t.Errorf("a failed inventory made %d API calls", n)
	}
}
