package e2e

import (
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestExpansion grows the 1 GiB sparse disk of a pool with maxExpansion
// "4x" to 2 GiB and annotates openebs.io/expand: the pool grows to the
// disk, the annotation goes, an Expanded event says so. A second grow
// beyond maxExpandableSize (4 GiB) is refused with ExpansionLimit and
// changes nothing. An agent restart keeps the new size (it is in the
// label).
func TestExpansion(t *testing.T) {
	const node = "node-b"
	f := setup(t)
	disk := f.NewDisk(node)
	name := harness.UniqueName("expand")
	p := f.Pool(name, node, disk)
	p.Spec.MaxExpansion = "4x"
	f.MustCreate(p)
	created := f.WaitCreated(name)
	if created.Status.MaxExpandableSize != "4Gi" || created.Status.DiskCapacity != "1Gi" {
		t.Fatalf("created: maxExpandableSize %q, diskCapacity %q; want 4Gi, 1Gi", created.Status.MaxExpandableSize, created.Status.DiskCapacity)
	}
	before := created.Status.Capacity

	grow(t, disk, 2<<30)
	f.WaitPool(name, "reporting the grown disk", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool { return p.Status.DiskCapacity == "2Gi" })
	f.annotate(name, v1beta3.ExpandAnnotation, "true")
	grown := f.WaitPool(name, "expanded, annotation removed", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		_, annotated := p.Annotations[v1beta3.ExpandAnnotation]
		return !annotated && p.Status.Capacity > before
	})
	f.WaitEvent(name, "Normal", reconcile.ReasonExpanded)
	// The label and the cluster rounding take a little of the disk.
	if grown.Status.Capacity < 2<<30-64<<20 || grown.Status.Capacity > 2<<30 {
		t.Errorf("capacity after expansion %d, want the 2 GiB disk's size less its label", grown.Status.Capacity)
	}
	if q := resource.MustParse(grown.Status.CapacityQ); q.Value() != grown.Status.Capacity {
		t.Errorf("capacity_q %q does not say capacity %d", grown.Status.CapacityQ, grown.Status.Capacity)
	}
	t.Logf("Pool grew from %d to %d bytes", before, grown.Status.Capacity)

	grow(t, disk, 5<<30)
	f.WaitPool(name, "reporting the disk grown past the limit", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool { return p.Status.DiskCapacity == "5Gi" })
	f.annotate(name, v1beta3.ExpandAnnotation, "true")
	f.WaitEvent(name, "Warning", reconcile.ReasonExpansionLimit)
	refused := f.WaitPool(name, "annotation removed after the refusal", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		_, annotated := p.Annotations[v1beta3.ExpandAnnotation]
		return !annotated
	})
	if refused.Status.Capacity != grown.Status.Capacity {
		t.Errorf("capacity %d after a refused expansion, want %d unchanged", refused.Status.Capacity, grown.Status.Capacity)
	}

	if err := f.Env.StopAgent(node); err != nil {
		t.Fatal(err)
	}
	if err := f.Env.StartAgent(f.Ctx, node); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := f.callCtx()
	defer cancel()
	pool, err := f.agentClient(node).GetPool(ctx, &agentv1.GetPoolRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if int64(pool.GetCapacity()) != grown.Status.Capacity {
		t.Errorf("after an agent restart the pool has %d bytes, want %d", pool.GetCapacity(), grown.Status.Capacity)
	}
	back := f.WaitPool(name, "online after the restart", harness.ConvergeTimeout, harness.IsCreatedOnline)
	if back.Status.Capacity != grown.Status.Capacity {
		t.Errorf("status capacity %d after the restart, want %d", back.Status.Capacity, grown.Status.Capacity)
	}
}

// grow makes the sparse file disk size bytes long, as a resized LUN.
func grow(t *testing.T, disk string, size int64) {
	t.Helper()
	if err := os.Truncate(disk, size); err != nil {
		t.Fatal(err)
	}
}
