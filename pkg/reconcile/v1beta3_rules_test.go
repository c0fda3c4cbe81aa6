package reconcile

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

func deciderFor(obs Observation) decider {
	obs.Now = now
	return decider{obs: obs, obj: obs.Object, target: targetOf(obs.Object)}
}

func encrypted(o *v1beta3.DiskPool) {
	o.Spec.EncryptionConfig = &v1beta3.EncryptionConfig{Source: v1beta3.EncryptionSource{Secret: v1beta3.EncryptionSecret{Name: "pool-key"}}}
}

// TestEncryptionIsRefused: whatever the Secret and the node, nothing is
// asked of the node (no finalizer, no create) and nothing claims to be
// encrypted.
func TestEncryptionIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret SecretState
		node   NodeView
		reason string
		says   []string
	}{
		{"Secret missing", SecretMissing, ready, ReasonEncryptionSecretError, []string{`Secret "pool-key"`, "does not exist in namespace ns", "cannot encrypt", "nothing was written"}},
		{"Secret present", SecretPresent, ready, ReasonEncryptionUnsupported, []string{"cannot encrypt", "nothing was written to disks [/dev/sdb]", "without spec.encryptionConfig"}},
		{"Secret not looked up", SecretUnknown, ready, ReasonEncryptionUnsupported, []string{"cannot encrypt"}},
		{"no agent either", SecretPresent, missing, ReasonEncryptionUnsupported, []string{"cannot encrypt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := Decide(Observation{Object: object(encrypted), Node: tc.node, EncryptionSecret: tc.secret, Now: now})
			if plan.Action != ActionNone || plan.Create != nil {
				t.Fatalf("action %v %+v: want none", plan.Action, plan.Create)
			}
			if plan.Status == nil || !plan.Retry {
				t.Fatalf("plan %+v: want a status write and a retry", plan)
			}
			c := findReady(plan.Status)
			if c.Reason != tc.reason || c.Status != metav1.ConditionFalse {
				t.Errorf("Ready = %s %s, want False %s", c.Status, c.Reason, tc.reason)
			}
			for _, w := range tc.says {
				if !strings.Contains(c.Message, w) {
					t.Errorf("message %q does not say %q", c.Message, w)
				}
			}
			if eventReasons(plan.Events) != tc.reason {
				t.Errorf("events %s, want %s", eventReasons(plan.Events), tc.reason)
			}
			if plan.Status.Encrypted != nil && *plan.Status.Encrypted {
				t.Error("status says encrypted")
			}
			if plan.Status.CRState != v1beta3.CRStateCreating {
				t.Errorf("cr_state %s", plan.Status.CRState)
			}
			// Repeating the refusal writes nothing and records nothing.
			again := object(encrypted, func(o *v1beta3.DiskPool) { o.Status = *plan.Status })
			if next := Decide(Observation{Object: again, Node: tc.node, EncryptionSecret: tc.secret, Now: now}); next.Status != nil || len(next.Events) > 0 {
				t.Errorf("repeat: status %v events %v", next.Status, next.Events)
			}
		})
	}
}

func findReady(st *v1beta3.DiskPoolStatus) metav1.Condition {
	for _, c := range st.Conditions {
		if c.Type == v1beta3.ConditionReady {
			return c
		}
	}
	return metav1.Condition{}
}

func TestDeleteOptsStep(t *testing.T) {
	opts := func(v string) func(*v1beta3.DiskPool) { return annotated(v1beta3.DeleteOptsAnnotation, v) }
	replicas := func(n int) ReplicaCount { return ReplicaCount{Count: n, Known: true} }
	tests := []struct {
		name     string
		obj      *v1beta3.DiskPool
		node     NodeView
		replicas ReplicaCount
		// decides is false when the annotation leaves the delete as usual.
		decides bool
		action  Action
		reason  string // Ready reason written; "" = none
		events  string
		says    string
	}{
		{name: "no annotation: a normal delete", obj: object(withFinalizer, created, deleted), node: ready},
		{name: "empty value: a normal delete", obj: object(withFinalizer, created, deleted, opts("")), node: ready},
		{name: "accept keys without purge: a normal delete", obj: object(withFinalizer, created, deleted, opts("accept,accept-data-loss")), node: ready},
		{name: "purge=false: a normal delete", obj: object(withFinalizer, created, deleted, opts("purge=false")), node: ready},
		{name: "later key wins: purge then purge=false", obj: object(withFinalizer, created, deleted, opts("purge,purge=false")), node: missing},

		{name: "malformed: the delete waits, with its event", obj: object(withFinalizer, created, deleted, opts("Purge")), node: missing, decides: true,
			reason: ReasonInvalidDeleteOpts, events: ReasonInvalidDeleteOpts, says: `unknown key "Purge"`},
		{name: "malformed value", obj: object(withFinalizer, created, deleted, opts("purge=yes")), node: ready, decides: true,
			reason: ReasonInvalidDeleteOpts, events: ReasonInvalidDeleteOpts, says: `invalid value "yes"`},
		{name: "malformed, already reported: nothing new", obj: object(withFinalizer, created, deleted, opts("force"), func(o *v1beta3.DiskPool) {
			o.Status.CRState = v1beta3.CRStateTerminating
			o.Status.Conditions[0] = metav1.Condition{Type: v1beta3.ConditionReady, Status: metav1.ConditionFalse, Reason: ReasonInvalidDeleteOpts, ObservedGeneration: 1,
				Message: `annotation openebs.io/delete-opts="force" cannot be used: malformed delete options: unknown key "force" (valid keys: ` +
					`purge, accept, accept-volume-loss, accept-snapshot-loss, accept-data-loss, purge-accept-all); the delete waits until the annotation is fixed or removed (nothing was destroyed or purged)`,
				LastTransitionTime: metav1.NewTime(t0)}
			complete(&o.Status)
		}), node: missing, decides: true},

		{name: "purge with a working agent is refused", obj: object(withFinalizer, created, deleted, opts("purge")), node: ready, decides: true,
			reason: ReasonPurgeBlocked, events: ReasonPurgeBlocked, says: "has a working diskpool-agent"},
		{name: "purge-accept-all with a working agent is refused too", obj: object(withFinalizer, created, deleted, opts("purge-accept-all")), node: ready, decides: true,
			reason: ReasonPurgeBlocked, events: ReasonPurgeBlocked},
		{name: "purge while the agent's stream opens: wait", obj: object(withFinalizer, created, deleted, opts("purge")), node: syncing, decides: true},
		{name: "purge, no agent (Offline): let go", obj: object(withFinalizer, created, deleted, opts("purge")), node: missing, decides: true,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "purge while the agent's stream re-opens (grace): wait", obj: object(withFinalizer, created, deleted, opts("purge")), node: reconnecting, decides: true},
		{name: "purge, agent unreachable (Offline): let go", obj: object(withFinalizer, created, deleted, opts("purge=true")), node: unreachable, decides: true,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "purge, node gone: let go", obj: object(withFinalizer, created, deleted, opts("purge")), node: noNode, decides: true,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "purge, no replicas last reported: let go", obj: object(withFinalizer, created, deleted, opts("purge")), node: missing, replicas: replicas(0), decides: true,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "purge of a pool with replicas needs the accept keys", obj: object(withFinalizer, created, deleted, opts("purge")), node: missing, replicas: replicas(2), decides: true,
			reason: ReasonPurgeAcceptRequired, events: ReasonPurgeAcceptRequired, says: "held 2 replica(s)"},
		{name: "accept alone is not enough", obj: object(withFinalizer, created, deleted, opts("purge,accept")), node: missing, replicas: replicas(2), decides: true,
			reason: ReasonPurgeAcceptRequired, events: ReasonPurgeAcceptRequired},
		{name: "accept and volume loss: let go", obj: object(withFinalizer, created, deleted, opts("purge=true,accept=true,accept-volume-loss=true")), node: missing, replicas: replicas(2), decides: true,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "accept and data loss: let go", obj: object(withFinalizer, created, deleted, opts("purge=true,accept=true,accept-data-loss=true")), node: missing, replicas: replicas(2), decides: true,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "purge-accept-all: let go", obj: object(withFinalizer, created, deleted, opts("purge-accept-all")), node: missing, replicas: replicas(2), decides: true,
			action: ActionRemoveFinalizer, events: ReasonPurged},
		{name: "purge-accept-all with volume loss taken back", obj: object(withFinalizer, created, deleted, opts("purge-accept-all,accept-volume-loss=false")), node: missing, replicas: replicas(1), decides: true,
			reason: ReasonPurgeAcceptRequired, events: ReasonPurgeAcceptRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, decides := deciderFor(Observation{Object: tt.obj, Node: tt.node, LastReplicas: tt.replicas}).deleteOptsStep()
			if decides != tt.decides {
				t.Fatalf("decides = %v, want %v (plan %+v)", decides, tt.decides, plan)
			}
			if plan.Action != tt.action {
				t.Errorf("action = %v, want %v", plan.Action, tt.action)
			}
			if got := eventReasons(plan.Events); got != tt.events {
				t.Errorf("events = %q, want %q", got, tt.events)
			}
			if tt.reason == "" {
				if plan.Status != nil {
					t.Errorf("status written: %+v", plan.Status)
				}
				return
			}
			if plan.Status == nil {
				t.Fatal("no status written")
			}
			c := findReady(plan.Status)
			if c.Reason != tt.reason || c.Status != metav1.ConditionFalse || plan.Status.CRState != v1beta3.CRStateTerminating {
				t.Errorf("status %s, Ready %s %s; want Terminating, False %s", plan.Status.CRState, c.Status, c.Reason, tt.reason)
			}
			if !strings.Contains(c.Message, tt.says) {
				t.Errorf("message %q does not say %q", c.Message, tt.says)
			}
			if plan.Retry {
				t.Error("retry: the user's edit requeues the object")
			}
			checkPoolReady(t, plan.Status)
		})
	}
}

func TestExpansionStep(t *testing.T) {
	expand := func(v string) func(*v1beta3.DiskPool) { return annotated(v1beta3.ExpandAnnotation, v) }
	// recorded is a Created 1 GiB pool of this release with limit 2 GiB.
	recorded := func(o *v1beta3.DiskPool) {
		created(o)
		o.Spec.MaxExpansion = "2x"
		o.Status.Capacity, o.Status.Used, o.Status.Available, o.Status.Committed = 1020*mi, 0, 1020*mi, 0
		o.Status.ClusterSize, o.Status.DiskCapacity, o.Status.MaxExpandableSize, o.Status.Encrypted = "4Mi", "1Gi", "2Gi", new(bool)
		complete(&o.Status)
	}
	disk := func(size int64) PoolView { return sized(ourPool(PoolHealthOnline), 1020*mi, 0, size) }
	grown := disk(2 * gi)
	grown.FromExpand = true
	grown.Pool.Capacity = 2040 * mi
	expandErr := func(reason string) *AgentError {
		return &AgentError{Op: ActionExpandPool, Reason: reason, Message: "refused: " + reason}
	}
	tests := []struct {
		name    string
		obj     *v1beta3.DiskPool
		pool    PoolView
		lastErr *AgentError
		decides bool
		action  Action
		max     int64 // of the ExpandPool request
		events  string
		status  string // capacity_q written; "" = no status write
		retry   bool
		says    string
	}{
		{name: "not annotated: nothing to do", obj: object(withFinalizer, recorded), pool: disk(2 * gi)},
		{name: "not Created yet: the first report comes first", obj: object(withFinalizer, expand("true")), pool: disk(2 * gi)},
		{name: "grown within the limit: expand, capped at the limit", obj: object(withFinalizer, recorded, expand("true")), pool: disk(2 * gi), decides: true,
			action: ActionExpandPool, max: 2 * gi, status: "1020Mi"}, // the new disk size is written first
		{name: "the reply: new size, Expanded, annotation removed", obj: object(withFinalizer, recorded, expand("true")), pool: grown, decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonExpanded, status: "2040Mi", says: "grew to capacity 2040Mi"},
		{name: "beyond the limit: refused without asking the agent", obj: object(withFinalizer, recorded, expand("true")), pool: disk(3 * gi), decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonExpansionLimit, status: "1020Mi", says: "3Gi, beyond the pool's maxExpandableSize 2Gi"},
		{name: "not grown: the agent refuses, annotation removed", obj: object(withFinalizer, recorded, expand("true")), pool: disk(gi), lastErr: expandErr(ReasonDiskNotGrown), decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonDiskNotGrown, says: "refused: DiskNotGrown"},
		{name: "agent's own limit refusal", obj: object(withFinalizer, recorded, expand("true")), pool: disk(2 * gi), lastErr: expandErr(ReasonExpansionLimit), decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonExpansionLimit, status: "1020Mi"},
		{name: "other refusal", obj: object(withFinalizer, recorded, expand("true")), pool: disk(gi), lastErr: expandErr("Internal"), decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonExpansionRefused},
		{name: "agent away mid-call: retry, annotation kept", obj: object(withFinalizer, recorded, expand("true")), pool: disk(gi), lastErr: expandErr(ReasonAgentTimeout), decides: true,
			retry: true},
		{name: "a value other than true is refused", obj: object(withFinalizer, recorded, expand("yes")), pool: disk(gi), decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonExpansionRefused, says: `"yes" is not "true"`},
		{name: "agent does not report the disk size", obj: object(withFinalizer, recorded, expand("true")), pool: disk(0), decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonExpansionRefused, says: "does not report the size"},
		{name: "pool of an earlier release: limit from its capacity, so 1x never grows", obj: object(withFinalizer, previousRelease, expand("true")), pool: disk(gi), decides: true,
			action: ActionRemoveExpandAnnotation, events: ReasonExpansionLimit, says: "beyond the pool's maxExpandableSize 1020Mi (spec.maxExpansion unset: 1x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, decides := deciderFor(Observation{Object: tt.obj, Node: ready, Pool: tt.pool, LastError: tt.lastErr}).expansionStep()
			if decides != tt.decides {
				t.Fatalf("decides = %v, want %v (plan %+v)", decides, tt.decides, plan)
			}
			if plan.Action != tt.action || plan.Retry != tt.retry {
				t.Errorf("action %v retry %v, want %v %v", plan.Action, plan.Retry, tt.action, tt.retry)
			}
			if tt.action == ActionExpandPool {
				want := ExpandRequest{Node: "node-a", Name: "pool-a", OwnerUID: uid, MaxCapacity: tt.max}
				if plan.Expand == nil || *plan.Expand != want {
					t.Errorf("expand = %+v, want %+v", plan.Expand, want)
				}
			}
			if got := eventReasons(plan.Events); got != tt.events {
				t.Errorf("events = %q, want %q", got, tt.events)
			}
			if tt.says != "" && (len(plan.Events) == 0 || !strings.Contains(plan.Events[len(plan.Events)-1].Message, tt.says)) {
				t.Errorf("events %+v do not say %q", plan.Events, tt.says)
			}
			switch {
			case tt.status == "" && plan.Status != nil:
				t.Errorf("status written: %+v", plan.Status)
			case tt.status != "" && (plan.Status == nil || plan.Status.CapacityQ != tt.status):
				t.Errorf("status %+v, want capacity_q %s", plan.Status, tt.status)
			}
		})
	}
}

func TestCreateRequestCarriesTheClusterSize(t *testing.T) {
	for _, tc := range []struct {
		spec func(*v1beta3.DiskPool)
		want int64
	}{
		{func(*v1beta3.DiskPool) {}, 0},
		{func(o *v1beta3.DiskPool) { o.Spec.ClusterSize = "8MiB" }, 8 * mi},
		{func(o *v1beta3.DiskPool) { o.Spec.ClusterSizeSnake = "4MiB" }, 4 * mi},
		{func(o *v1beta3.DiskPool) { o.Spec.ClusterSizeSnake = "3MiB" }, 0},
	} {
		plan := Decide(Observation{Object: object(withFinalizer, tc.spec), Node: ready, Now: now})
		if plan.Action != ActionCreatePool || plan.Create.ClusterSize != tc.want {
			t.Errorf("plan %v %+v, want CreatePool with cluster size %d", plan.Action, plan.Create, tc.want)
		}
	}
}
