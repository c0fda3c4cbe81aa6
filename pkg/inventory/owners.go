package inventory

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
)

// uidIndex names the index by metadata.uid that OwnerIndex adds.
const uidIndex = "inventory.uid"

// OwnerIndex is the Owners of a set of pool-object informers: an index by
// uid on each, so that a listing looks up only the owners of the pools it
// found (never a set of every object's uid per node).
type OwnerIndex struct {
	informers []cache.SharedIndexInformer
}

var _ Owners = OwnerIndex{}

// NewOwnerIndex adds the uid index to each informer; call it before the
// informers start.
func NewOwnerIndex(informers ...cache.SharedIndexInformer) (OwnerIndex, error) {
	for _, inf := range informers {
		if err := inf.AddIndexers(cache.Indexers{uidIndex: uidOf}); err != nil {
			return OwnerIndex{}, fmt.Errorf("adding the uid index: %w", err)
		}
	}
	return OwnerIndex{informers: informers}, nil
}

func uidOf(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return []string{string(m.GetUID())}, nil
}

// HasSynced is true once every informer has synced.
func (o OwnerIndex) HasSynced() bool {
	for _, inf := range o.informers {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

// Live reports whether a cached pool object has uid.
func (o OwnerIndex) Live(uid string) bool {
	for _, inf := range o.informers {
		if objs, err := inf.GetIndexer().ByIndex(uidIndex, uid); err == nil && len(objs) > 0 {
			return true
		}
	}
	return false
}
