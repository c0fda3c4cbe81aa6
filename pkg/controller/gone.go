package controller

import (
	"context"
	"errors"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/deleteopts"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// goneObjects remembers the pools of pool objects that left the API while
// a pool of theirs may still be on their node, until a sync has destroyed
// it or found it gone.
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

// rememberDeleted records the pool of an object of a's kind that a delete
// event reports gone with the operator's finalizer still on. A normal
// delete ends with the finalizer removed after the destroy, and a purge
// asks for the pool to stay: neither leaves anything to do.
func (c *Controller) rememberDeleted(a kindAdapter, item any) {
	obj, ok := a.Deleted(item)
	if !ok || obj.view.UID == "" {
		return
	}
	view := obj.view
	if !slices.Contains(view.Finalizers, v1beta3.Finalizer) {
		return
	}
	if v, ok := view.Annotations[v1beta3.DeleteOptsAnnotation]; ok {
		if opts, err := deleteopts.Parse(v); err == nil && opts.Purge {
			return
		}
	}
	c.gone.remember(key{Kind: a.Kind(), Namespace: view.Namespace, Name: view.Name},
		reconcile.DestroyRequest{Node: reconcile.EffectiveNode(view), Name: view.Name, OwnerUID: string(view.UID)})
}

// objectGone handles a failed status write. NotFound means the object is
// gone: there is nothing left to write. If this very sync created a pool
// for it, the object's delete raced the finalizer write and won (the API
// server decided to delete at once from the object it had read, before our
// finalizer, and our finalizer write did not stop it), so no one else would
// ever destroy that pool: destroyGone destroys it now, by the object's UID.
func (c *Controller) objectGone(ctx context.Context, s *syncState, err error) error {
	if !apierrors.IsNotFound(err) || s.created == nil {
		return ignoreNotFound(err)
	}
	klog.FromContext(ctx).Info("Object deleted while its pool was being created; destroying the pool",
		"node", klog.KRef("", s.created.Node), "ownerUID", s.created.OwnerUID)
	return c.destroyGone(ctx, s.key, reconcile.DestroyRequest{Node: s.created.Node, Name: s.created.Name, OwnerUID: s.created.OwnerUID})
}

// syncGone is the sync of an object that has left the API: it destroys
// the pool rememberDeleted recorded, if any.
func (c *Controller) syncGone(ctx context.Context, k key) error {
	req, ok := c.gone.take(k)
	if !ok {
		return nil
	}
	return c.destroyGone(ctx, k, req)
}

// destroyGone destroys the pool req names if the agent still reports it
// owned by req.OwnerUID. Until that is done or found unnecessary, req is
// remembered and an error returned, so the queue retries with backoff (the
// sync of the missing object takes it up again).
func (c *Controller) destroyGone(ctx context.Context, k key, req reconcile.DestroyRequest) error {
	if state, _ := c.agents.Agent(req.Node); state != reconcile.AgentReady {
		c.gone.remember(k, req)
		return errAgentNotReadyForGone
	}
	if view := c.agents.Pool(req.Node, req.Name); !view.Found || view.Pool.OwnerUID != req.OwnerUID {
		return nil // nothing of this object's is left
	}
	klog.FromContext(ctx).Info("Destroying the pool of an object that is gone",
		"node", klog.KRef("", req.Node), "pool", req.Name, "ownerUID", req.OwnerUID)
	ae, err := c.destroy(ctx, req)
	if err == nil && ae == nil {
		return nil
	}
	c.gone.remember(k, req)
	if err != nil {
		return err
	}
	return ae
}
