package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// FieldManager names the operator in managedFields of everything it writes.
const FieldManager = "diskpool-operator"

// object is a pool object as the sync loop handles it: the v1beta3 view
// Decide works on and the object as stored, which writes and events use.
// For a DiskPool both are the same pointer. Neither is ever mutated: they
// may be the informer cache's copies.
type object struct {
	view   *v1beta3.DiskPool
	stored runtime.Object
}

// kindAdapter is the seam between the one sync loop and a pool resource
// kind. The DiskPool adapter is an identity; a MayastorPool adapter converts
// to and from the v1beta3 view, so both kinds share every decision and write
// path instead of having a controller each.
type kindAdapter interface {
	// Kind names the kind in queue keys, logs and metrics ("DiskPool").
	Kind() string
	// Resource names the resource in write metrics ("diskpools").
	Resource() string
	// Get returns the object from the informer cache; ok is false when it
	// is gone.
	Get(namespace, name string) (obj object, ok bool, err error)
	// Deleted converts the final state of a delete event (a tombstone's
	// included); ok is false for an object of another kind.
	Deleted(item any) (obj object, ok bool)
	// UpdateFinalizers writes obj with its finalizers replaced, by Update:
	// obj's resourceVersion and UID are preconditions, so a stale copy or a
	// recreated object of the same name fails with a conflict.
	UpdateFinalizers(ctx context.Context, obj object, finalizers []string) (object, error)
	// RemoveAnnotation writes obj without the annotation key, by Update,
	// with the same preconditions as UpdateFinalizers.
	RemoveAnnotation(ctx context.Context, obj object, key string) (object, error)
	// UpdateStatus writes status through the status subresource and
	// returns the object as it now is, its view carrying status. written
	// is false when the kind's stored status would not change (a kind
	// whose status is a lossy projection of the view's, like
	// MayastorPool's): then nothing is sent and the view still carries
	// status, so the next decision sees it applied.
	UpdateStatus(ctx context.Context, obj object, status *v1beta3.DiskPoolStatus) (out object, written bool, err error)
	// KeysOnNode returns the objects whose effective node
	// (reconcile.EffectiveNode) is node.
	KeysOnNode(node string) ([]cache.ObjectName, error)
	// Ref names an object of the kind in messages ("DiskPool ns/name").
	Ref(name cache.ObjectName) string
	// Informers are the kind's informers, for the controller's handlers.
	Informers() []cache.SharedIndexInformer
	// InformerSynced reports the sync state of the kind's informers.
	InformerSynced() []cache.InformerSynced
}

// key is a workqueue item: one object of one kind.
type key struct {
	Kind      string
	Namespace string
	Name      string
}

func (k key) String() string {
	return k.Kind + ":" + k.Namespace + "/" + k.Name
}
