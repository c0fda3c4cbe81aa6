package controller

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// KindDiskPool is the DiskPool kind's name in queue keys, logs and metrics.
const KindDiskPool = "DiskPool"

// diskPoolKind is the identity adapter: a DiskPool is its own view.
type diskPoolKind struct {
	*kindCache
	client versioned.Interface
}

var _ kindAdapter = (*diskPoolKind)(nil)

// newDiskPoolKind adds the node index to each informer. It must run before
// the informers start.
func newDiskPoolKind(client versioned.Interface, informers []v1beta3informers.DiskPoolInformer) (*diskPoolKind, error) {
	sis := make([]cache.SharedIndexInformer, 0, len(informers))
	for _, inf := range informers {
		sis = append(sis, inf.Informer())
	}
	kc, err := newKindCache(KindDiskPool, "diskpools", sis, func(item any) (object, bool) {
		dsp, ok := item.(*v1beta3.DiskPool)
		return diskPoolObject(dsp), ok
	})
	if err != nil {
		return nil, err
	}
	return &diskPoolKind{kindCache: kc, client: client}, nil
}

func (k *diskPoolKind) UpdateFinalizers(ctx context.Context, obj object, finalizers []string) (object, error) {
	dsp := obj.view.DeepCopy()
	dsp.Finalizers = finalizers
	out, err := k.client.OpenebsV1beta3().DiskPools(dsp.Namespace).Update(ctx, dsp, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return object{}, fmt.Errorf("updating the finalizers of DiskPool %s/%s: %w", dsp.Namespace, dsp.Name, err)
	}
	return diskPoolObject(out), nil
}

func (k *diskPoolKind) RemoveAnnotation(ctx context.Context, obj object, key string) (object, error) {
	dsp := obj.view.DeepCopy()
	delete(dsp.Annotations, key)
	out, err := k.client.OpenebsV1beta3().DiskPools(dsp.Namespace).Update(ctx, dsp, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return object{}, fmt.Errorf("removing annotation %s from DiskPool %s/%s: %w", key, dsp.Namespace, dsp.Name, err)
	}
	return diskPoolObject(out), nil
}

// UpdateStatus always writes: Decide returns a status only when it differs
// from the stored one.
func (k *diskPoolKind) UpdateStatus(ctx context.Context, obj object, status *v1beta3.DiskPoolStatus) (object, bool, error) {
	dsp := obj.view.DeepCopy()
	status.DeepCopyInto(&dsp.Status)
	out, err := k.client.OpenebsV1beta3().DiskPools(dsp.Namespace).UpdateStatus(ctx, dsp, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return object{}, true, fmt.Errorf("updating the status of DiskPool %s/%s: %w", dsp.Namespace, dsp.Name, err)
	}
	return diskPoolObject(out), true, nil
}

func diskPoolObject(dsp *v1beta3.DiskPool) object {
	return object{view: dsp, stored: dsp}
}
