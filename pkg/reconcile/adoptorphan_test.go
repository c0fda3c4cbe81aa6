package reconcile

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

func TestAdoptOrphan(t *testing.T) {
	orphan := foreign() // owner uid someone-else, no live object (Owner "")
	owned := foreign()
	owned.Owner = "DiskPool other/pool-a"
	adopt := annotated(v1beta3.AdoptOrphanAnnotation, "uuid-1")
	tests := []struct {
		name    string
		obj     *v1beta3.DiskPool
		pool    PoolView
		last    *AgentError
		action  Action
		adoptOf string
		refused string // in the Ready message
	}{
		{"an orphan: finalizer first", object(adopt), orphan, nil, ActionAddFinalizer, "", ""},
		{"an orphan: adopted from its former owner", object(withFinalizer, adopt), orphan, nil, ActionCreatePool, "someone-else", ""},
		{"a live owner's pool: refused", object(withFinalizer, adopt), owned, nil, ActionNone, "", "is not an orphan: DiskPool other/pool-a owns it"},
		{"another uuid: refused", object(withFinalizer, annotated(v1beta3.AdoptOrphanAnnotation, "uuid-2")), orphan, nil, ActionNone, "", "has uuid uuid-1, not uuid-2"},
		{"no pool: refused, never a fresh pool", object(withFinalizer, adopt), PoolView{}, nil, ActionNone, "", "nothing was created"},
		{"a failed adoption is reported, not retried in the sync", object(withFinalizer, adopt), orphan,
			&AgentError{Reason: ReasonPoolFaulted, Message: "pool pool-a is faulted"}, ActionNone, "", "faulted"},
		{"already ours: reported as usual", object(withFinalizer, adopt), ourPool(PoolHealthOnline), nil, ActionNone, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := Decide(Observation{Object: tt.obj, Node: ready, Pool: tt.pool, LastError: tt.last, Now: now})
			if plan.Action != tt.action {
				t.Fatalf("action = %v, want %v (plan %+v)", plan.Action, tt.action, plan)
			}
			if tt.adoptOf != "" && (plan.Create == nil || plan.Create.AdoptOwnerUID != tt.adoptOf) {
				t.Errorf("create = %+v, want adopting from %s", plan.Create, tt.adoptOf)
			}
			if tt.refused == "" {
				return
			}
			if plan.Status == nil {
				t.Fatal("no status for a refusal")
			}
			c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady)
			if c == nil || !strings.Contains(c.Message, tt.refused) || !plan.Retry {
				t.Errorf("Ready = %+v, retry %v; want a message with %q", c, plan.Retry, tt.refused)
			}
			if tt.last == nil && c.Reason != ReasonAdoptRefused {
				t.Errorf("reason = %s, want %s", c.Reason, ReasonAdoptRefused)
			}
		})
	}
}
