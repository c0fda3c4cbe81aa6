package migrate

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// TestMayastorPoolBeingDeletedIsSkipped: a MayastorPool already being
// deleted when the run starts is left to its deletion (docs/migration.md):
// no DiskPool is created for it and the run neither deletes nor changes
// it, while the others are migrated.
func TestMayastorPoolBeingDeletedIsSkipped(t *testing.T) {
	deleting := msp("a")
	deleting.DeletionTimestamp = &metav1.Time{}
	deleting.Finalizers = []string{"openebs.io/diskpool-protection"}
	client := fake.NewSimpleClientset(deleting, msp("b"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	operator(ctx, t, client)

	res, out, err := run(t, client, Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if strings.Join(res.Skipped, ",") != "a" || strings.Join(res.Migrated, ",") != "b" {
		t.Fatalf("skipped %v, migrated %v, want [a] and [b]\n%s", res.Skipped, res.Migrated, out)
	}
	if !strings.Contains(out, "mayastor/a: skipped: it is being deleted") {
		t.Errorf("output does not say why a was skipped:\n%s", out)
	}
	if _, err := client.OpenebsV1beta3().DiskPools("mayastor").Get(ctx, "a", metav1.GetOptions{}); err == nil {
		t.Error("a DiskPool was created for the MayastorPool being deleted")
	}
	for _, a := range client.Actions() {
		if a.GetResource().Resource != "mayastorpools" {
			continue
		}
		if d, ok := a.(k8stesting.DeleteAction); ok && d.GetName() == "a" {
			t.Error("the run deleted MayastorPool a")
		}
		if u, ok := a.(k8stesting.UpdateAction); ok {
			if m, err := meta.Accessor(u.GetObject()); err == nil && m.GetName() == "a" {
				t.Errorf("the run made a %s of MayastorPool a", a.GetVerb())
			}
		}
	}
	got, err := client.OpenebsV1alpha1().MayastorPools("mayastor").Get(ctx, "a", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("MayastorPool a: %v", err)
	}
	if len(got.Finalizers) != 1 || got.DeletionTimestamp == nil {
		t.Errorf("MayastorPool a: finalizers %v, deleting %v; want it as it was", got.Finalizers, got.DeletionTimestamp != nil)
	}
}

// TestMayastorPoolBeingDeletedAfterHandOverIsMigrated: the exception, a
// MayastorPool an earlier run handed over and then deleted (interrupted
// after step 3): the next run finishes it instead of skipping it.
func TestMayastorPoolBeingDeletedAfterHandOverIsMigrated(t *testing.T) {
	deleting := msp("a")
	deleting.DeletionTimestamp = &metav1.Time{}
	deleting.Finalizers = []string{"openebs.io/diskpool-protection"}
	adopted := &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "mayastor",
			Annotations: map[string]string{v1beta3.AdoptPoolOwnerAnnotation: string(deleting.UID)}},
		Spec:   v1beta3.DiskPoolSpec{Node: "node1", Disks: []string{"/dev/a"}},
		Status: v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolUUID: "pool-a"},
	}
	client := fake.NewSimpleClientset(deleting, adopted)
	res, out, err := run(t, client, Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if strings.Join(res.Migrated, ",") != "a" || len(res.Skipped) != 0 {
		t.Fatalf("migrated %v, skipped %v, want [a] and none\n%s", res.Migrated, res.Skipped, out)
	}
}
