package controller

import (
	"testing"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func expandAnnotated(d *v1beta3.DiskPool) {
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[v1beta3.ExpandAnnotation] = "true"
}

// An expansion costs one status write (the new size) and the annotation's
// removal; a refusal the same, without the call to the node.
func TestExpansionWritesStatusAndRemovesTheAnnotation(t *testing.T) {
	f := newFixture(t, newDiskPool("pool-a", func(d *v1beta3.DiskPool) { d.Spec.MaxExpansion = "4x" }), newNode(testNode))
	d := created(t, f)
	if d.Status.MaxExpandableSize != "40Gi" {
		t.Fatalf("maxExpandableSize = %q, want 40Gi (4x the 10Gi pool)", d.Status.MaxExpandableSize)
	}

	f.agents.updatePool(testNode, "pool-a", func(p *reconcile.Pool) { p.DiskCapacity = 20 << 30 })
	f.modify("pool-a", expandAnnotated)
	f.mustSync("pool-a")
	equal(t, "agent calls", f.agents.takeCalls(), []string{"ExpandPool node-a/pool-a 42949672960"})
	equal(t, "writes", f.writes(), []string{"update diskpools/status", "update diskpools"})
	equal(t, "events", f.events.take(), []string{"Normal " + reconcile.ReasonExpanded})
	d = f.refresh("pool-a")
	if _, ok := d.Annotations[v1beta3.ExpandAnnotation]; ok {
		t.Error("annotation still on the object")
	}
	if d.Status.Capacity != 20<<30 || d.Status.DiskCapacity != "20Gi" {
		t.Errorf("capacity = %d, diskCapacity %q; want 20Gi both", d.Status.Capacity, d.Status.DiskCapacity)
	}
	f.mustSync("pool-a")
	equal(t, "writes after", f.writes(), nil)

	// Beyond maxExpandableSize: refused before asking the node.
	f.agents.updatePool(testNode, "pool-a", func(p *reconcile.Pool) { p.DiskCapacity = 50 << 30 })
	f.modify("pool-a", expandAnnotated)
	f.mustSync("pool-a")
	equal(t, "agent calls", f.agents.takeCalls(), nil)
	equal(t, "writes", f.writes(), []string{"update diskpools/status", "update diskpools"})
	equal(t, "events", f.events.take(), []string{"Warning " + reconcile.ReasonExpansionLimit})
	d = f.refresh("pool-a")
	if _, ok := d.Annotations[v1beta3.ExpandAnnotation]; ok {
		t.Error("annotation still on the object after the refusal")
	}
	if d.Status.Capacity != 20<<30 {
		t.Errorf("capacity = %d after a refusal, want it unchanged", d.Status.Capacity)
	}
}

// The agent's refusal (the disk has not grown) removes the annotation with
// its reason.
func TestExpansionRefusedByTheAgent(t *testing.T) {
	f := newFixture(t, newDiskPool("pool-a", func(d *v1beta3.DiskPool) { d.Spec.MaxExpansion = "4x" }), newNode(testNode))
	created(t, f)
	f.agents.updatePool(testNode, "pool-a", func(p *reconcile.Pool) { p.DiskCapacity = 10 << 30 })
	f.modify("pool-a", expandAnnotated)
	f.mustSync("pool-a")
	equal(t, "agent calls", f.agents.takeCalls(), []string{"ExpandPool node-a/pool-a 42949672960"})
	equal(t, "events", f.events.take(), []string{"Warning " + reconcile.ReasonDiskNotGrown})
	if _, ok := f.refresh("pool-a").Annotations[v1beta3.ExpandAnnotation]; ok {
		t.Error("annotation still on the object")
	}
}
