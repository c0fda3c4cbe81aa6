package localenv

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

func TestRender(t *testing.T) {
	out, err := Render([]byte("disks: [${DISK_ROOT}/node-a/disk-0]\nns: $NAMESPACE\n"), map[string]string{"DISK_ROOT": "/d", "NAMESPACE": "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "disks: [/d/node-a/disk-0]\nns: demo\n"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
	if _, err := Render([]byte("${DISK_ROOT} ${NOPE} ${NOPE}"), map[string]string{"DISK_ROOT": "/d"}); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("unknown variable: err = %v", err)
	}
}

// TestSamplesRender renders the shipped local samples and parses them.
func TestSamplesRender(t *testing.T) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := RenderSamples(root, t.TempDir(), map[string]string{"NAMESPACE": "diskpool-demo", "DISK_ROOT": "/tmp/disks", "NODES": "node-a node-b"})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := localcluster.ReadManifests(files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatal("no sample objects")
	}
	for _, o := range objs {
		if o.GetKind() != "DiskPool" || o.GetNamespace() != "diskpool-demo" {
			t.Errorf("sample %s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
		}
		disks, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "disks")
		for _, d := range disks {
			if !strings.HasPrefix(d, "/tmp/disks/") {
				t.Errorf("sample %s disk %q is not under DISK_ROOT", o.GetName(), d)
			}
		}
	}
}
