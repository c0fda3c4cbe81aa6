package badinput

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestEncryptionRefused creates a pool object with spec.encryptionConfig
// naming an existing Secret: the pool service cannot encrypt, so it is
// refused with EncryptionUnsupported (condition and Warning event), no
// pool exists on any node, the disk is byte-for-byte unchanged, and the
// status never says encrypted.
func TestEncryptionRefused(t *testing.T) {
	f := setup(t)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pool-key", Namespace: f.NS}, StringData: map[string]string{"key": "0123456789abcdef"}}
	if _, err := f.Kube.CoreV1().Secrets(f.NS).Create(f.Ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	disk := f.NewDisk("node-a")
	hash := harness.FileHash(t, disk)
	name := harness.UniqueName("encrypted")
	f.MustCreate(encryptedPool(f.Pool(name, "node-a", disk), "pool-key"))
	f.refused(name, reconcile.ReasonEncryptionUnsupported, "cannot encrypt", "nothing was written")
	got, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(f.Ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Encrypted != nil && *got.Status.Encrypted {
		t.Error("status.encrypted is true")
	}
	f.noPool(name)
	if harness.FileHash(t, disk) != hash {
		t.Error("disk changed")
	}
	// Nothing holds the object (the admission policy's finalizer is
	// removed at once: no pool exists): it goes at once.
	f.DeletePool(name)
	f.WaitGone(name, f.Timeout)
}

// TestEncryptionSecretMissing: spec.encryptionConfig naming a Secret that
// does not exist is refused with EncryptionSecretError; once the Secret is
// created the refusal becomes EncryptionUnsupported (the Secret's arrival
// queues the object). The disk is byte-for-byte unchanged throughout.
func TestEncryptionSecretMissing(t *testing.T) {
	f := setup(t)
	disk := f.NewDisk("node-a")
	hash := harness.FileHash(t, disk)
	name := harness.UniqueName("nokey")
	f.MustCreate(encryptedPool(f.Pool(name, "node-a", disk), "absent-key"))
	f.refused(name, reconcile.ReasonEncryptionSecretError, `Secret "absent-key"`, "does not exist", "cannot encrypt")
	f.noPool(name)
	if harness.FileHash(t, disk) != hash {
		t.Error("disk changed")
	}

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "absent-key", Namespace: f.NS}, StringData: map[string]string{"key": "0123456789abcdef"}}
	if _, err := f.Kube.CoreV1().Secrets(f.NS).Create(f.Ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refused(name, reconcile.ReasonEncryptionUnsupported, "cannot encrypt", "nothing was written")
	f.noPool(name)
	if harness.FileHash(t, disk) != hash {
		t.Error("disk changed")
	}
	f.DeletePool(name)
	f.WaitGone(name, f.Timeout)
}

// encryptedPool is p with spec.encryptionConfig naming the Secret secret.
func encryptedPool(p *v1beta3.DiskPool, secret string) *v1beta3.DiskPool {
	p.Spec.EncryptionConfig = &v1beta3.EncryptionConfig{Source: v1beta3.EncryptionSource{Secret: v1beta3.EncryptionSecret{Name: secret}}}
	return p
}
