package controller

import (
	"context"
	"errors"
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
	client versioned.Interface
	// informers are one informer for all namespaces, or one per watched
	// namespace; their namespaces never overlap.
	informers []cache.SharedIndexInformer
	synced    []cache.InformerSynced
}

var _ kindAdapter = (*mayastorPoolKind)(nil)

// newMayastorPoolKind adds the node index to each informer. It must run
// before the informers start.
func newMayastorPoolKind(client versioned.Interface, informers []v1alpha1informers.MayastorPoolInformer) (*mayastorPoolKind, error) {
	if len(informers) == 0 {
		return nil, errors.New("no MayastorPool informer")
	}
	k := &mayastorPoolKind{client: client}
	for _, inf := range informers {
		si := inf.Informer()
		if _, exists := si.GetIndexer().GetIndexers()[NodeIndex]; !exists {
			if err := si.AddIndexers(cache.Indexers{NodeIndex: mayastorPoolNodeIndexFunc}); err != nil {
				return nil, fmt.Errorf("adding the MayastorPool node index: %w", err)
			}
		}
		k.informers = append(k.informers, si)
		k.synced = append(k.synced, si.HasSynced)
	}
	return k, nil
}

func (k *mayastorPoolKind) Kind() string     { return KindMayastorPool }
func (k *mayastorPoolKind) Resource() string { return "mayastorpools" }

func (k *mayastorPoolKind) Get(namespace, name string) (object, bool, error) {
	cacheKey := namespace + "/" + name
	for _, inf := range k.informers {
		item, exists, err := inf.GetIndexer().GetByKey(cacheKey)
		if err != nil {
			return object{}, false, fmt.Errorf("reading MayastorPool %s from the cache: %w", cacheKey, err)
		}
		if !exists {
			continue
		}
		msp, ok := item.(*v1alpha1.MayastorPool)
		if !ok {
			return object{}, false, fmt.Errorf("MayastorPool cache holds %T for %s", item, cacheKey)
		}
		return object{view: legacy.ToDiskPool(msp), stored: msp}, true, nil
	}
	return object{}, false, nil
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

func (k *mayastorPoolKind) KeysOnNode(node string) ([]cache.ObjectName, error) {
	var names []cache.ObjectName
	for _, inf := range k.informers {
		items, err := inf.GetIndexer().ByIndex(NodeIndex, node)
		if err != nil {
			return nil, fmt.Errorf("listing MayastorPools on node %s: %w", node, err)
		}
		for _, item := range items {
			if msp, ok := item.(*v1alpha1.MayastorPool); ok {
				names = append(names, cache.MetaObjectToName(msp))
			}
		}
	}
	return names, nil
}

func (k *mayastorPoolKind) InformerSynced() []cache.InformerSynced { return k.synced }

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

// MayastorPoolEffectiveNode is EffectiveNode for a MayastorPool: the cached
// status.node once the pool has been created, spec.node before.
func MayastorPoolEffectiveNode(msp *v1alpha1.MayastorPool) string {
	if msp.Status.Node != "" {
		return msp.Status.Node
	}
	return msp.Spec.Node
}

// mayastorPoolNodeIndexFunc indexes MayastorPools by their effective node.
func mayastorPoolNodeIndexFunc(obj any) ([]string, error) {
	msp, ok := obj.(*v1alpha1.MayastorPool)
	if !ok {
		return nil, fmt.Errorf("node index: expected *v1alpha1.MayastorPool, got %T", obj)
	}
	if n := MayastorPoolEffectiveNode(msp); n != "" {
		return []string{n}, nil
	}
	return nil, nil
}
