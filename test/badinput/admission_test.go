package badinput

import (
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestAdmissionRejects creates pool objects the CRD's OpenAPI schema and
// CEL rules must reject: each is refused as Invalid with the API server's
// message naming the field, and nothing is stored.
func TestAdmissionRejects(t *testing.T) {
	f := setup(t)
	disk := nodeDir("node-a") + "/disk-x"
	manyLabels := map[string]v1beta3.LabelValue{}
	for i := range 65 {
		manyLabels[fmt.Sprintf("k%d", i)] = "v"
	}
	f.admitsAll(t, "adm", []admissionCase{
		{"invalid name", func(p *v1beta3.DiskPool) { p.Name = "Bad_Name" },
			[]string{"metadata.name", "RFC 1123"}},
		{"name too long", func(p *v1beta3.DiskPool) { p.Name = strings.Repeat("a", 254) },
			[]string{"metadata.name", "must be no more than 253"}},
		{"no disks", func(p *v1beta3.DiskPool) { p.Spec.Disks = nil },
			[]string{"spec.disks"}},
		{"empty disks list", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{} },
			[]string{"spec.disks", "at least 1 item"}},
		{"two disks", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{disk, disk + "2"} },
			[]string{"spec.disks", "must have at most 1 item"}},
		{"relative path", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"dev/sdb"} },
			[]string{"spec.disks[0]", "should match"}},
		{"dot-dot segment", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"/dev/../etc/passwd"} },
			[]string{"spec.disks", "without . or .. segments"}},
		{"dot-dot in a URI", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"aio:///dev/disk/../../etc/shadow"} },
			[]string{"spec.disks", "without . or .. segments"}},
		{"dot segment", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"/dev/./sdb"} },
			[]string{"spec.disks", "without . or .. segments"}},
		{"unknown URI scheme", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"nvme:///dev/nvme0n1"} },
			[]string{"spec.disks[0]", "should match"}},
		{"whitespace in path", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"/dev/sd b"} },
			[]string{"spec.disks[0]", "should match"}},
		{"path too long", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"/" + strings.Repeat("d", 1100)} },
			[]string{"spec.disks[0]", "1024"}},
		{"invalid node name", func(p *v1beta3.DiskPool) { p.Spec.Node = "Node_A" },
			[]string{"spec.node", "should match"}},
		{"empty node", func(p *v1beta3.DiskPool) { p.Spec.Node = "" },
			[]string{"spec.node"}},
		{"topology key with a space", func(p *v1beta3.DiskPool) {
			p.Spec.Topology = &v1beta3.PoolTopology{Labelled: map[string]v1beta3.LabelValue{"bad key": "v"}}
		}, []string{"topology.labelled keys must be valid label keys"}},
		{"topology key with two slashes", func(p *v1beta3.DiskPool) {
			p.Spec.Topology = &v1beta3.PoolTopology{Labelled: map[string]v1beta3.LabelValue{"a/b/c": "v"}}
		}, []string{"topology.labelled keys must be valid label keys"}},
		{"topology value with a space", func(p *v1beta3.DiskPool) {
			p.Spec.Topology = &v1beta3.PoolTopology{Labelled: map[string]v1beta3.LabelValue{"zone": "a b"}}
		}, []string{"topology.labelled values must be valid label values"}},
		{"topology value too long", func(p *v1beta3.DiskPool) {
			p.Spec.Topology = &v1beta3.PoolTopology{Labelled: map[string]v1beta3.LabelValue{"zone": v1beta3.LabelValue(strings.Repeat("a", 64))}}
		}, []string{"spec.topology.labelled", "63"}},
		{"65 topology labels", func(p *v1beta3.DiskPool) {
			p.Spec.Topology = &v1beta3.PoolTopology{Labelled: manyLabels}
		}, []string{"spec.topology.labelled", "at most 64"}},
		{"huge object: 300 KiB annotation", func(p *v1beta3.DiskPool) {
			p.Annotations = map[string]string{"example.com/blob": strings.Repeat("x", 300<<10)}
		}, []string{"metadata.annotations", "Too long"}},
		{"status cr_state not in the enum", func(p *v1beta3.DiskPool) { p.Status.CRState = "Exploded" },
			nil}, // status is ignored on create: accepted, see below
	})
}

// TestImmutableFields edits spec.node and spec.disks of a Created pool:
// both are refused by their CEL rules with a message that says what to do,
// and the pool stays where it is.
func TestImmutableFields(t *testing.T) {
	f := setup(t)
	name, disk, before := f.CreatedPool("immutable", "node-a")
	for _, tc := range []struct {
		name   string
		mutate func(p *v1beta3.DiskPool)
		want   string
	}{
		{"node", func(p *v1beta3.DiskPool) { p.Spec.Node = "node-b" }, "spec.node is immutable: to move a pool, delete this DiskPool and create a new one"},
		{"disks", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{disk + "-other"} }, "spec.disks is immutable: to use other disks, delete this DiskPool and create a new one"},
		{"disks scheme", func(p *v1beta3.DiskPool) { p.Spec.Disks = []string{"aio://" + disk} }, "spec.disks is immutable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := before.DeepCopy()
			tc.mutate(p)
			_, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Update(f.Ctx, p, metav1.UpdateOptions{})
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("update: %v; want Invalid saying %q", err, tc.want)
			}
		})
	}
	after := f.WaitCreated(name)
	if after.Spec.Node != "node-a" || after.Spec.Disks[0] != disk || after.Status.PoolUUID != before.Status.PoolUUID {
		t.Errorf("after refused edits: spec %+v, uuid %s (was %s)", after.Spec, after.Status.PoolUUID, before.Status.PoolUUID)
	}
}

// TestLargeObjects creates objects at the limits the schema allows (64
// topology labels of 63-character values, a 250 KiB annotation): they are
// accepted and the operator creates their pools, the labels reaching the
// agent.
func TestLargeObjects(t *testing.T) {
	f := setup(t)
	labels := map[string]v1beta3.LabelValue{}
	for i := range 64 {
		labels[fmt.Sprintf("example.com/k%02d", i)] = v1beta3.LabelValue(strings.Repeat("v", 63))
	}
	name := harness.UniqueName("large")
	p := f.Pool(name, "node-b", f.NewDisk("node-b"))
	p.Spec.Topology = &v1beta3.PoolTopology{Labelled: labels}
	p.Annotations = map[string]string{"example.com/blob": strings.Repeat("x", 250<<10)}
	f.MustCreate(p)
	f.WaitCreated(name)
	got, err := harness.AgentClient(t, env, "node-b").GetPool(f.Ctx, getPool(name))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetLabels()) != 64 {
		t.Errorf("agent has %d pool labels, want 64", len(got.GetLabels()))
	}
}
