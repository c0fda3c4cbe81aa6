package reconcile

// Reasons of the rules for Mayastor's v1beta3 fields and annotations
// (encryptionConfig, openebs.io/delete-opts, openebs.io/expand). Spelled as
// Mayastor spells them where it has a name.
const (
	// ReasonEncryptionSecretError: the Secret named by
	// spec.encryptionConfig does not exist (Mayastor's code).
	ReasonEncryptionSecretError = "EncryptionSecretError"
	// ReasonEncryptionUnsupported: the pool service cannot encrypt, so a
	// pool object asking for encryption is refused.
	ReasonEncryptionUnsupported = "EncryptionUnsupported"

	// ReasonInvalidDeleteOpts: openebs.io/delete-opts does not parse; the
	// delete waits for it to be fixed.
	ReasonInvalidDeleteOpts = "InvalidDeleteOpts"
	// ReasonPurgeBlocked: a purge was asked while the pool's agent works;
	// a normal delete destroys the pool instead.
	ReasonPurgeBlocked = "PurgeBlocked"
	// ReasonPurgeAcceptRequired: a purge of a pool with replicas lacks the
	// accept keys.
	ReasonPurgeAcceptRequired = "PurgeAcceptRequired"

	// ReasonExpanded (event): the pool grew to its disk's new size.
	ReasonExpanded = "Expanded"
	// ReasonExpansionLimit (event): the disk is larger than
	// status.maxExpandableSize; nothing changed.
	ReasonExpansionLimit = "ExpansionLimit"
	// ReasonDiskNotGrown (event): the disk is no larger than the pool
	// already covers; nothing changed.
	ReasonDiskNotGrown = "DiskNotGrown"
	// ReasonExpansionRefused (event): any other refusal of an expansion.
	ReasonExpansionRefused = "ExpansionRefused"
)
