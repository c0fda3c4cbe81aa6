package controller

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

var managed = []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}

func TestStripManagedFields(t *testing.T) {
	d := newDiskPool("a")
	d.ManagedFields = managed
	out, err := StripManagedFields(d)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(*v1beta3.DiskPool); got.ManagedFields != nil || got.Spec.Node != testNode {
		t.Errorf("transformed = %+v", got)
	}
	// Tombstones are not objects with metadata: passed through.
	tomb := cache.DeletedFinalStateUnknown{Key: "a"}
	if out, err := StripManagedFields(tomb); err != nil || out != any(tomb) {
		t.Errorf("tombstone: %v, %v", out, err)
	}
}

func TestNodeMetadataOnly(t *testing.T) {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"zone": "a"}, ManagedFields: managed},
		Spec:       corev1.NodeSpec{PodCIDR: "10.0.0.0/24"},
		Status:     corev1.NodeStatus{Images: []corev1.ContainerImage{{Names: []string{"big"}}}},
	}
	out, err := NodeMetadataOnly(n)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.Node)
	if got.Name != "n" || got.Labels["zone"] != "a" || got.ManagedFields != nil || got.Spec.PodCIDR != "" || len(got.Status.Images) != 0 {
		t.Errorf("transformed node = %+v", got)
	}
}
