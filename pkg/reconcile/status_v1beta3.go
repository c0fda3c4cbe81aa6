package reconcile

import (
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// The status fields of this file were added after the first release. An
// object stored by that release has none of them, and filling them in is
// no reason to write: an operator upgrade would otherwise rewrite every
// object at once. So they are compared only once they have been written;
// the first write for another reason writes them too.

// quantity renders bytes as a Kubernetes quantity with a binary suffix
// (1069547520 is "1020Mi"); exact, so scripts may parse it back.
func quantity(bytes int64) string {
	return resource.NewQuantity(bytes, resource.BinarySI).String()
}

// complete fills the fields derived from the rest of st: the readable
// sizes, and PoolReady as a copy of Ready.
func complete(st *v1beta3.DiskPoolStatus) {
	st.CapacityQ, st.UsedQ, st.AvailableQ = quantity(st.Capacity), quantity(st.Used), quantity(st.Available)
	conds := slices.DeleteFunc(slices.Clone(st.Conditions), func(c metav1.Condition) bool { return c.Type == v1beta3.ConditionPoolReady })
	if r := meta.FindStatusCondition(conds, v1beta3.ConditionReady); r != nil {
		mirror := *r
		mirror.Type = v1beta3.ConditionPoolReady
		conds = append(conds, mirror)
	}
	st.Conditions = conds
}

// setPoolDetails records what the agent reports of the pool beyond its
// sizes: cluster size, disk size, never encrypted, and the expansion limit
// (recorded once, then carried over; see maxExpandable).
func (d decider) setPoolDetails(st *v1beta3.DiskPoolStatus) {
	p := d.obs.Pool.Pool
	if p.ClusterSize > 0 {
		st.ClusterSize = quantity(p.ClusterSize)
	}
	if p.DiskCapacity > 0 {
		st.DiskCapacity = quantity(p.DiskCapacity)
	}
	encrypted := false
	st.Encrypted = &encrypted
	if st.MaxExpandableSize == "" {
		if limit := d.maxExpandable(); limit > 0 {
			st.MaxExpandableSize = quantity(limit)
		}
	}
}

// maxExpandable is the largest disk size the pool may grow to, in bytes (0:
// not known). Once recorded in status it never changes. Before that, it
// is spec.maxExpansion applied to the disk's size when the pool comes from
// a CreatePool of this sync (its creation or import); for a pool reported
// by the stream (created by an earlier release, whose disk may have grown
// since) to the pool's capacity, which is below the disk's size at
// creation: such a pool may grow by the factor, never past it.
func (d decider) maxExpandable() int64 {
	if q, err := resource.ParseQuantity(d.obj.Status.MaxExpandableSize); err == nil && d.obj.Status.MaxExpandableSize != "" {
		return q.Value()
	}
	p := d.obs.Pool.Pool
	initial := p.Capacity
	if d.obs.Pool.FromCreate && p.DiskCapacity > 0 {
		initial = p.DiskCapacity
	}
	if initial <= 0 {
		return 0
	}
	m, err := v1beta3.ParseMaxExpansion(d.obj.Spec.MaxExpansion)
	if err != nil {
		// Admission refuses such a value; if one is stored anyway (an older
		// CRD), it means no growth.
		m = v1beta3.DefaultMaxExpansion
	}
	return m.Limit(initial)
}

// sameStatus reports whether desired differs from stored in nothing but
// fields stored never had (see the top of this file).
func sameStatus(stored, desired v1beta3.DiskPoolStatus) bool {
	d := *desired.DeepCopy()
	keep := func(field *string, old string) {
		if old == "" {
			*field = ""
		}
	}
	keep(&d.CapacityQ, stored.CapacityQ)
	keep(&d.UsedQ, stored.UsedQ)
	keep(&d.AvailableQ, stored.AvailableQ)
	keep(&d.ClusterSize, stored.ClusterSize)
	keep(&d.DiskCapacity, stored.DiskCapacity)
	keep(&d.MaxExpandableSize, stored.MaxExpandableSize)
	if stored.Encrypted == nil {
		d.Encrypted = nil
	}
	if meta.FindStatusCondition(stored.Conditions, v1beta3.ConditionPoolReady) == nil {
		d.Conditions = slices.DeleteFunc(d.Conditions, func(c metav1.Condition) bool { return c.Type == v1beta3.ConditionPoolReady })
	}
	return statusEqual(stored, d)
}

// clusterSizeOf is the spec's cluster size in bytes, 0 when unset. A value
// admission would refuse (stored under an older CRD) is 0 too: the agent's
// default, never a guess.
func clusterSizeOf(obj *v1beta3.DiskPool) int64 {
	n, err := v1beta3.ParseClusterSize(obj.Spec.ClusterSizeSpec())
	if err != nil {
		return 0
	}
	return n
}
