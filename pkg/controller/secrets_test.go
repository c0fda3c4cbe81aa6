package controller

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func TestObserveSecret(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	slim, err := SecretMetadataOnly(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "pool-key"}, Data: map[string][]byte{"k": []byte("v")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(slim.(*corev1.Secret).Data) != 0 {
		t.Fatal("the transform kept the Secret's data")
	}
	if err := idx.Add(slim); err != nil {
		t.Fatal(err)
	}
	c := &Controller{secretListers: []corelisters.SecretLister{corelisters.NewSecretLister(idx)}}
	encrypted := func(name string) *v1beta3.DiskPool {
		return newDiskPool("pool-a", func(d *v1beta3.DiskPool) {
			d.Spec.EncryptionConfig = &v1beta3.EncryptionConfig{Source: v1beta3.EncryptionSource{Secret: v1beta3.EncryptionSecret{Name: name}}}
		})
	}
	for _, tt := range []struct {
		name string
		dsp  *v1beta3.DiskPool
		want reconcile.SecretState
	}{
		{"no encryptionConfig", newDiskPool("pool-a"), reconcile.SecretUnknown},
		{"present", encrypted("pool-key"), reconcile.SecretPresent},
		{"missing", encrypted("other"), reconcile.SecretMissing},
	} {
		got, err := c.observeSecret(tt.dsp)
		if err != nil || got != tt.want {
			t.Errorf("%s: observeSecret = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
