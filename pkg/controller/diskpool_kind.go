package controller

import (
	"context"
	"errors"
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
	client versioned.Interface
	// informers are one informer for all namespaces, or one per watched
	// namespace; their namespaces never overlap.
	informers []cache.SharedIndexInformer
	synced    []cache.InformerSynced
}

var _ kindAdapter = (*diskPoolKind)(nil)

// newDiskPoolKind adds the node index to each informer. It must run before
// the informers start.
func newDiskPoolKind(client versioned.Interface, informers []v1beta3informers.DiskPoolInformer) (*diskPoolKind, error) {
	if len(informers) == 0 {
		return nil, errors.New("no DiskPool informer")
	}
	k := &diskPoolKind{client: client}
	for _, inf := range informers {
		si := inf.Informer()
		if _, exists := si.GetIndexer().GetIndexers()[NodeIndex]; !exists {
			if err := si.AddIndexers(cache.Indexers{NodeIndex: diskPoolNodeIndexFunc}); err != nil {
				return nil, fmt.Errorf("adding the DiskPool node index: %w", err)
			}
		}
		k.informers = append(k.informers, si)
		k.synced = append(k.synced, si.HasSynced)
	}
	return k, nil
}

func (k *diskPoolKind) Kind() string     { return KindDiskPool }
func (k *diskPoolKind) Resource() string { return "diskpools" }

func (k *diskPoolKind) Get(namespace, name string) (object, bool, error) {
	cacheKey := namespace + "/" + name
	for _, inf := range k.informers {
		item, exists, err := inf.GetIndexer().GetByKey(cacheKey)
		if err != nil {
			return object{}, false, fmt.Errorf("reading DiskPool %s from the cache: %w", cacheKey, err)
		}
		if !exists {
			continue
		}
		dsp, ok := item.(*v1beta3.DiskPool)
		if !ok {
			return object{}, false, fmt.Errorf("DiskPool cache holds %T for %s", item, cacheKey)
		}
		return diskPoolObject(dsp), true, nil
	}
	return object{}, false, nil
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

func (k *diskPoolKind) KeysOnNode(node string) ([]cache.ObjectName, error) {
	var names []cache.ObjectName
	for _, inf := range k.informers {
		items, err := inf.GetIndexer().ByIndex(NodeIndex, node)
		if err != nil {
			return nil, fmt.Errorf("listing DiskPools on node %s: %w", node, err)
		}
		for _, item := range items {
			if dsp, ok := item.(*v1beta3.DiskPool); ok {
				names = append(names, cache.MetaObjectToName(dsp))
			}
		}
	}
	return names, nil
}

func (k *diskPoolKind) InformerSynced() []cache.InformerSynced { return k.synced }

func diskPoolObject(dsp *v1beta3.DiskPool) object {
	return object{view: dsp, stored: dsp}
}
