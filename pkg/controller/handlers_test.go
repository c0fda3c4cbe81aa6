package controller

import (
	"slices"
	"testing"

	"k8s.io/client-go/tools/cache"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
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

func TestEffectiveNode(t *testing.T) {
	d := newDiskPool("a", onNode("spec-node"))
	if got := EffectiveNode(d); got != "spec-node" {
		t.Errorf("before create: %q", got)
	}
	d.Status.Node = "status-node"
	if got := EffectiveNode(d); got != "status-node" {
		t.Errorf("after create: %q", got)
	}
	if _, err := diskPoolNodeIndexFunc(newNode("x")); err == nil {
		t.Error("index func accepted a Node")
	}
}
