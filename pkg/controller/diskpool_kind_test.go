package controller

import (
	"testing"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// TestDiskPoolKindSeveralNamespaces: with one informer per watched
// namespace, Get and KeysOnNode look in all of them.
func TestDiskPoolKindSeveralNamespaces(t *testing.T) {
	client := fake.NewSimpleClientset()
	var infs []v1beta3informers.DiskPoolInformer
	for _, ns := range []string{"ns-a", "ns-b"} {
		f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
		infs = append(infs, f.Openebs().V1beta3().DiskPools())
	}
	k, err := newDiskPoolKind(client, infs)
	if err != nil {
		t.Fatal(err)
	}
	inNS := func(ns string) func(*v1beta3.DiskPool) { return func(d *v1beta3.DiskPool) { d.Namespace = ns } }
	for i, d := range []*v1beta3.DiskPool{newDiskPool("p1", inNS("ns-a")), newDiskPool("p2", inNS("ns-b"))} {
		if err := infs[i].Informer().GetIndexer().Add(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ns, name string
		ok       bool
	}{{"ns-a", "p1", true}, {"ns-b", "p2", true}, {"ns-a", "p2", false}} {
		obj, ok, err := k.Get(tc.ns, tc.name)
		if err != nil || ok != tc.ok || (ok && obj.view.Name != tc.name) {
			t.Errorf("Get(%s/%s) = %v, %v, %v", tc.ns, tc.name, obj.view, ok, err)
		}
	}
	names, err := k.KeysOnNode(testNode)
	if err != nil || len(names) != 2 {
		t.Errorf("KeysOnNode = %v, %v", names, err)
	}
	// A second adapter over the same informers reuses the index.
	if _, err := newDiskPoolKind(client, infs); err != nil {
		t.Errorf("second adapter: %v", err)
	}
	if _, err := newDiskPoolKind(client, nil); err == nil {
		t.Error("no informer accepted")
	}
}
