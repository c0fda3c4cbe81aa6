package reconcile

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// TestEveryAgentReasonHasAnOutcome ties the agent's reasons (the proto's
// ErrorReason names, which pkg/poolerr's constants are) and the pool
// client's transport reasons to the state machine: each one is listed
// explicitly for both calls, so a new agent reason cannot fall through to
// a generic failure unnoticed, and each maps to a Ready reason Decide
// writes.
func TestEveryAgentReasonHasAnOutcome(t *testing.T) {
	readyReasons := map[string]bool{}
	for _, r := range []string{ReasonDiskNotFound, ReasonDiskInUse, ReasonForeignPool, ReasonDiskClaimed,
		ReasonPoolNameTaken, ReasonPoolDisksMismatch, ReasonDiskNotAllowed, ReasonInvalidSpec,
		ReasonCreateFailed, ReasonAgentUnavailable, ReasonPoolInUse, ReasonDestroyFailed} {
		readyReasons[r] = true
	}
	agentReasons := []string{ReasonAgentUnavailable, ReasonAgentTimeout, ""}
	for v, name := range agentv1.ErrorReason_name {
		if v != int32(agentv1.ErrorReason_ERROR_REASON_UNSPECIFIED) {
			agentReasons = append(agentReasons, name)
		}
	}
	for _, r := range agentReasons {
		reason, recheck, known := createOutcome(r)
		if !known {
			t.Errorf("CreatePool: agent reason %q has no outcome", r)
		}
		if !readyReasons[reason] {
			t.Errorf("CreatePool: agent reason %q maps to %q, not a Ready reason", r, reason)
		}
		if recheck && (r == ReasonAgentUnavailable || r == ReasonAgentTimeout || reason == ReasonCreateFailed) {
			t.Errorf("CreatePool: %q is rechecked at a fixed interval; only refusals are", r)
		}
		reason, known = destroyOutcome(r)
		if !known {
			t.Errorf("DestroyPool: agent reason %q has no outcome", r)
		}
		if !readyReasons[reason] {
			t.Errorf("DestroyPool: agent reason %q maps to %q, not a Ready reason", r, reason)
		}
	}
	if _, _, known := createOutcome("FromTheFuture"); known {
		t.Error("an unknown reason is listed")
	}
}

// TestRefusalsAreRecheckedWithoutWrites: a create refusal the admin fixes
// on the node is looked at again after RecheckAfter, not with a backoff
// that grows to minutes; when the refusal repeats, the look writes nothing
// and records no event. Transient failures keep the backoff.
func TestRefusalsAreRecheckedWithoutWrites(t *testing.T) {
	for _, tc := range []struct {
		reason  string
		recheck bool
	}{
		{"DiskInUse", true},
		{"DiskNotFound", true},
		{"DiskNotAllowed", true},
		{ReasonAgentUnavailable, false},
		{ReasonAgentTimeout, false},
		{"Internal", false},
	} {
		first := Decide(Observation{Object: object(withFinalizer), Node: ready, LastError: createErr(tc.reason), Now: now})
		if first.Status == nil || len(first.Events) != 1 {
			t.Fatalf("%s: first refusal %+v, want a status write and an event", tc.reason, first)
		}
		if got := first.RequeueAfter == RecheckAfter && !first.Retry; got != tc.recheck {
			t.Errorf("%s: retry %v, requeueAfter %v; want a recheck: %v", tc.reason, first.Retry, first.RequeueAfter, tc.recheck)
		}
		if !tc.recheck && !first.Retry {
			t.Errorf("%s: no backoff retry", tc.reason)
		}
		stored := object(withFinalizer, func(o *v1beta3.DiskPool) { o.Status = *first.Status })
		again := Decide(Observation{Object: stored, Node: ready, LastError: createErr(tc.reason), Now: now.Add(RecheckAfter)})
		if again.Status != nil || len(again.Events) != 0 {
			t.Errorf("%s: repeated refusal writes %+v, events %v; want nothing", tc.reason, again.Status, again.Events)
		}
		if again.Retry != first.Retry || again.RequeueAfter != first.RequeueAfter {
			t.Errorf("%s: repeated refusal plan %+v differs from the first's retry", tc.reason, again)
		}
	}
}

// TestDiskClaimedNamesTheHolder: a DiskClaimed refusal names the object
// whose pool holds the disk when the observation knows it.
func TestDiskClaimedNamesTheHolder(t *testing.T) {
	obs := Observation{Object: object(withFinalizer), Node: ready, LastError: createErr("DiskClaimed"), Now: now,
		DiskHolders: map[string]string{"/dev/sdb": "DiskPool ns/other"}}
	plan := Decide(obs)
	c := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionReady)
	if c == nil || c.Reason != ReasonDiskClaimed || c.Message != "refused: DiskClaimed; disk /dev/sdb is held by the pool of DiskPool ns/other" {
		t.Errorf("Ready = %+v", c)
	}
}

// TestEffectiveNode: the cached status.node once set (with or without
// cached disks), spec.node before.
func TestEffectiveNode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status v1beta3.DiskPoolStatus
		want   string
	}{
		{"no status: the spec", v1beta3.DiskPoolStatus{}, "node-a"},
		{"cached node and disks", v1beta3.DiskPoolStatus{Node: "node-s", Disks: []string{"/dev/sdc"}}, "node-s"},
		{"cached node without disks", v1beta3.DiskPoolStatus{Node: "node-s"}, "node-s"},
	} {
		obj := object(func(o *v1beta3.DiskPool) { o.Status = tc.status })
		if got := EffectiveNode(obj); got != tc.want {
			t.Errorf("%s: EffectiveNode = %s, want %s", tc.name, got, tc.want)
		}
		if got := targetOf(obj).node; got != tc.want {
			t.Errorf("%s: Decide's target node = %s, want %s", tc.name, got, tc.want)
		}
	}
}
