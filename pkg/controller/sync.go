package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// maxSteps bounds the decide-and-execute loop of one sync. A create takes
// four decisions (add the finalizer, create the pool, write Created, done)
// and a delete three (write Terminating, destroy, remove the finalizer); a
// failed side effect adds one. A loop that has not settled by then is a state
// machine bug: the sync fails, so the queue backs off instead of spinning.
const maxSteps = 6

// syncHandler reconciles one object: it observes the object, its node and
// its pool, then decides and executes until the plan is done (no write, no
// side effect) or asks for a retry or a timed look. Every write
// uses the object the previous write returned, so the resourceVersion
// chain holds and a stale cache fails with a conflict instead of
// overwriting. It writes nothing when nothing changed.
func (c *Controller) syncHandler(ctx context.Context, k key) (err error) {
	start := c.clock.Now()
	requeued := false
	defer func() {
		c.metrics.ObserveReconcile(k.Kind, resultOf(err, requeued), c.clock.Since(start))
	}()
	logger := klog.FromContext(ctx)

	adapter, ok := c.kinds[k.Kind]
	if !ok {
		return fmt.Errorf("no adapter for kind %q", k.Kind)
	}
	obj, exists, err := adapter.Get(k.Namespace, k.Name)
	if err != nil {
		return err
	}
	if !exists {
		logger.V(4).Info("Object is gone")
		c.echoes.forget(k)
		return c.syncGone(ctx, k)
	}

	if c.echoes.deferIfPending(k, obj.view.ResourceVersion, c.clock.Now()) {
		// The cache is older than this controller's own last write: deciding
		// on it would only fail with a conflict. The arrival of that write
		// queues the object again; the timed look is a safety net.
		logger.V(4).Info("Deferring sync until the cache has the controller's last write")
		c.queue.AddAfter(k, echoWait)
		return nil
	}

	obs, err := c.observe(obj)
	if err != nil {
		return err
	}
	// createdHere is the pool this sync created, if any (see objectGone).
	var createdHere *reconcile.CreateRequest
	for step := range maxSteps {
		plan := reconcile.Decide(obs)
		logger.V(4).Info("Decided", "step", step, "action", plan.Action, "writeStatus", plan.Status != nil,
			"events", len(plan.Events), "retry", plan.Retry, "requeueAfter", plan.RequeueAfter)

		written := false
		if plan.Status != nil {
			if obj, written, err = c.updateStatus(ctx, k, adapter, obj, plan.Status); err != nil {
				return c.objectGone(ctx, createdHere, err)
			}
			obs.Object = obj.view
			if written {
				logger.V(2).Info("Updated status", "crState", obj.view.Status.CRState,
					"poolStatus", obj.view.Status.PoolStatus, "ready", readyReason(obj.view))
			}
		}
		// A plan's events describe its status change or its action. When
		// the kind's stored status needed no write (a lossy MayastorPool
		// status that already says the same) and there is no action, they
		// describe nothing new: recording them would repeat them at every
		// sync. A DiskPool status write is never skipped.
		if written || plan.Status == nil || plan.Action != reconcile.ActionNone {
			c.recordEvents(obj, plan)
		}
		obs.LastError = nil

		switch plan.Action {
		case reconcile.ActionNone:
			switch {
			case plan.Retry:
				return &retryError{reason: plan.RetryReason}
			case plan.RequeueAfter > 0:
				c.queue.AddAfter(k, plan.RequeueAfter)
				requeued = true
				return nil
			case plan.Status == nil:
				return nil // Done.
			}
			// The status just written may be what the next step waits
			// for (Terminating before destroy): decide again.

		case reconcile.ActionAddFinalizer:
			if obj, err = c.updateFinalizers(ctx, k, adapter, obj, addFinalizer(obj.view.Finalizers)); err != nil {
				return ignoreNotFound(err)
			}
			obs.Object = obj.view
			logger.V(2).Info("Added finalizer")

		case reconcile.ActionRemoveFinalizer:
			if obj, err = c.updateFinalizers(ctx, k, adapter, obj, removeFinalizer(obj.view.Finalizers)); err != nil {
				return ignoreNotFound(err)
			}
			logger.V(2).Info("Removed finalizer")
			if obj.view.DeletionTimestamp != nil {
				// The API server deletes the object once its last
				// finalizer is gone; there is nothing left to write.
				return nil
			}
			obs.Object = obj.view

		case reconcile.ActionCreatePool:
			if plan.Create == nil {
				return errors.New("plan to create a pool without a request")
			}
			pool, err := c.agents.CreatePool(ctx, *plan.Create)
			if err != nil {
				if obs.LastError, err = agentError(ctx, reconcile.ActionCreatePool, err); err != nil {
					return err
				}
				obs.LastError = c.nameHolder(obj, *plan.Create, obs.LastError)
				logger.V(2).Info("Creating the pool failed", "node", klog.KRef("", plan.Create.Node), "reason", obs.LastError.Reason, "message", obs.LastError.Message)
				break
			}
			obs.Pool = reconcile.PoolView{Found: true, Pool: pool, FromCreate: true, AdoptedFrom: plan.Create.AdoptOwnerUID}
			if plan.Create.AdoptOwnerUID == "" {
				createdHere = plan.Create // an adopted pool was someone's before: never destroyed here
			} else {
				// The previous owner must learn it lost the pool.
				c.enqueueNamesakes(k, plan.Create.Node, plan.Create.Name)
			}
			logger.V(2).Info("Created pool", "node", klog.KRef("", plan.Create.Node), "poolUUID", pool.UUID)

		case reconcile.ActionDestroyPool:
			if plan.Destroy == nil {
				return errors.New("plan to destroy a pool without a request")
			}
			if err := c.agents.DestroyPool(ctx, *plan.Destroy); err != nil {
				if obs.LastError, err = agentError(ctx, reconcile.ActionDestroyPool, err); err != nil {
					return err
				}
				logger.V(2).Info("Destroying the pool failed", "node", klog.KRef("", plan.Destroy.Node), "reason", obs.LastError.Reason, "message", obs.LastError.Message)
				break
			}
			obs.Pool = reconcile.PoolView{}
			// An object refused for this name may have it now.
			c.enqueueNamesakes(k, plan.Destroy.Node, plan.Destroy.Name)
			logger.V(2).Info("Destroyed pool", "node", klog.KRef("", plan.Destroy.Node))

		default:
			return fmt.Errorf("plan with unknown action %v", plan.Action)
		}
	}
	return fmt.Errorf("reconcile did not settle after %d steps", maxSteps)
}

// observe builds the observation of obj: its node and its pool as known
// right now.
func (c *Controller) observe(obj object) (reconcile.Observation, error) {
	node := EffectiveNode(obj.view)
	nv, err := c.observeNode(node)
	if err != nil {
		return reconcile.Observation{}, err
	}
	pool := c.agents.Pool(node, obj.view.Name)
	if pool.Found && pool.Pool.OwnerUID != string(obj.view.UID) {
		pool.Owner = c.ownerOf(node, obj.view.Name, pool.Pool.OwnerUID)
	}
	return reconcile.Observation{
		Object: obj.view,
		Node:   nv,
		Pool:   pool,
		Now:    c.clock.Now(),
	}, nil
}

func (c *Controller) observeNode(name string) (reconcile.NodeView, error) {
	var nv reconcile.NodeView
	switch _, err := c.nodeLister.Get(name); {
	case err == nil:
		nv.Exists = true
	case apierrors.IsNotFound(err):
	default:
		return nv, fmt.Errorf("reading node %s from the cache: %w", name, err)
	}
	nv.Agent, nv.AgentMessage, nv.LeaseExpiresAt = c.agents.Agent(name)
	return nv, nil
}

// updateStatus writes status through the adapter; written is false when
// the adapter found nothing to write.
func (c *Controller) updateStatus(ctx context.Context, k key, a kindAdapter, obj object, status *v1beta3.DiskPoolStatus) (object, bool, error) {
	out, written, err := a.UpdateStatus(ctx, obj, status)
	if !written {
		return out, false, err
	}
	c.metrics.ObserveWrite("update", a.Resource()+"/status", err)
	if err == nil {
		c.echoes.wrote(k, out.view.ResourceVersion, c.clock.Now())
	}
	return out, true, err
}

func (c *Controller) updateFinalizers(ctx context.Context, k key, a kindAdapter, obj object, finalizers []string) (object, error) {
	out, err := a.UpdateFinalizers(ctx, obj, finalizers)
	c.metrics.ObserveWrite("update", a.Resource(), err)
	if err == nil {
		c.echoes.wrote(k, out.view.ResourceVersion, c.clock.Now())
	}
	return out, err
}

// recordEvents records the plan's events on the stored object.
func (c *Controller) recordEvents(obj object, plan reconcile.Plan) {
	action := "Reconcile"
	if plan.Action != reconcile.ActionNone {
		action = plan.Action.String()
	}
	for _, ev := range plan.Events {
		c.recorder.Eventf(obj.stored, nil, string(ev.Type), ev.Reason, action, "%s", ev.Message)
	}
}

// agentError turns a failed agent call into the observation's LastError.
// A call cut short by the controller's own shutdown is not the agent's
// failure: it returns ctx's error instead, so no failure is written.
func agentError(ctx context.Context, op reconcile.Action, err error) (*reconcile.AgentError, error) {
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%v interrupted: %w", op, context.Cause(ctx))
	}
	var ae *reconcile.AgentError
	if errors.As(err, &ae) {
		return ae, nil
	}
	// The Agents contract says *reconcile.AgentError; anything else is
	// treated as the agent being unreachable.
	return &reconcile.AgentError{Op: op, Reason: reconcile.ReasonAgentUnavailable, Message: err.Error()}, nil
}

func addFinalizer(finalizers []string) []string {
	if slices.Contains(finalizers, v1beta3.Finalizer) {
		return finalizers
	}
	return append(slices.Clone(finalizers), v1beta3.Finalizer)
}

func removeFinalizer(finalizers []string) []string {
	return slices.DeleteFunc(slices.Clone(finalizers), func(f string) bool { return f == v1beta3.Finalizer })
}

// objectGone handles a failed status write. NotFound means the object is
// gone: there is nothing left to write. If this very sync created a pool
// for it, the object's delete raced the finalizer write and won (the API
// server decided to delete at once from the object it had read, before our
// finalizer, and our finalizer write did not stop it), so no one would ever
// destroy that pool: destroy it now. The destroy carries the object's UID,
// so it can only remove this object's pool.
func (c *Controller) objectGone(ctx context.Context, created *reconcile.CreateRequest, err error) error {
	if !apierrors.IsNotFound(err) || created == nil {
		return ignoreNotFound(err)
	}
	klog.FromContext(ctx).Info("Object deleted while its pool was being created; destroying the pool",
		"node", klog.KRef("", created.Node), "ownerUID", created.OwnerUID)
	req := reconcile.DestroyRequest{Node: created.Node, Name: created.Name, OwnerUID: created.OwnerUID}
	if derr := c.agents.DestroyPool(ctx, req); derr != nil {
		// The object is gone, so no later sync would retry: say so loudly.
		utilruntime.HandleErrorWithContext(ctx, derr, "Pool of a deleted object left on its node; destroy it by hand",
			"node", klog.KRef("", created.Node), "pool", created.Name, "ownerUID", created.OwnerUID)
	}
	return nil
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// readyReason returns the reason of the Ready condition, for logs.
func readyReason(dsp *v1beta3.DiskPool) string {
	for _, c := range dsp.Status.Conditions {
		if c.Type == v1beta3.ConditionReady {
			return string(c.Status) + "/" + c.Reason
		}
	}
	return ""
}

// resultOf classifies a sync for the reconcile metrics.
func resultOf(err error, requeued bool) string {
	var retry *retryError
	switch {
	case err == nil && requeued:
		return ResultRequeue
	case err == nil:
		return ResultSuccess
	case errors.As(err, &retry):
		return ResultRetry
	case apierrors.IsConflict(err):
		return ResultConflict
	}
	return ResultError
}
