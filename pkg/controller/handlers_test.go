package controller

import (
	"slices"
	"testing"

	"k8s.io/client-go/tools/cache"

	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// drain returns the keys in the queue, sorted, and empties it.
func drain(f *fixture) []string {
	var out []string
	for f.c.queue.Len() > 0 {
		k, _ := f.c.queue.Get()
		out = append(out, k.String())
		f.c.queue.Done(k)
		f.c.queue.Forget(k)
	}
	slices.Sort(out)
	return out
}

func onNode(node string) func(*v1beta3.DiskPool) {
	return func(d *v1beta3.DiskPool) { d.Spec.Node = node }
}

func TestOnChangeQueuesPoolsOnTheEffectiveNode(t *testing.T) {
	f := newFixture(t,
		newDiskPool("a1"),
		newDiskPool("a2"),
		newDiskPool("b1", onNode("node-b")),
		// Created on node-a; its spec was since edited to node-b. It lives
		// on node-a, so node-a's changes concern it.
		newDiskPool("moved", onNode("node-b"), func(d *v1beta3.DiskPool) { d.Status.Node = testNode; d.Status.Disks = d.Spec.Disks }),
	)

	f.c.OnChange(testNode, "")
	equal(t, "node-a", drain(f), []string{"DiskPool:storage/a1", "DiskPool:storage/a2", "DiskPool:storage/moved"})

	f.c.OnChange(testNode, "a2")
	equal(t, "node-a pool a2", drain(f), []string{"DiskPool:storage/a2"})

	f.c.OnChange("node-b", "")
	equal(t, "node-b", drain(f), []string{"DiskPool:storage/b1"})

	f.c.OnChange("node-c", "")
	equal(t, "node-c", drain(f), nil)
}

func TestNodeEventsQueuePoolsOnTheNode(t *testing.T) {
	f := newFixture(t, newDiskPool("a1"), newDiskPool("b1", onNode("node-b")))
	f.c.enqueueNode(newNode(testNode))
	equal(t, "node added", drain(f), []string{"DiskPool:storage/a1"})

	f.c.enqueueNode(cache.DeletedFinalStateUnknown{Key: "node-b", Obj: newNode("node-b")})
	equal(t, "node deleted (tombstone)", drain(f), []string{"DiskPool:storage/b1"})
}

func TestObjectEventsQueueTheObject(t *testing.T) {
	f := newFixture(t)
	d := newDiskPool("a1")
	f.c.enqueueObject(KindDiskPool, d)
	f.c.enqueueObject(KindDiskPool, cache.DeletedFinalStateUnknown{Key: "storage/a2", Obj: newDiskPool("a2")})
	equal(t, "queued", drain(f), []string{"DiskPool:storage/a1", "DiskPool:storage/a2"})
}

// TestNodeIndexIsTheEffectiveNode: both kinds' node index is
// reconcile.EffectiveNode of the object's view, the same rule Decide and
// the observation use (a cached status.node wins, with or without cached
// disks); an object of another type is an error.
func TestNodeIndexIsTheEffectiveNode(t *testing.T) {
	f := newLegacyFixture(t, nil)
	for _, tc := range []struct {
		name        string
		statusNode  string
		statusDisks []string
		want        string
	}{
		{"before create: spec.node", "", nil, "spec-node"},
		{"created: status.node", "status-node", []string{"/dev/sdb"}, "status-node"},
		{"status.node without disks: status.node", "status-node", nil, "status-node"},
	} {
		dsp := newDiskPool("a", onNode("spec-node"))
		dsp.Status.Node, dsp.Status.Disks = tc.statusNode, tc.statusDisks
		msp := newMSP("m", func(m *v1alpha1.MayastorPool) {
			m.Spec.Node = "spec-node"
			m.Status.Node, m.Status.Disks = tc.statusNode, tc.statusDisks
		})
		for kind, item := range map[string]any{KindDiskPool: dsp, KindMayastorPool: msp} {
			got, err := f.c.kinds[kind].(interface{ nodeIndex(any) ([]string, error) }).nodeIndex(item)
			if err != nil || !slices.Equal(got, []string{tc.want}) {
				t.Errorf("%s: %s index = %v, %v; want %s", tc.name, kind, got, err, tc.want)
			}
			obj, ok := f.c.kinds[kind].Deleted(cache.DeletedFinalStateUnknown{Key: "storage/x", Obj: item})
			if !ok || reconcile.EffectiveNode(obj.view) != tc.want {
				t.Errorf("%s: %s tombstone converted %v, effective node %s; want %s", tc.name, kind, ok, reconcile.EffectiveNode(obj.view), tc.want)
			}
		}
	}
	if _, err := f.c.kinds[KindDiskPool].(*diskPoolKind).nodeIndex(newNode("x")); err == nil {
		t.Error("index func accepted a Node")
	}
}
