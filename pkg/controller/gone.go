package controller

import (
	"context"
	"errors"
	"slices"
	"sync"

	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/legacy"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// goneObjects remembers the last state of pool objects that left the API,
// until a sync has checked that no pool of theirs is left on their node.
//
// A pool can outlive its object when the API server's delete wins a race
// with the finalizer write (the delete read the object before the
// finalizer and removed it at once) while a sync goes on to create the
// pool. The object is gone for good and its UID is never reused, so a pool
// the agent reports under its name and owned by its UID belongs to nobody
// and is destroyed, unless the object asked to be purged (its pool is then
// a reported orphan, never destroyed automatically).
type goneObjects struct {
	mu   sync.Mutex
	last map[key]reconcile.DestroyRequest
}

func (g *goneObjects) remember(k key, req reconcile.DestroyRequest) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[key]reconcile.DestroyRequest{}
	}
	g.last[k] = req
}

func (g *goneObjects) take(k key) (reconcile.DestroyRequest, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req, ok := g.last[k]
	delete(g.last, k)
	return req, ok
}

// errAgentNotReadyForGone asks the queue to look again at a gone object
// whose node's agent cannot be asked yet.
var errAgentNotReadyForGone = errors.New("the agent of a deleted object's node is not ready; will check for its pool again")

// rememberDeleted records a deleted object's pool, for syncGone.
func (c *Controller) rememberDeleted(kind string, obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	var view *v1beta3.DiskPool
	switch o := obj.(type) {
	case *v1beta3.DiskPool:
		view = o
	case *v1alpha1.MayastorPool:
		view = legacy.ToDiskPool(o)
	default:
		return
	}
	// Only an object that left with the operator's finalizer still on can
	// have left a pool behind: a normal delete ends with the finalizer
	// removed after the destroy, and a purge asks for the pool to stay.
	if !slices.Contains(view.Finalizers, v1beta3.Finalizer) ||
		view.Annotations[v1beta3.DeleteOptsAnnotation] == v1beta3.DeleteOptsPurge {
		return
	}
	c.gone.remember(key{Kind: kind, Namespace: view.Namespace, Name: view.Name},
		reconcile.DestroyRequest{Node: EffectiveNode(view), Name: view.Name, OwnerUID: string(view.UID)})
}

// syncGone destroys the pool of an object that has left the API, if its
// agent still reports one owned by that object. An error (agent away, pool
// in use) is returned so the queue retries with backoff.
func (c *Controller) syncGone(ctx context.Context, k key) error {
	req, ok := c.gone.take(k)
	if !ok || req.OwnerUID == "" {
		return nil
	}
	state, _, _ := c.agents.Agent(req.Node)
	view := c.agents.Pool(req.Node, req.Name)
	if state == reconcile.AgentReady && (!view.Found || view.Pool.OwnerUID != req.OwnerUID) {
		return nil // nothing of this object's is left
	}
	if state != reconcile.AgentReady {
		c.gone.remember(k, req)
		return errAgentNotReadyForGone
	}
	klog.FromContext(ctx).Info("Destroying the pool of an object that is gone",
		"node", klog.KRef("", req.Node), "pool", req.Name, "ownerUID", req.OwnerUID)
	if err := c.agents.DestroyPool(ctx, req); err != nil {
		c.gone.remember(k, req)
		return err
	}
	return nil
}
