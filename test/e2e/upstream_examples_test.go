package e2e

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestOpenEBSDocumentationExamples applies the DiskPools of OpenEBS's own
// documentation (pool expansion, SPDK blobstore cluster size, topology,
// disk URI schemes), with only namespace, node and disk adapted, through
// kubectl with its default (strict) field validation: each is accepted
// without a warning and reaches Created. Then the readable sizes, the
// PoolReady condition (kubectl wait) and kubectl explain are checked on
// them.
func TestOpenEBSDocumentationExamples(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct {
		name, version string
		// disk is the documented disk entry; %s is the disk's path.
		disk string
		// spec is the documented example's fields beyond node and disks.
		spec  string
		check func(t *testing.T, p *v1beta3.DiskPool)
	}{
		{"v1beta3 maxExpansion", "v1beta3", "%s", `  maxExpansion: "20x"
`, func(t *testing.T, p *v1beta3.DiskPool) {
			if p.Spec.MaxExpansion != "20x" {
				t.Errorf("spec.maxExpansion = %q", p.Spec.MaxExpansion)
			}
		}},
		{"v1beta3 cluster_size", "v1beta3", "%s", `  cluster_size: 4MiB
`, func(t *testing.T, p *v1beta3.DiskPool) {
			if p.Spec.ClusterSizeSnake != "4MiB" {
				t.Errorf("spec.cluster_size = %q", p.Spec.ClusterSizeSnake)
			}
		}},
		{"v1beta2 topology", "v1beta2", "%s", `  topology:
    labelled:
      topology-key: topology-value
`, func(t *testing.T, p *v1beta3.DiskPool) {
			if p.Spec.Topology == nil || p.Spec.Topology.Labelled["topology-key"] != "topology-value" {
				t.Errorf("spec.topology = %+v", p.Spec.Topology)
			}
		}},
		{"aio disk URI", "v1beta3", "aio://%s", "", func(t *testing.T, p *v1beta3.DiskPool) {
			if !strings.HasPrefix(p.Spec.Disks[0], "aio:///") {
				t.Errorf("spec.disks = %v", p.Spec.Disks)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := harness.UniqueName("doc-" + tc.name)
			disk := fmt.Sprintf(tc.disk, f.NewDisk("node-b"))
			manifest := fmt.Sprintf(diskPoolYAML, tc.version, name, f.NS, disk) + tc.spec
			out, errOut := f.mustKubectl(strings.NewReader(manifest), "apply", "-f", "-")
			if !strings.Contains(out, "diskpool.openebs.io/"+name+" created") {
				t.Errorf("kubectl apply: %q", out)
			}
			if strings.Contains(errOut, "unknown field") {
				t.Errorf("kubectl apply warns: %q", errOut)
			}
			p := f.WaitCreated(name)
			tc.check(t, p)
			// Readable sizes, computed from the byte fields in the same write.
			if p.Status.CapacityQ == "" || p.Status.CapacityQ != quantityOf(p.Status.Capacity) ||
				p.Status.UsedQ != quantityOf(p.Status.Used) || p.Status.AvailableQ != quantityOf(p.Status.Available) {
				t.Errorf("status sizes %d/%d/%d read %q/%q/%q", p.Status.Capacity, p.Status.Used, p.Status.Available,
					p.Status.CapacityQ, p.Status.UsedQ, p.Status.AvailableQ)
			}
			if p.Status.Encrypted == nil || *p.Status.Encrypted {
				t.Errorf("status.encrypted = %v, want false", p.Status.Encrypted)
			}
			if c := meta.FindStatusCondition(p.Status.Conditions, v1beta3.ConditionPoolReady); c == nil || c.Status != "True" || c.Reason != harness.ReadyReason(p) {
				t.Errorf("PoolReady = %+v, want True with Ready's reason %s", c, harness.ReadyReason(p))
			}
			f.mustKubectl(nil, "-n", f.NS, "wait", "--for=condition=PoolReady", "dsp/"+name, "--timeout=30s")
			got, _ := f.mustKubectl(nil, "-n", f.NS, "get", "dsp", name, "--no-headers", "-o", "custom-columns=C:.status.capacity_q")
			if strings.TrimSpace(got) != p.Status.CapacityQ {
				t.Errorf("kubectl get capacity_q = %q", got)
			}
			table, _ := f.mustKubectl(nil, "-n", f.NS, "get", "dsp", name)
			t.Logf("kubectl get dsp:\n%s", table)
			if !strings.Contains(table, "CAPACITY") || !strings.Contains(table, " "+p.Status.CapacityQ+" ") || strings.Contains(table, fmt.Sprint(p.Status.Capacity)) {
				t.Errorf("kubectl get dsp does not show the readable capacity %s (not %d):\n%s", p.Status.CapacityQ, p.Status.Capacity, table)
			}
		})
	}
	explain, _ := f.mustKubectl(nil, "explain", "diskpool.spec.maxExpansion")
	t.Logf("kubectl explain diskpool.spec.maxExpansion:\n%s", explain)
	for _, w := range []string{"maxExpansion", "factor", "binary unit", "Immutable"} {
		if !strings.Contains(explain, w) {
			t.Errorf("kubectl explain diskpool.spec.maxExpansion does not say %q:\n%s", w, explain)
		}
	}
}

// quantityOf is bytes as a Kubernetes quantity with a binary suffix.
func quantityOf(bytes int64) string {
	return resource.NewQuantity(bytes, resource.BinarySI).String()
}
