package reconcile

// SecretState is what the controller knows of a Secret.
type SecretState int

const (
	// SecretUnknown: not looked up.
	SecretUnknown SecretState = iota
	// SecretMissing: no such Secret in the object's namespace.
	SecretMissing
	// SecretPresent: the Secret exists.
	SecretPresent
)

// ReplicaCount is a replica count that may not be known.
type ReplicaCount struct {
	Count int
	// Known is false when no report of the pool is kept.
	Known bool
}

// ExpandRequest is the ExpandPool call a plan asks for: grow the pool to
// its disk's current size, refused by the agent beyond MaxCapacity.
type ExpandRequest struct {
	Node     string
	Name     string
	OwnerUID string
	// MaxCapacity is status.maxExpandableSize in bytes.
	MaxCapacity int64
}
