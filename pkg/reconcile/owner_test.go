package reconcile

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// TestPoolNameTakenNamesTheOwner: when the controller knows which object
// owns the pool that holds the name, the refusal says so; without it, the
// message still gives the owner's uid.
func TestPoolNameTakenNamesTheOwner(t *testing.T) {
	for _, tc := range []struct {
		owner string
		want  string
	}{
		{"DiskPool storage/pool-a", "owned by DiskPool storage/pool-a (uid someone-else)"},
		{"", "owned by another object (uid someone-else)"},
	} {
		pool := foreign()
		pool.Owner = tc.owner
		plan := Decide(Observation{Object: object(withFinalizer), Node: ready, Pool: pool, Now: now})
		if plan.Action != ActionNone || !plan.Retry || plan.Status == nil {
			t.Fatalf("owner %q: plan %+v, want a refusal and no side effect", tc.owner, plan)
		}
		c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady)
		if c == nil || c.Reason != ReasonPoolNameTaken || !strings.Contains(c.Message, tc.want) {
			t.Errorf("owner %q: Ready = %+v, want %s with %q", tc.owner, c, ReasonPoolNameTaken, tc.want)
		}
	}
}
