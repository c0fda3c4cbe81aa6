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

	// ConditionReady is True when the pool exists and serves I/O.
	ConditionReady = "Ready"
)
