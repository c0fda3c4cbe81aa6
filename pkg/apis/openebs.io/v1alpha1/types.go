package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MayastorPool is the legacy pool resource. The storage admin creates and
// deletes it; the operator writes only its status (and its finalizer). Spec
// edits are possible but ignored once the pool exists: status.node and
// status.disks keep the values the pool was created with.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=msp,categories=openebs;storage
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.spec.node`,description="Node where the storage pool is located"
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`,description="State of the storage pool"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type MayastorPool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the pool parameters.
	// +required
	Spec MayastorPoolSpec `json:"spec"`

	// Status is written by the operator only.
	// +optional
	Status MayastorPoolStatus `json:"status,omitempty"`
}

// MayastorPoolSpec holds the pool parameters.
type MayastorPoolSpec struct {
	// Node is the name of the k8s node where the pool should be created.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Node string `json:"node"`

	// Disks are the disk device paths (in /dev) that make up the pool.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:items:MaxLength=1024
	// +listType=atomic
	Disks []string `json:"disks"`
}

// MayastorPoolState is the legacy pool state.
// +kubebuilder:validation:Enum=pending;online;degraded;faulted;offline
type MayastorPoolState string

const (
	// StatePending: not created yet, because of an error or because the
	// node runs no agent.
	StatePending MayastorPoolState = "pending"
	// StateOnline: created, healthy and usable.
	StateOnline MayastorPoolState = "online"
	// StateDegraded: created and usable, with some issue.
	StateDegraded MayastorPoolState = "degraded"
	// StateFaulted: unrecoverable error, not usable.
	StateFaulted MayastorPoolState = "faulted"
	// StateOffline: created, but the node's agent is not running.
	StateOffline MayastorPoolState = "offline"
)

// MayastorPoolStatus is the observed state of a MayastorPool.
type MayastorPoolStatus struct {
	// State of the pool: pending, online, degraded, faulted or offline.
	// +optional
	State MayastorPoolState `json:"state,omitempty"`

	// Node is the cached value of spec.node the pool was created with.
	// +optional
	Node string `json:"node,omitempty"`

	// Disks is the cached value of spec.disks the pool was created with.
	// +optional
	// +listType=atomic
	Disks []string `json:"disks,omitempty"`

	// Reason explains any state other than online.
	// +optional
	Reason string `json:"reason,omitempty"`

	// Capacity of the pool in bytes.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Capacity int64 `json:"capacity"`

	// Used bytes of the pool.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Used int64 `json:"used"`

	// ObservedGeneration is the metadata.generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// MayastorPoolList is a list of MayastorPools.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type MayastorPoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []MayastorPool `json:"items"`
}
