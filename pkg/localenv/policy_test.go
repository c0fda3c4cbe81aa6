package localenv

import (
	"context"
	"slices"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
)

// TestFinalizerPolicy installs the project's manifests on a real API
// server and checks manifests/base/finalizer-policy.yaml: new DiskPools and
// MayastorPools carry the finalizer, once, next to the user's own; an
// update never puts back a removed finalizer; a delete is left alone (a
// pool with the finalizer waits for it, one without goes at once).
func TestFinalizerPolicy(t *testing.T) {
	c := localclustertest.Start(t, localcluster.Options{UnsafeNoFsync: true})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	const ns = "storage"
	if err := applyProject(ctx, c.RESTConfig(), root, []string{ns}, true); err != nil {
		t.Fatal(err)
	}
	client, err := versioned.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	pools := client.OpenebsV1beta3().DiskPools(ns)
	newPool := func(name string, finalizers ...string) *v1beta3.DiskPool {
		t.Helper()
		d, err := pools.Create(ctx, &v1beta3.DiskPool{
			ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: finalizers},
			Spec:       v1beta3.DiskPoolSpec{Node: "node-a", Disks: []string{"/dev/sdb"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("DiskPool", func(t *testing.T) {
		d := newPool("plain")
		if !slices.Equal(d.Finalizers, []string{v1beta3.Finalizer}) {
			t.Errorf("finalizers %v, want [%s]", d.Finalizers, v1beta3.Finalizer)
		}
	})
	t.Run("MayastorPool", func(t *testing.T) {
		m, err := client.OpenebsV1alpha1().MayastorPools(ns).Create(ctx, &v1alpha1.MayastorPool{
			ObjectMeta: metav1.ObjectMeta{Name: "legacy"},
			Spec:       v1alpha1.MayastorPoolSpec{Node: "node-a", Disks: []string{"/dev/sdc"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Finalizers, []string{v1beta3.Finalizer}) {
			t.Errorf("finalizers %v, want [%s]", m.Finalizers, v1beta3.Finalizer)
		}
	})
	t.Run("others kept, ours once", func(t *testing.T) {
		d := newPool("with-others", "example.com/keep", v1beta3.Finalizer)
		if !slices.Equal(d.Finalizers, []string{"example.com/keep", v1beta3.Finalizer}) {
			t.Errorf("finalizers %v", d.Finalizers)
		}
		d = newPool("with-another", "example.com/keep")
		if !slices.Equal(d.Finalizers, []string{"example.com/keep", v1beta3.Finalizer}) {
			t.Errorf("finalizers %v", d.Finalizers)
		}
	})
	t.Run("an update does not put it back", func(t *testing.T) {
		d := newPool("removed")
		d.Finalizers = nil
		d, err := pools.Update(ctx, d, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Finalizers) != 0 {
			t.Errorf("finalizers after removing ours: %v", d.Finalizers)
		}
		d.Labels = map[string]string{"edited": "yes"}
		if d, err = pools.Update(ctx, d, metav1.UpdateOptions{}); err != nil || len(d.Finalizers) != 0 {
			t.Errorf("finalizers after another update: %v (%v)", d.Finalizers, err)
		}
	})
	t.Run("delete waits for the finalizer", func(t *testing.T) {
		newPool("deleted")
		if err := pools.Delete(ctx, "deleted", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		d, err := pools.Get(ctx, "deleted", metav1.GetOptions{})
		if err != nil || d.DeletionTimestamp == nil || !slices.Equal(d.Finalizers, []string{v1beta3.Finalizer}) {
			t.Fatalf("after delete: %v, finalizers %v, deletionTimestamp %v", err, d.Finalizers, d.DeletionTimestamp)
		}
		d.Finalizers = nil
		if _, err := pools.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := pools.Get(ctx, "deleted", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("after the finalizer's removal: %v, want NotFound", err)
		}
	})
	t.Run("a delete without the finalizer is immediate", func(t *testing.T) {
		d := newPool("unprotected")
		d.Finalizers = nil
		if _, err := pools.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pools.Delete(ctx, "unprotected", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := pools.Get(ctx, "unprotected", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("after delete: %v, want NotFound", err)
		}
	})
}
