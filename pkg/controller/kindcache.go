package controller

import (
	"fmt"

	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// kindCache is the informer side of a kind adapter, the same for every
// kind: one informer for all namespaces or one per watched namespace
// (their namespaces never overlap), indexed by effective node. Only
// toObject, the kind's conversion, differs between kinds.
type kindCache struct {
	kind, resource string
	informers      []cache.SharedIndexInformer
	toObject       func(item any) (object, bool)
}

// newKindCache adds the node index to each informer. It must run before
// the informers start.
func newKindCache(kind, resource string, informers []cache.SharedIndexInformer, toObject func(any) (object, bool)) (*kindCache, error) {
	if len(informers) == 0 {
		return nil, fmt.Errorf("no %s informer", kind)
	}
	k := &kindCache{kind: kind, resource: resource, informers: informers, toObject: toObject}
	for _, si := range informers {
		if _, exists := si.GetIndexer().GetIndexers()[NodeIndex]; exists {
			continue
		}
		if err := si.AddIndexers(cache.Indexers{NodeIndex: k.nodeIndex}); err != nil {
			return nil, fmt.Errorf("adding the %s node index: %w", kind, err)
		}
	}
	return k, nil
}

func (k *kindCache) Kind() string     { return k.kind }
func (k *kindCache) Resource() string { return k.resource }

// nodeIndex indexes an object by reconcile.EffectiveNode of its view.
func (k *kindCache) nodeIndex(item any) ([]string, error) {
	obj, ok := k.toObject(item)
	if !ok {
		return nil, fmt.Errorf("node index: the %s informer holds a %T", k.kind, item)
	}
	if n := reconcile.EffectiveNode(obj.view); n != "" {
		return []string{n}, nil
	}
	return nil, nil
}

func (k *kindCache) Get(namespace, name string) (object, bool, error) {
	cacheKey := namespace + "/" + name
	for _, inf := range k.informers {
		item, exists, err := inf.GetIndexer().GetByKey(cacheKey)
		if err != nil {
			return object{}, false, fmt.Errorf("reading %s %s from the cache: %w", k.kind, cacheKey, err)
		}
		if !exists {
			continue
		}
		obj, ok := k.toObject(item)
		if !ok {
			return object{}, false, fmt.Errorf("%s cache holds %T for %s", k.kind, item, cacheKey)
		}
		return obj, true, nil
	}
	return object{}, false, nil
}

// Deleted converts the final state a delete event carries (a tombstone's
// included).
func (k *kindCache) Deleted(item any) (object, bool) {
	if tomb, ok := item.(cache.DeletedFinalStateUnknown); ok {
		item = tomb.Obj
	}
	return k.toObject(item)
}

func (k *kindCache) KeysOnNode(node string) ([]cache.ObjectName, error) {
	var names []cache.ObjectName
	for _, inf := range k.informers {
		items, err := inf.GetIndexer().ByIndex(NodeIndex, node)
		if err != nil {
			return nil, fmt.Errorf("listing %s objects on node %s: %w", k.kind, node, err)
		}
		for _, item := range items {
			if name, err := cache.ObjectToName(item); err == nil {
				names = append(names, name)
			}
		}
	}
	return names, nil
}

// Ref names an object of this kind in messages: "DiskPool storage/pool-a".
func (k *kindCache) Ref(name cache.ObjectName) string {
	return k.kind + " " + name.String()
}

func (k *kindCache) Informers() []cache.SharedIndexInformer { return k.informers }

func (k *kindCache) InformerSynced() []cache.InformerSynced {
	out := make([]cache.InformerSynced, 0, len(k.informers))
	for _, inf := range k.informers {
		out = append(out, inf.HasSynced)
	}
	return out
}
