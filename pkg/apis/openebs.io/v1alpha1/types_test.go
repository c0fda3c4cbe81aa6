package v1alpha1

import (
	"reflect"
	"testing"

	"sigs.k8s.io/randfill"
)

func TestDeepCopyRoundTrip(t *testing.T) {
	f := randfill.NewWithSeed(1).NilChance(0.2).NumElements(0, 3)
	for i := range 200 {
		var in MayastorPool
		f.Fill(&in)
		out := in.DeepCopy()
		if !reflect.DeepEqual(&in, out) {
			t.Fatalf("iteration %d: deep copy differs", i)
		}
		if len(in.Status.Disks) > 0 {
			out.Status.Disks[0] += "-changed"
			if reflect.DeepEqual(in.Status.Disks, out.Status.Disks) {
				t.Fatalf("iteration %d: copy shares status.disks with the original", i)
			}
		}
	}
}
