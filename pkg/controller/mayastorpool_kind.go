package controller

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1alpha1informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1alpha1"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/legacy"
)

// KindMayastorPool is the legacy MayastorPool kind's name in queue keys,
// logs and metrics.
const KindMayastorPool = "MayastorPool"

// mayastorPoolKind serves the legacy MayastorPool (openebs.io/v1alpha1)
// through the one sync loop: Decide sees the DiskPool view of pkg/legacy,
// and only the MayastorPool's status and the operator's finalizer are ever
// written. The operator never creates or deletes MayastorPools, and never
// writes their spec or any other metadata.
//
// A MayastorPool status is a lossy projection of the view's (no
// conditions, no pool uuid), so statuses are compared in MayastorPool
// terms: UpdateStatus writes only when the projected status differs from
// the stored one.
type mayastorPoolKind struct {
	*kindCache
	client versioned.Interface
}

var _ kindAdapter = (*mayastorPoolKind)(nil)

// newMayastorPoolKind adds the node index to each informer. It must run
// before the informers start.
func newMayastorPoolKind(client versioned.Interface, informers []v1alpha1informers.MayastorPoolInformer) (*mayastorPoolKind, error) {
	sis := make([]cache.SharedIndexInformer, 0, len(informers))
	for _, inf := range informers {
		sis = append(sis, inf.Informer())
	}
	kc, err := newKindCache(KindMayastorPool, "mayastorpools", sis, func(item any) (object, bool) {
		msp, ok := item.(*v1alpha1.MayastorPool)
		if !ok {
			return object{}, false
		}
		// A deleted MayastorPool's view is Terminating (pkg/legacy), so it
		// goes straight to destroy.
		return object{view: legacy.ToDiskPool(msp), stored: msp}, true
	})
	if err != nil {
		return nil, err
	}
	return &mayastorPoolKind{kindCache: kc, client: client}, nil
}

// UpdateFinalizers changes the MayastorPool's finalizers and nothing else:
// the copy sent is the stored MayastorPool, not a conversion of the view,
// so spec, labels and annotations go back exactly as they were read. A
// main-resource update never changes status, so the returned view keeps
// the status obj's view carried (which may be a desired status that needed
// no write).
func (k *mayastorPoolKind) UpdateFinalizers(ctx context.Context, obj object, finalizers []string) (object, error) {
	stored, err := storedMayastorPool(obj)
	if err != nil {
		return object{}, err
	}
	msp := stored.DeepCopy()
	msp.Finalizers = finalizers
	out, err := k.client.OpenebsV1alpha1().MayastorPools(msp.Namespace).Update(ctx, msp, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return object{}, fmt.Errorf("updating the finalizers of MayastorPool %s/%s: %w", msp.Namespace, msp.Name, err)
	}
	return mayastorPoolObject(out, &obj.view.Status), nil
}

// RemoveAnnotation removes one annotation from the stored MayastorPool and
// changes nothing else, like UpdateFinalizers.
func (k *mayastorPoolKind) RemoveAnnotation(ctx context.Context, obj object, key string) (object, error) {
	stored, err := storedMayastorPool(obj)
	if err != nil {
		return object{}, err
	}
	msp := stored.DeepCopy()
	delete(msp.Annotations, key)
	out, err := k.client.OpenebsV1alpha1().MayastorPools(msp.Namespace).Update(ctx, msp, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return object{}, fmt.Errorf("removing annotation %s from MayastorPool %s/%s: %w", key, msp.Namespace, msp.Name, err)
	}
	return mayastorPoolObject(out, &obj.view.Status), nil
}

// UpdateStatus writes the MayastorPool projection of status through the
// status subresource, unless the stored MayastorPool status already says
// the same. Either way the returned view carries status, so the sync's
// next decision sees it applied and settles.
func (k *mayastorPoolKind) UpdateStatus(ctx context.Context, obj object, status *v1beta3.DiskPoolStatus) (object, bool, error) {
	stored, err := storedMayastorPool(obj)
	if err != nil {
		return object{}, false, err
	}
	want := legacy.FromDiskPoolStatus(status)
	if apiequality.Semantic.DeepEqual(want, stored.Status) {
		return mayastorPoolObject(stored, status), false, nil
	}
	msp := stored.DeepCopy()
	msp.Status = want
	out, err := k.client.OpenebsV1alpha1().MayastorPools(msp.Namespace).UpdateStatus(ctx, msp, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return object{}, true, fmt.Errorf("updating the status of MayastorPool %s/%s: %w", msp.Namespace, msp.Name, err)
	}
	return mayastorPoolObject(out, status), true, nil
}

// mayastorPoolObject pairs msp with its view; the view's status is status
// (the desired status the sync decided on) rather than the lossy
// conversion of msp's.
func mayastorPoolObject(msp *v1alpha1.MayastorPool, status *v1beta3.DiskPoolStatus) object {
	view := legacy.ToDiskPool(msp)
	view.Status = *status.DeepCopy()
	return object{view: view, stored: msp}
}

func storedMayastorPool(obj object) (*v1alpha1.MayastorPool, error) {
	msp, ok := obj.stored.(*v1alpha1.MayastorPool)
	if !ok {
		return nil, fmt.Errorf("MayastorPool adapter given a %T", obj.stored)
	}
	return msp, nil
}
