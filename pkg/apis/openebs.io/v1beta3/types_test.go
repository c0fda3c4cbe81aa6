package v1beta3

import (
	"encoding/json"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/randfill"
)

func TestDeepCopyRoundTrip(t *testing.T) {
	f := randfill.NewWithSeed(1).NilChance(0.2).NumElements(0, 3)
	for i := range 200 {
		var in DiskPool
		f.Fill(&in)
		out := in.DeepCopy()
		if !reflect.DeepEqual(&in, out) {
			t.Fatalf("iteration %d: deep copy differs:\n%#v\n%#v", i, in, *out)
		}
		if len(in.Spec.Disks) > 0 {
			out.Spec.Disks[0] += "-changed"
			if reflect.DeepEqual(in.Spec.Disks, out.Spec.Disks) {
				t.Fatalf("iteration %d: copy shares spec.disks with the original", i)
			}
		}
	}
	var list DiskPoolList
	f.Fill(&list)
	if !reflect.DeepEqual(&list, list.DeepCopy()) {
		t.Fatal("DiskPoolList deep copy differs")
	}
}

// TestJSONFieldNames pins the wire names Mayastor manifests and scripts use.
func TestJSONFieldNames(t *testing.T) {
	in := DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: "pool-1", Namespace: "mayastor"},
		Spec: DiskPoolSpec{
			Node:     "node-a",
			Disks:    []string{"aio:///dev/sdb"},
			Topology: &PoolTopology{Labelled: map[string]LabelValue{"zone": "a"}},
		},
		Status: DiskPoolStatus{
			CRState: CRStateCreated, PoolStatus: PoolStatusOnline,
			Capacity: 100, Used: 10, Available: 90, Committed: 20,
			Node: "node-a", Disks: []string{"aio:///dev/sdb"}, ObservedGeneration: 1,
		},
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"cr_state", "pool_status", "capacity", "used", "available", "committed", "node", "disks", "observedGeneration"} {
		if _, ok := fields["status"][key]; !ok {
			t.Errorf("status has no %q in %s", key, raw)
		}
	}
	if _, ok := fields["spec"]["topology"].(map[string]any)["labelled"]; !ok {
		t.Errorf("spec.topology.labelled missing in %s", raw)
	}
	var back DiskPool
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, back) {
		t.Errorf("JSON round trip differs:\n%#v\n%#v", in, back)
	}
}
