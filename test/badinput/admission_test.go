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

// TestAdmissionUpstreamFields creates pool objects with Mayastor's v1beta3
// fields set to values the CRD must refuse, and some it must accept; the
// API server's message names the field and says what is allowed.
func TestAdmissionUpstreamFields(t *testing.T) {
	f := setup(t)
	const (
		factorMsg  = "spec.maxExpansion must be a factor of at least 1x (such as 5x or 1.5x) or a size with a binary unit"
		clusterMsg = "must be a power of two from 1MiB to 64MiB"
	)
	f.admitsAll(t, "adm3", []admissionCase{
		{"factor below 1x", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "0.5x" }, []string{"spec.maxExpansion", factorMsg}},
		{"factor without a number", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "x" }, []string{factorMsg}},
		{"factor with a capital X", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "5X" }, []string{factorMsg}},
		{"size with a decimal unit", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "200GB" }, []string{factorMsg}},
		{"size without a unit", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "200" }, []string{factorMsg}},
		{"factor 1.5x", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "1.5x" }, nil},
		{"size 3.5TiB", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "3.5TiB" }, nil},
		{"both cluster size spellings", func(p *v1beta3.DiskPool) { p.Spec.ClusterSize, p.Spec.ClusterSizeSnake = "4MiB", "4MiB" },
			[]string{"give spec.clusterSize or spec.cluster_size, not both"}},
		{"cluster size not a power of two", func(p *v1beta3.DiskPool) { p.Spec.ClusterSize = "3MiB" }, []string{"spec.clusterSize", clusterMsg}},
		{"cluster_size of 6291456 bytes", func(p *v1beta3.DiskPool) { p.Spec.ClusterSizeSnake = "6291456" }, []string{"spec.cluster_size", clusterMsg}},
		{"cluster size below 1MiB", func(p *v1beta3.DiskPool) { p.Spec.ClusterSize = "512KiB" }, []string{clusterMsg}},
		{"cluster size above 64MiB", func(p *v1beta3.DiskPool) { p.Spec.ClusterSizeSnake = "128MiB" }, []string{clusterMsg}},
		{"cluster size with a decimal unit", func(p *v1beta3.DiskPool) { p.Spec.ClusterSize = "4MB" }, []string{clusterMsg}},
		{"cluster size 32MiB", func(p *v1beta3.DiskPool) { p.Spec.ClusterSizeSnake = "32MiB" }, nil},
		{"cluster size in bytes", func(p *v1beta3.DiskPool) { p.Spec.ClusterSize = "4194304" }, nil},
		{"encryption Secret without a name", func(p *v1beta3.DiskPool) { p.Spec.EncryptionConfig = &v1beta3.EncryptionConfig{} },
			[]string{"spec.encryptionConfig.source.secret.name"}},
	})
}

// TestUpstreamFieldsImmutable edits, adds and removes the new spec fields
// of stored objects: every edit is refused with a message that says to
// re-create, and the object is unchanged.
func TestUpstreamFieldsImmutable(t *testing.T) {
	f := setup(t)
	disk := nodeDir("node-a") + "/disk-x"
	secret := func(name string) *v1beta3.EncryptionConfig {
		return &v1beta3.EncryptionConfig{Source: v1beta3.EncryptionSource{Secret: v1beta3.EncryptionSecret{Name: name}}}
	}
	for _, tc := range []struct {
		name          string
		before, after func(p *v1beta3.DiskPool)
		want          string
	}{
		{"maxExpansion changed", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "2x" }, func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "20x" },
			"spec.maxExpansion is immutable once set: delete this DiskPool and create a new one"},
		{"maxExpansion added", func(*v1beta3.DiskPool) {}, func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "20x" },
			"spec.maxExpansion cannot be added or removed once the DiskPool exists: delete this DiskPool and create a new one"},
		{"maxExpansion removed", func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "2x" }, func(p *v1beta3.DiskPool) { p.Spec.MaxExpansion = "" },
			"spec.maxExpansion cannot be added or removed"},
		{"clusterSize changed", func(p *v1beta3.DiskPool) { p.Spec.ClusterSize = "4MiB" }, func(p *v1beta3.DiskPool) { p.Spec.ClusterSize = "8MiB" },
			"spec.clusterSize is immutable once set: delete this DiskPool and create a new one"},
		{"cluster_size changed", func(p *v1beta3.DiskPool) { p.Spec.ClusterSizeSnake = "4MiB" }, func(p *v1beta3.DiskPool) { p.Spec.ClusterSizeSnake = "4Mi" },
			"spec.cluster_size is immutable once set"},
		{"cluster size added", func(*v1beta3.DiskPool) {}, func(p *v1beta3.DiskPool) { p.Spec.ClusterSize = "4MiB" },
			"the cluster size cannot be added or removed once the DiskPool exists: delete this DiskPool and create a new one"},
		{"cluster size respelled", func(p *v1beta3.DiskPool) { p.Spec.ClusterSizeSnake = "4MiB" }, func(p *v1beta3.DiskPool) { p.Spec.ClusterSizeSnake, p.Spec.ClusterSize = "", "4MiB" },
			"the cluster size cannot be added or removed"},
		{"encryption Secret renamed", func(p *v1beta3.DiskPool) { p.Spec.EncryptionConfig = secret("a") }, func(p *v1beta3.DiskPool) { p.Spec.EncryptionConfig = secret("b") },
			"spec.encryptionConfig is immutable once set: delete this DiskPool and create a new one"},
		{"encryption removed", func(p *v1beta3.DiskPool) { p.Spec.EncryptionConfig = secret("a") }, func(p *v1beta3.DiskPool) { p.Spec.EncryptionConfig = nil },
			"spec.encryptionConfig cannot be added or removed"},
		{"encryption added", func(*v1beta3.DiskPool) {}, func(p *v1beta3.DiskPool) { p.Spec.EncryptionConfig = secret("a") },
			"spec.encryptionConfig cannot be added or removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// On a node that does not exist: the operator writes only
			// the NodeNotFound status, the spec stays as created.
			p := f.Pool(harness.UniqueName("imm3"), "no-such-node", disk)
			tc.before(p)
			stored := f.MustCreate(p)
			edited := stored.DeepCopy()
			tc.after(edited)
			var err error
			for range 5 { // the operator's status write may bump resourceVersion
				_, err = f.Pools.OpenebsV1beta3().DiskPools(f.NS).Update(f.Ctx, edited, metav1.UpdateOptions{})
				if !apierrors.IsConflict(err) {
					break
				}
				cur, gerr := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(f.Ctx, p.Name, metav1.GetOptions{})
				if gerr != nil {
					t.Fatal(gerr)
				}
				edited = cur.DeepCopy()
				tc.after(edited)
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("update: %v; want Invalid saying %q", err, tc.want)
			}
			after, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(f.Ctx, p.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if after.Spec.MaxExpansion != stored.Spec.MaxExpansion || after.Spec.ClusterSize != stored.Spec.ClusterSize ||
				after.Spec.ClusterSizeSnake != stored.Spec.ClusterSizeSnake || (after.Spec.EncryptionConfig == nil) != (stored.Spec.EncryptionConfig == nil) {
				t.Errorf("spec changed: %+v, was %+v", after.Spec, stored.Spec)
			}
		})
	}
}
