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
	onList func()
	listed int
}

func (s *testSource) ReadyNodes() []string { return []string{"node-a"} }

func (s *testSource) ListDisks(context.Context, string) ([]*agentv1.Disk, error) {
	s.listed++
	if s.onList != nil {
		s.onList()
	}
	return s.disks, s.err
}

type testOwners struct{ uids map[string]bool }

func (o *testOwners) LiveUIDs() (map[string]bool, error) {
	out := map[string]bool{}
	for k, v := range o.uids {
		out[k] = v
	}
	return out, nil
}
func (o *testOwners) HasSynced() bool { return true }

// TestSyncOwnerRace: a pool whose object is created or deleted while the
// disks are read is no orphan; one with no object before or after is.
func TestSyncOwnerRace(t *testing.T) {
	cases := []struct {
		name          string
		before, after map[string]bool
		orphans       int
	}{
		{"created meanwhile", map[string]bool{}, map[string]bool{goneUID: true}, 0},
		{"deleted meanwhile", map[string]bool{goneUID: true}, map[string]bool{}, 0},
		{"never there", map[string]bool{}, map[string]bool{}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			owners := &testOwners{uids: tc.before}
			src := &testSource{disks: []*agentv1.Disk{pooled("/dev/sda", "pool-a", "u-a", goneUID, 0, true)},
				onList: func() { owners.uids = tc.after }}
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
