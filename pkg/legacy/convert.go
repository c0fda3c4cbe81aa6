// Package legacy maps the legacy MayastorPool (openebs.io/v1alpha1) to and
// from the DiskPool view the state machine decides on, so both kinds share
// one reconcile path. The mapping is lossy (a MayastorPool status has no
// conditions), so callers compare statuses in MayastorPool terms, never in
// DiskPool terms.
package legacy

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// ToDiskPool returns the DiskPool view of a MayastorPool. It shares no
// memory with m.
func ToDiskPool(m *v1alpha1.MayastorPool) *v1beta3.DiskPool {
	m = m.DeepCopy()
	d := &v1beta3.DiskPool{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1beta3.GroupVersion.String(), Kind: "DiskPool"},
		ObjectMeta: m.ObjectMeta,
		Spec:       v1beta3.DiskPoolSpec{Node: m.Spec.Node, Disks: m.Spec.Disks},
		Status: v1beta3.DiskPoolStatus{
			Node:               m.Status.Node,
			Disks:              m.Status.Disks,
			Capacity:           m.Status.Capacity,
			Used:               m.Status.Used,
			Available:          max(m.Status.Capacity-m.Status.Used, 0),
			ObservedGeneration: m.Status.ObservedGeneration,
		},
	}
	switch m.Status.State {
	case "":
	case v1alpha1.StatePending:
		d.Status.CRState = v1beta3.CRStateCreating
		d.Status.PoolStatus = v1beta3.PoolStatusUnknown
	default:
		d.Status.CRState = v1beta3.CRStateCreated
		d.Status.PoolStatus = poolStatusOf(m.Status.State)
	}
	// A MayastorPool has no Terminating state: the deletionTimestamp is the
	// only record, so a deleted object goes straight to destroy and its
	// status keeps saying what the pool is.
	if m.DeletionTimestamp != nil && d.Status.CRState == v1beta3.CRStateCreated {
		d.Status.CRState = v1beta3.CRStateTerminating
	}
	return d
}

// FromDiskPoolStatus maps the status Decide wants onto a MayastorPool. An
// edit of the spec after creation is reported in reason as ignored, even
// when the pool is online.
func FromDiskPoolStatus(st *v1beta3.DiskPoolStatus) v1alpha1.MayastorPoolStatus {
	out := v1alpha1.MayastorPoolStatus{
		Node:               st.Node,
		Disks:              slices.Clone(st.Disks),
		Capacity:           st.Capacity,
		Used:               st.Used,
		ObservedGeneration: st.ObservedGeneration,
	}
	created := st.CRState == v1beta3.CRStateCreated || st.CRState == v1beta3.CRStateTerminating && st.Node != ""
	if created {
		out.State = stateOf(st.PoolStatus)
	} else {
		out.State = v1alpha1.StatePending
	}
	if ready := meta.FindStatusCondition(st.Conditions, v1beta3.ConditionReady); ready != nil {
		if out.State != v1alpha1.StateOnline || st.CRState == v1beta3.CRStateTerminating || strings.Contains(ready.Message, "is ignored") {
			out.Reason = ready.Message
		}
	}
	if out.State != v1alpha1.StateOnline && out.Reason == "" {
		out.Reason = "waiting for the pool to be created"
	}
	return out
}

func poolStatusOf(s v1alpha1.MayastorPoolState) v1beta3.PoolStatus {
	switch s {
	case v1alpha1.StateOnline:
		return v1beta3.PoolStatusOnline
	case v1alpha1.StateDegraded:
		return v1beta3.PoolStatusDegraded
	case v1alpha1.StateFaulted:
		return v1beta3.PoolStatusFaulted
	case v1alpha1.StateOffline:
		return v1beta3.PoolStatusOffline
	}
	return v1beta3.PoolStatusUnknown
}

func stateOf(s v1beta3.PoolStatus) v1alpha1.MayastorPoolState {
	switch s {
	case v1beta3.PoolStatusOnline:
		return v1alpha1.StateOnline
	case v1beta3.PoolStatusDegraded:
		return v1alpha1.StateDegraded
	case v1beta3.PoolStatusFaulted:
		return v1alpha1.StateFaulted
	case v1beta3.PoolStatusOffline:
		return v1alpha1.StateOffline
	}
	// Created, but the operator cannot tell how the pool is (agent
	// unreachable): the legacy states have no "unknown", and offline is the
	// one that says "created, not available now".
	return v1alpha1.StateOffline
}
