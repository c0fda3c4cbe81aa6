package v1beta3

const (
	// Finalizer keeps a DiskPool until its pool is destroyed on its node.
	Finalizer = "openebs.io/diskpool-protection"

	// DeleteOptsAnnotation, set to DeleteOptsPurge, lets a deleted DiskPool
	// go without contacting its node (Mayastor's name). The pool on disk
	// is then an orphan: reported, never destroyed automatically.
	DeleteOptsAnnotation = "openebs.io/delete-opts"
	// DeleteOptsPurge is the only value DeleteOptsAnnotation accepts.
	DeleteOptsPurge = "purge"

	// AdoptPoolOwnerAnnotation names the UID of the object that owns the
	// pool on disk today (a MayastorPool being migrated). The operator then
	// asks the agent to hand that pool to this object: only the owner field
	// of the on-disk label changes; uuid, replicas and data stay.
	AdoptPoolOwnerAnnotation = "openebs.io/adopt-pool-owner"

	// ConditionReady is True when the pool exists and serves I/O.
	ConditionReady = "Ready"
)
