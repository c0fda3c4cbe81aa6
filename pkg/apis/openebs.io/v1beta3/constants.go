package v1beta3

const (
	// Finalizer keeps a DiskPool until its pool is destroyed on its node.
	Finalizer = "openebs.io/diskpool-protection"

	// DeleteOptsAnnotation, set to DeleteOptsPurge, lets a deleted DiskPool
	// go without contacting its node (Mayastor's name). The pool on disk
	// is then an orphan: reported, never destroyed automatically. Its value
	// is parsed by pkg/deleteopts (Mayastor's key[=value] list).
	DeleteOptsAnnotation = "openebs.io/delete-opts"
	// DeleteOptsPurge is the simplest value DeleteOptsAnnotation accepts.
	DeleteOptsPurge = "purge"

	// AdoptPoolOwnerAnnotation names the UID of the object that owns the
	// pool on disk today (a MayastorPool being migrated). The operator then
	// asks the agent to hand that pool to this object: only the owner field
	// of the on-disk label changes; uuid, replicas and data stay.
	AdoptPoolOwnerAnnotation = "openebs.io/adopt-pool-owner"

	// AdoptOrphanAnnotation names the uuid of an orphaned pool (one whose
	// owner matches no live pool object) that this object takes over:
	// only the owner in the on-disk label changes. Refused (Ready reason
	// AdoptRefused) when the pool of the object's name is missing, has
	// another uuid, or has a live owner: it never creates a fresh pool.
	AdoptOrphanAnnotation = "openebs.io/adopt-orphan"

	// ConditionReady is True when the pool exists and serves I/O.
	ConditionReady = "Ready"
	// ConditionPoolReady mirrors ConditionReady under Mayastor's name, so
	// `kubectl wait --for=condition=PoolReady` works.
	ConditionPoolReady = "PoolReady"

	// ExpandAnnotation, set to "true", asks the operator to grow the pool
	// to its disk's current size, within status.maxExpandableSize. The
	// operator removes it when done or refused.
	ExpandAnnotation = "openebs.io/expand"
)
