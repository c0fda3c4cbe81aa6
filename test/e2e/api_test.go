package e2e

import (
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestOlderAPIVersions applies DiskPools written for v1beta1 and v1beta2
// (as OpenEBS Mayastor users have them) with kubectl: they apply with the
// deprecation warning naming v1beta3, and the operator creates their pools.
func TestOlderAPIVersions(t *testing.T) {
	f := setup(t)
	for _, version := range []string{"v1beta1", "v1beta2"} {
		t.Run(version, func(t *testing.T) {
			disk := f.NewDisk("node-b")
			name := harness.UniqueName("api-" + version)
			manifest := fmt.Sprintf(diskPoolYAML, version, name, f.NS, disk)
			out, errOut := f.mustKubectl(strings.NewReader(manifest), "apply", "-f", "-")
			if !strings.Contains(out, "diskpool.openebs.io/"+name+" created") {
				t.Errorf("kubectl apply: %q", out)
			}
			want := fmt.Sprintf("Warning: openebs.io/%s DiskPool is deprecated; use openebs.io/v1beta3", version)
			if !strings.Contains(errOut, want) {
				t.Errorf("kubectl apply stderr %q lacks %q", errOut, want)
			}
			p := f.WaitCreated(name)
			if p.Spec.Node != "node-b" || len(p.Spec.Disks) != 1 || p.Spec.Disks[0] != disk {
				t.Errorf("read as v1beta3: spec %+v", p.Spec)
			}
			// Read back through the old version, status included.
			got, _ := f.mustKubectl(nil, "get", "diskpools."+version+".openebs.io", "-n", f.NS, name, "-o", "jsonpath={.apiVersion} {.status.cr_state} {.status.pool_status}")
			if got != "openebs.io/"+version+" Created Online" {
				t.Errorf("read as %s: %q", version, got)
			}
		})
	}
}

// TestNodeImmutable checks the CEL rule on spec.node: an edit is rejected
// with the rule's message, through kubectl and through the API.
func TestNodeImmutable(t *testing.T) {
	f := setup(t)
	name, disk, _ := f.CreatedPool("cel", "node-a")

	const message = "spec.node is immutable"
	_, errOut, err := f.kubectl(nil, "-n", f.NS, "patch", "dsp", name, "--type=merge", "-p", `{"spec":{"node":"node-b"}}`)
	if err == nil || !strings.Contains(errOut, message) {
		t.Errorf("kubectl patch spec.node: err %v, stderr %q; want a rejection saying %q", err, errOut, message)
	}

	p, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(f.Ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.Node = "node-b"
	_, err = f.Pools.OpenebsV1beta3().DiskPools(f.NS).Update(f.Ctx, p, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), message) {
		t.Errorf("update spec.node: %v; want Invalid saying %q", err, message)
	}
	p.Spec.Node = "node-a"
	p.Spec.Disks = []string{disk + "-other"}
	_, err = f.Pools.OpenebsV1beta3().DiskPools(f.NS).Update(f.Ctx, p, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.disks is immutable") {
		t.Errorf("update spec.disks: %v; want Invalid saying spec.disks is immutable", err)
	}
	if got := f.WaitCreated(name); got.Spec.Node != "node-a" {
		t.Errorf("node after rejected edits: %q", got.Spec.Node)
	}
}
