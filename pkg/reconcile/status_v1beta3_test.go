package reconcile

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

const (
	mi = int64(1) << 20
	gi = int64(1) << 30
)

func TestQuantity(t *testing.T) {
	for _, tt := range []struct {
		bytes int64
		want  string
	}{
		{0, "0"},
		{1000, "1k"}, // exact: not a multiple of 1024, so a decimal suffix
		{1500, "1500"},
		{1069547520, "1020Mi"},
		{gi, "1Gi"},
		{4 * mi, "4Mi"},
		{3 * gi / 2, "1536Mi"},
		{5 << 40, "5Ti"},
	} {
		if got := quantity(tt.bytes); got != tt.want {
			t.Errorf("quantity(%d) = %q, want %q", tt.bytes, got, tt.want)
		}
	}
}

// sized is our pool as an agent of this release reports it.
func sized(v PoolView, capacity, used, disk int64) PoolView {
	v.Pool.Capacity, v.Pool.Used, v.Pool.Committed = capacity, used, used
	v.Pool.DiskCapacity, v.Pool.ClusterSize = disk, 4*mi
	return v
}

// previousRelease is the stored status of an Online pool of 1020Mi on a
// 1 GiB disk as the previous release wrote it: none of the new fields.
func previousRelease(o *v1beta3.DiskPool) {
	created(o)
	o.Status.Capacity, o.Status.Used, o.Status.Available, o.Status.Committed = 1020*mi, 0, 1020*mi, 0
}

func TestNewStatusFields(t *testing.T) {
	withMax := func(v string) func(*v1beta3.DiskPool) { return func(o *v1beta3.DiskPool) { o.Spec.MaxExpansion = v } }
	tests := []struct {
		name string
		obj  *v1beta3.DiskPool
		node NodeView
		pool PoolView
		// want is nil when no status is written.
		want *v1beta3.DiskPoolStatus
	}{
		{name: "upgrade: an object of the previous release, nothing changed: no write",
			obj: object(withFinalizer, previousRelease), node: ready, pool: sized(ourPool(PoolHealthOnline), 1020*mi, 0, gi)},
		{name: "upgrade: an old agent that reports no disk size: no write",
			obj: object(withFinalizer, previousRelease), node: ready, pool: sized(ourPool(PoolHealthOnline), 1020*mi, 0, 0)},
		{name: "upgrade, then a real change writes every new field",
			obj: object(withFinalizer, previousRelease), node: ready, pool: sized(ourPool(PoolHealthOnline), 1020*mi, 8*mi, gi),
			want: &v1beta3.DiskPoolStatus{CapacityQ: "1020Mi", UsedQ: "8Mi", AvailableQ: "1012Mi", ClusterSize: "4Mi",
				DiskCapacity: "1Gi", MaxExpandableSize: "1020Mi", Encrypted: new(bool)}},
		{name: "a new pool records its limit from the disk's size at creation",
			obj: object(withFinalizer, withMax("4x")), node: ready, pool: fromCreate(sized(ourPool(PoolHealthOnline), 1020*mi, 0, gi)),
			want: &v1beta3.DiskPoolStatus{CapacityQ: "1020Mi", UsedQ: "0", AvailableQ: "1020Mi", ClusterSize: "4Mi",
				DiskCapacity: "1Gi", MaxExpandableSize: "4Gi", Encrypted: new(bool)}},
		{name: "an absolute maxExpansion",
			obj: object(withFinalizer, withMax("200GiB")), node: ready, pool: fromCreate(sized(ourPool(PoolHealthOnline), 1020*mi, 0, gi)),
			want: &v1beta3.DiskPoolStatus{CapacityQ: "1020Mi", UsedQ: "0", AvailableQ: "1020Mi", ClusterSize: "4Mi",
				DiskCapacity: "1Gi", MaxExpandableSize: "200Gi", Encrypted: new(bool)}},
		{name: "no maxExpansion: no growth past the creation size",
			obj: object(withFinalizer), node: ready, pool: fromCreate(sized(ourPool(PoolHealthOnline), 1020*mi, 0, gi)),
			want: &v1beta3.DiskPoolStatus{CapacityQ: "1020Mi", UsedQ: "0", AvailableQ: "1020Mi", ClusterSize: "4Mi",
				DiskCapacity: "1Gi", MaxExpandableSize: "1Gi", Encrypted: new(bool)}},
		{name: "the recorded limit stays when the disk grows",
			obj: object(withFinalizer, withMax("4x"), previousRelease, func(o *v1beta3.DiskPool) {
				o.Status.CapacityQ, o.Status.UsedQ, o.Status.AvailableQ = "1020Mi", "0", "1020Mi"
				o.Status.ClusterSize, o.Status.DiskCapacity, o.Status.MaxExpandableSize, o.Status.Encrypted = "4Mi", "1Gi", "4Gi", new(bool)
				complete(&o.Status)
			}), node: ready, pool: sized(ourPool(PoolHealthOnline), 1020*mi, 0, 2*gi),
			want: &v1beta3.DiskPoolStatus{CapacityQ: "1020Mi", UsedQ: "0", AvailableQ: "1020Mi", ClusterSize: "4Mi",
				DiskCapacity: "2Gi", MaxExpandableSize: "4Gi", Encrypted: new(bool)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := Decide(Observation{Object: tt.obj, Node: tt.node, Pool: tt.pool, Now: now})
			if tt.want == nil {
				if plan.Status != nil {
					t.Fatalf("status written: %+v", plan.Status)
				}
				return
			}
			if plan.Status == nil {
				t.Fatal("no status written")
			}
			got := plan.Status
			if got.CapacityQ != tt.want.CapacityQ || got.UsedQ != tt.want.UsedQ || got.AvailableQ != tt.want.AvailableQ ||
				got.ClusterSize != tt.want.ClusterSize || got.DiskCapacity != tt.want.DiskCapacity ||
				got.MaxExpandableSize != tt.want.MaxExpandableSize || got.Encrypted == nil || *got.Encrypted {
				t.Errorf("status = q %s/%s/%s cluster %s disk %s max %s encrypted %v; want %+v", got.CapacityQ, got.UsedQ, got.AvailableQ,
					got.ClusterSize, got.DiskCapacity, got.MaxExpandableSize, got.Encrypted, *tt.want)
			}
			checkPoolReady(t, got)
			// The written status is stable: deciding again on it writes nothing.
			again := tt.obj.DeepCopy()
			again.Status = *got
			if next := Decide(Observation{Object: again, Node: tt.node, Pool: tt.pool, Now: now}); next.Status != nil {
				t.Errorf("second decide writes again: %+v", next.Status)
			}
		})
	}
}

// checkPoolReady checks that PoolReady mirrors Ready.
func checkPoolReady(t *testing.T, st *v1beta3.DiskPoolStatus) {
	t.Helper()
	r := meta.FindStatusCondition(st.Conditions, v1beta3.ConditionReady)
	p := meta.FindStatusCondition(st.Conditions, v1beta3.ConditionPoolReady)
	if r == nil || p == nil {
		t.Fatalf("conditions %+v: want Ready and PoolReady", st.Conditions)
	}
	mirror := *p
	mirror.Type = v1beta3.ConditionReady
	if mirror != *r {
		t.Errorf("PoolReady %+v does not mirror Ready %+v", *p, *r)
	}
}

// TestPoolReadyMirrorsReady covers the paths that write Ready: each writes
// PoolReady with the same status and reason.
func TestPoolReadyMirrorsReady(t *testing.T) {
	for _, tc := range []struct {
		name   string
		obs    Observation
		reason string
		status metav1.ConditionStatus
	}{
		{"online", Observation{Object: object(withFinalizer), Node: ready, Pool: fromCreate(ourPool(PoolHealthOnline))}, ReasonPoolOnline, metav1.ConditionTrue},
		{"faulted", Observation{Object: object(withFinalizer, created), Node: ready, Pool: ourPool(PoolHealthFaulted)}, ReasonPoolFaulted, metav1.ConditionFalse},
		{"no agent", Observation{Object: object(withFinalizer, created), Node: missing}, ReasonAgentUnavailable, metav1.ConditionFalse},
		{"unreachable", Observation{Object: object(withFinalizer, created), Node: unreachable}, ReasonAgentUnavailable, metav1.ConditionFalse},
		{"refused", Observation{Object: object(withFinalizer), Node: ready, LastError: createErr("DiskInUse")}, ReasonDiskInUse, metav1.ConditionFalse},
		{"destroy blocked", Observation{Object: object(withFinalizer, created, deleted), Node: ready, Pool: ourPool(PoolHealthOnline), LastError: destroyErr(ReasonPoolInUse)}, ReasonPoolInUse, metav1.ConditionFalse},
		{"terminating without agent", Observation{Object: object(withFinalizer, created, deleted), Node: missing}, ReasonAgentUnavailable, metav1.ConditionFalse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.obs.Now = now
			plan := Decide(tc.obs)
			if plan.Status == nil {
				t.Fatal("no status written")
			}
			checkPoolReady(t, plan.Status)
			p := meta.FindStatusCondition(plan.Status.Conditions, v1beta3.ConditionPoolReady)
			if p.Reason != tc.reason || p.Status != tc.status {
				t.Errorf("PoolReady = %s %s, want %s %s", p.Status, p.Reason, tc.status, tc.reason)
			}
		})
	}
}
