package v1beta3

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DiskPool asks for a storage pool on one disk of one node. The operator
// creates (or imports) the pool through the node's diskpool-agent, keeps its
// status current, and destroys the pool only when the object is deleted and
// the pool holds no replicas.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=dsp,categories=openebs;storage
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="NODE",type=string,JSONPath=`.spec.node`,description="Node the pool lives on"
// +kubebuilder:printcolumn:name="STATE",type=string,JSONPath=`.status.cr_state`,description="Lifecycle state of the object"
// +kubebuilder:printcolumn:name="POOL_STATUS",type=string,JSONPath=`.status.pool_status`,description="Health of the pool as its node reports it"
// +kubebuilder:printcolumn:name="CAPACITY",type=integer,format=int64,JSONPath=`.status.capacity`,description="Pool capacity in bytes"
// +kubebuilder:printcolumn:name="USED",type=integer,format=int64,JSONPath=`.status.used`,description="Bytes allocated to replicas"
// +kubebuilder:printcolumn:name="AVAILABLE",type=integer,format=int64,JSONPath=`.status.available`,description="Bytes free for new replicas"
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="DISKS",type=string,JSONPath=`.spec.disks`,priority=1,description="Disks the pool is made of"
// +kubebuilder:printcolumn:name="READY",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1,description="Reason of the Ready condition"
type DiskPool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the pool the user asks for. node and disks cannot change once
	// set: delete the DiskPool and create a new one instead.
	// +required
	Spec DiskPoolSpec `json:"spec"`

	// Status is written by the operator only.
	// +optional
	Status DiskPoolStatus `json:"status,omitempty"`
}

// DiskPoolSpec is the desired pool.
type DiskPoolSpec struct {
	// Node is the name of the Kubernetes node whose diskpool-agent creates
	// the pool. Immutable.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.node is immutable: to move a pool, delete this DiskPool and create a new one"
	Node string `json:"node"`

	// Disks the pool is made of: exactly one today. Each entry is an
	// absolute device path (/dev/sdb, /dev/disk/by-id/...) or an aio:// or
	// uring:// URI of one (aio:///dev/sdb). Immutable.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:items:MaxLength=1024
	// +kubebuilder:validation:items:Pattern=`^((aio|uring)://)?/[^\s]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.disks is immutable: to use other disks, delete this DiskPool and create a new one"
	// +kubebuilder:validation:XValidation:rule="self.all(d, !d.matches('(^|/)\\\\.\\\\.?(/|$)'))",message="spec.disks entries must be absolute paths without . or .. segments, such as /dev/sdb or aio:///dev/disk/by-id/..."
	// +listType=atomic
	Disks []string `json:"disks"`

	// Topology holds labels that describe where the pool is, for placement
	// of volumes.
	// +optional
	Topology *PoolTopology `json:"topology,omitempty"`
}

// PoolTopology describes the pool for volume placement.
type PoolTopology struct {
	// Labelled is a set of labels (valid Kubernetes label keys and values)
	// that the pool carries.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="topology.labelled keys must be valid label keys: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].matches('^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$'))",message="topology.labelled values must be valid label values: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	Labelled map[string]LabelValue `json:"labelled,omitempty"`
}

// LabelValue is a Kubernetes label value.
// +kubebuilder:validation:MaxLength=63
type LabelValue string

// CRState is the lifecycle state of a DiskPool object.
// +kubebuilder:validation:Enum=Creating;Created;Terminating;Error
type CRState string

const (
	// CRStateCreating: the pool has not been created or imported yet.
	CRStateCreating CRState = "Creating"
	// CRStateCreated: the pool exists on its node.
	CRStateCreated CRState = "Created"
	// CRStateTerminating: the object is deleted; the pool is being destroyed.
	CRStateTerminating CRState = "Terminating"
	// CRStateError is deprecated. It is recognised on read and treated as
	// Creating; the operator never writes it.
	CRStateError CRState = "Error"
)

// PoolStatus is the health of a pool as its node reports it.
// +kubebuilder:validation:Enum=Unknown;Online;Degraded;Faulted;Offline
type PoolStatus string

const (
	// PoolStatusUnknown: the operator cannot tell (agent unreachable, node gone, not created).
	PoolStatusUnknown PoolStatus = "Unknown"
	// PoolStatusOnline: healthy and usable.
	PoolStatusOnline PoolStatus = "Online"
	// PoolStatusDegraded: usable but with errors.
	PoolStatusDegraded PoolStatus = "Degraded"
	// PoolStatusFaulted: not usable.
	PoolStatusFaulted PoolStatus = "Faulted"
	// PoolStatusOffline: the pool was created but its node runs no agent.
	PoolStatusOffline PoolStatus = "Offline"
)

// DiskPoolStatus is the observed state of a DiskPool.
type DiskPoolStatus struct {
	// CRState is the lifecycle state: Creating, Created or Terminating.
	// Error is deprecated and never written.
	// +optional
	CRState CRState `json:"cr_state,omitempty"`

	// PoolStatus is the pool's health as its node reports it.
	// +optional
	PoolStatus PoolStatus `json:"pool_status,omitempty"`

	// Capacity of the pool in bytes. The sizes are always present (0 before
	// the pool exists), so kubectl shows 0 rather than a blank column.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Capacity int64 `json:"capacity"`

	// Used is the number of bytes allocated to replicas.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Used int64 `json:"used"`

	// Available is capacity minus used, in bytes.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Available int64 `json:"available"`

	// Committed is the sum of the sizes of all replicas, thin ones included,
	// in bytes.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Committed int64 `json:"committed"`

	// Node the pool was created on. The operator acts on this value, never
	// on a later spec, so a destroy can never reach the wrong node.
	// +optional
	Node string `json:"node,omitempty"`

	// Disks the pool was created on (see node).
	// +optional
	// +listType=atomic
	Disks []string `json:"disks,omitempty"`

	// PoolUUID is the uuid of the pool on disk.
	// +optional
	PoolUUID string `json:"poolUUID,omitempty"`

	// ObservedGeneration is the metadata.generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready is True when the pool exists and is Online or
	// Degraded; its reason says why not otherwise (NodeNotFound,
	// AgentUnavailable, DiskNotFound, DiskInUse, ForeignPool, PoolInUse, ...).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// DiskPoolList is a list of DiskPools.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type DiskPoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []DiskPool `json:"items"`
}
