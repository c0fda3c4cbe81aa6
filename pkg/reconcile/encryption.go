package reconcile

import (
	"fmt"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// encryptionRefused refuses a pool object with spec.encryptionConfig. The
// pool service keeps no replica data, so it has nothing it could encrypt:
// creating the pool would report encryption that does not exist. Nothing
// is asked of the node. The reason tells a missing Secret (Mayastor's
// EncryptionSecretError) from the refusal itself.
func (d decider) encryptionRefused() Plan {
	name := d.obj.Spec.EncryptionConfig.Source.Secret.Name
	unsupported := fmt.Sprintf("this pool service keeps no replica data and cannot encrypt anything, so a %s with spec.encryptionConfig is refused: no pool was created and nothing was written to disks %v. To use the disk unencrypted, delete this object and create it again without spec.encryptionConfig",
		kindName, d.target.disks)
	if d.obs.EncryptionSecret == SecretMissing {
		return d.failing(ReasonEncryptionSecretError, fmt.Sprintf("the Secret %q named by spec.encryptionConfig does not exist in namespace %s. Even with it, %s",
			name, d.obj.Namespace, unsupported), false)
	}
	// Not rechecked: nothing on the node changes this; a new Secret or
	// spec arrives as an event.
	return d.failing(ReasonEncryptionUnsupported, unsupported, false)
}

// wantsEncryption reports whether the object asks for an encrypted pool.
func wantsEncryption(obj *v1beta3.DiskPool) bool {
	return obj.Spec.EncryptionConfig != nil
}
