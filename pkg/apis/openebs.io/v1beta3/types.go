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
// +kubebuilder:printcolumn:name="CAPACITY",type=string,JSONPath=`.status.capacity_q`,description="Pool capacity (status.capacity in bytes)"
// +kubebuilder:printcolumn:name="USED",type=string,JSONPath=`.status.used_q`,description="Allocated to replicas (status.used in bytes)"
// +kubebuilder:printcolumn:name="AVAILABLE",type=string,JSONPath=`.status.available_q`,description="Free for new replicas (status.available in bytes)"
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="DISKS",type=string,JSONPath=`.spec.disks`,priority=1,description="Disks the pool is made of"
// +kubebuilder:printcolumn:name="READY",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1,description="Reason of the Ready condition"
// +kubebuilder:printcolumn:name="ENCRYPTED",type=boolean,JSONPath=`.status.encrypted`,priority=1,description="Whether the pool is encrypted (never: this pool service cannot encrypt)"
// +kubebuilder:printcolumn:name="DISK_CAPACITY",type=string,JSONPath=`.status.diskCapacity`,priority=1,description="Size of the pool's disk"
// +kubebuilder:printcolumn:name="MAX_EXPANDABLE_SIZE",type=string,JSONPath=`.status.maxExpandableSize`,priority=1,description="Largest disk size the pool may grow to"
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
//
// +kubebuilder:validation:XValidation:rule="!(has(self.clusterSize) && has(self.cluster_size))",message="give spec.clusterSize or spec.cluster_size, not both: they are two spellings of the same setting"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.clusterSize) == has(self.clusterSize) && has(oldSelf.cluster_size) == has(self.cluster_size)",message="the cluster size cannot be added or removed once the DiskPool exists: delete this DiskPool and create a new one"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.maxExpansion) == has(self.maxExpansion)",message="spec.maxExpansion cannot be added or removed once the DiskPool exists: delete this DiskPool and create a new one"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.encryptionConfig) == has(self.encryptionConfig)",message="spec.encryptionConfig cannot be added or removed once the DiskPool exists: delete this DiskPool and create a new one"
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

	// EncryptionConfig asks for an encrypted pool (Mayastor's field). This
	// pool service keeps no replica data and cannot encrypt anything: a pool
	// object with it is refused (reason EncryptionUnsupported) and nothing
	// is written to its disk. Immutable once set.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.encryptionConfig is immutable once set: delete this DiskPool and create a new one"
	EncryptionConfig *EncryptionConfig `json:"encryptionConfig,omitempty"`

	// ClusterSize is the pool's allocation unit (replica sizes round up to
	// it): a power of two from 1MiB to 64MiB, written as a quantity such as
	// 4MiB, 4Mi, 4096KiB or 4194304. Unset: the agent's default (4MiB).
	// Immutable once set. Mayastor has spelled it clusterSize and
	// cluster_size; give at most one of the two.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^((1|2|4|8|16|32|64)(MiB|Mi)|(1024|2048|4096|8192|16384|32768|65536)(KiB|Ki)|(1048576|2097152|4194304|8388608|16777216|33554432|67108864)B?)$')",message="spec.clusterSize must be a power of two from 1MiB to 64MiB, written like 4MiB, 4Mi, 4096KiB or 4194304"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.clusterSize is immutable once set: delete this DiskPool and create a new one"
	ClusterSize string `json:"clusterSize,omitempty"`

	// ClusterSizeSnake is ClusterSize as Mayastor's first v1beta3 spelled
	// it (cluster_size). Same values and rules; give at most one of the two.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^((1|2|4|8|16|32|64)(MiB|Mi)|(1024|2048|4096|8192|16384|32768|65536)(KiB|Ki)|(1048576|2097152|4194304|8388608|16777216|33554432|67108864)B?)$')",message="spec.cluster_size must be a power of two from 1MiB to 64MiB, written like 4MiB, 4Mi, 4096KiB or 4194304"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.cluster_size is immutable once set: delete this DiskPool and create a new one"
	ClusterSizeSnake string `json:"cluster_size,omitempty"`

	// MaxExpansion is how far the pool may grow past the size of its disk
	// when the pool was first created: a factor of that size ("1x", "5x",
	// "1.5x"; at least 1x) or an absolute size with a binary unit ("200GiB",
	// "3.5TiB", "1073741824B"). Unset: 1x, no growth past the creation size.
	// The limit is recorded in status.maxExpandableSize. Immutable once set.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([1-9][0-9]{0,5}([.][0-9]{1,3})?x|[0-9]{1,19}([.][0-9]{1,3})?(B|KiB|MiB|GiB|TiB|PiB))$')",message="spec.maxExpansion must be a factor of at least 1x (such as 5x or 1.5x) or a size with a binary unit (such as 200GiB, 3.5TiB or 1073741824B)"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.maxExpansion is immutable once set: delete this DiskPool and create a new one"
	MaxExpansion string `json:"maxExpansion,omitempty"`
}

// EncryptionConfig names where the pool's encryption key would come from.
type EncryptionConfig struct {
	// Source of the key.
	// +required
	Source EncryptionSource `json:"source"`
}

// EncryptionSource is the key's source: a Secret.
type EncryptionSource struct {
	// Secret holds the key, in the DiskPool's namespace.
	// +required
	Secret EncryptionSecret `json:"secret"`
}

// EncryptionSecret names a Secret.
type EncryptionSecret struct {
	// Name of the Secret in the DiskPool's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
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
// +kubebuilder:validation:Enum=Unknown;Online;Degraded;Faulted;Offline;Suspected
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
	// PoolStatusSuspected is Mayastor's state for a pool with I/O alerts.
	// It is accepted on read (objects written by Mayastor); the operator
	// never writes it.
	PoolStatusSuspected PoolStatus = "Suspected"
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

	// CapacityQ is capacity as a Kubernetes quantity with a binary suffix
	// (1020Mi), for people; scripts read capacity.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	CapacityQ string `json:"capacity_q,omitempty"`

	// UsedQ is used as a Kubernetes quantity with a binary suffix.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	UsedQ string `json:"used_q,omitempty"`

	// AvailableQ is available as a Kubernetes quantity with a binary suffix.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	AvailableQ string `json:"available_q,omitempty"`

	// ClusterSize is the pool's allocation unit as its node reports it, a
	// Kubernetes quantity (4Mi).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ClusterSize string `json:"cluster_size,omitempty"`

	// Encrypted is always false once the pool exists: this pool service
	// cannot encrypt (a pool object asking for encryption is refused).
	// +optional
	Encrypted *bool `json:"encrypted,omitempty"`

	// DiskCapacity is the current size of the pool's disk, a Kubernetes
	// quantity; capacity is what is left for replicas after the pool's
	// metadata.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DiskCapacity string `json:"diskCapacity,omitempty"`

	// MaxExpandableSize is the largest disk size the pool may grow to
	// (spec.maxExpansion applied to the disk's size when first recorded), a
	// Kubernetes quantity. A disk grown beyond it is not used past it: the
	// expansion is refused.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	MaxExpandableSize string `json:"maxExpandableSize,omitempty"`

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
	// PoolReady (Mayastor's name) has the same status, reason and message.
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
