package inventory

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	"github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// TestOwnerIndex: the uids of cached DiskPools and MayastorPools are live
// until their objects are deleted; other uids never are.
func TestOwnerIndex(t *testing.T) {
	ctx := t.Context()
	dp := &v1beta3.DiskPool{ObjectMeta: metav1.ObjectMeta{Name: "dp", Namespace: ns, UID: liveUID}}
	msp := &v1alpha1.MayastorPool{ObjectMeta: metav1.ObjectMeta{Name: "msp", Namespace: ns, UID: goneUID}}
	client := fake.NewSimpleClientset(dp, msp)
	factory := externalversions.NewSharedInformerFactory(client, 0)
	owners, err := NewOwnerIndex(factory.Openebs().V1beta3().DiskPools().Informer(),
		factory.Openebs().V1alpha1().MayastorPools().Informer())
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	t.Cleanup(factory.Shutdown) // after t.Context is done
	if !cache.WaitForCacheSync(ctx.Done(), owners.HasSynced) {
		t.Fatal("caches did not sync")
	}
	for uid, want := range map[string]bool{liveUID: true, goneUID: true, "33333333-cccc-4ccc-8ccc-000000000003": false, "": false} {
		if got := owners.Live(uid); got != want {
			t.Errorf("Live(%q) = %v, want %v", uid, got, want)
		}
	}
	if err := client.OpenebsV1alpha1().MayastorPools(ns).Delete(ctx, "msp", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true,
		func(context.Context) (bool, error) { return !owners.Live(goneUID), nil })
	if err != nil {
		t.Errorf("the deleted MayastorPool's uid is still live: %v", err)
	}
	if !owners.Live(liveUID) {
		t.Error("the DiskPool's uid stopped being live")
	}
}
