package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// maxSteps bounds the decide-and-execute loop of one sync. A create takes
// four decisions (add the finalizer, create the pool, write Created, done)
// and a delete three (destroy, remove the finalizer, done); a failed side
// effect adds one. A loop that has not settled by then is a state machine
// bug: the sync fails, so the queue backs off instead of spinning.
const maxSteps = 6

// syncState is one sync's object and observation, which execute keeps
// current: every write continues from the object the previous write
// returned, and every action's result is folded into the observation.
type syncState struct {
	key     key
	adapter kindAdapter
	obj     object
	obs     reconcile.Observation
	// created is the pool this sync created, if any (see objectGone).
	created *reconcile.CreateRequest
}

// next is what a sync does after executing a plan.
type next int

const (
	decideAgain next = iota
	done
	requeued // done, with a timed look queued
)

// syncHandler reconciles one object: observe, then decide and execute until
// a plan is done or asks for a retry or a timed look. Every write uses the
// object the previous write returned, so the resourceVersion chain holds
// and a stale cache fails with a conflict instead of overwriting. It writes
// nothing when nothing changed.
func (c *Controller) syncHandler(ctx context.Context, k key) (err error) {
	start := c.clock.Now()
	result := done
	defer func() {
		c.metrics.ObserveReconcile(k.Kind, resultOf(err, result == requeued), c.clock.Since(start))
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
	if c.echoes.isDeleted(k, string(obj.view.UID)) {
		// This controller's last write deleted it; the informer's report
		// of that queues the key again.
		logger.V(4).Info("Object was deleted by the last write; waiting for the cache to drop it")
		return nil
	}
	if c.echoes.deferIfPending(k, obj.view.ResourceVersion, c.clock.Now()) {
		// The cache is older than this controller's own last write: deciding
		// on it would only fail with a conflict. The arrival of that write
		// queues the object again; the timed look is a safety net.
		logger.V(4).Info("Deferring sync until the cache has the controller's last write")
		c.queue.AddAfter(k, echoWait)
		return nil
	}

	s, err := c.observe(k, adapter, obj)
	if err != nil {
		return err
	}
	for step := range maxSteps {
		plan := reconcile.Decide(s.obs)
		logger.V(4).Info("Decided", "step", step, "action", plan.Action, "writeStatus", plan.Status != nil,
			"events", len(plan.Events), "retry", plan.Retry, "requeueAfter", plan.RequeueAfter)
		if result, err = c.execute(ctx, s, plan); err != nil || result != decideAgain {
			return err
		}
	}
	return fmt.Errorf("reconcile did not settle after %d steps", maxSteps)
}

// observe builds the observation of obj: its node and its pool as known
// right now.
func (c *Controller) observe(k key, a kindAdapter, obj object) (*syncState, error) {
	node := reconcile.EffectiveNode(obj.view)
	nv, err := c.observeNode(node)
	if err != nil {
		return nil, err
	}
	pool := c.observePool(node, obj.view)
	secret, err := c.observeSecret(obj.view)
	if err != nil {
		return nil, err
	}
	return &syncState{key: k, adapter: a, obj: obj, obs: reconcile.Observation{
		Object:           obj.view,
		Node:             nv,
		Pool:             pool,
		Now:              c.clock.Now(),
		EncryptionSecret: secret,
		LastReplicas:     lastReplicas(pool, obj.view),
	}}, nil
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
	nv.Agent, nv.AgentMessage = c.agents.Agent(name)
	return nv, nil
}

// observePool is the agent's report of the pool named after view on node,
// with the object that owns it when that is another one.
func (c *Controller) observePool(node string, view *v1beta3.DiskPool) reconcile.PoolView {
	pool := c.agents.Pool(node, view.Name)
	if pool.Found && pool.Pool.OwnerUID != string(view.UID) {
		pool.Owner = c.ownerOf(node, view.Name, pool.Pool.OwnerUID)
	}
	return pool
}

// execute carries out one plan: its status write, its events, then its one
// action, each folded into s.
func (c *Controller) execute(ctx context.Context, s *syncState, plan reconcile.Plan) (next, error) {
	written := false
	if plan.Status != nil {
		var err error
		if written, err = c.writeStatus(ctx, s, plan.Status); err != nil {
			return done, c.objectGone(ctx, s, err)
		}
	}
	// A plan's events describe its status change or its action. When the
	// kind's stored status needed no write (a lossy MayastorPool status that
	// already says the same) and there is no action, they describe nothing
	// new: recording them would repeat them at every sync. A DiskPool
	// status write is never skipped.
	if written || plan.Status == nil || plan.Action != reconcile.ActionNone {
		c.recordEvents(s.obj, plan)
	}
	s.obs.LastError = nil

	switch plan.Action {
	case reconcile.ActionNone:
		return c.wait(s, plan)
	case reconcile.ActionAddFinalizer:
		return c.writeFinalizers(ctx, s, addFinalizer(s.obj.view.Finalizers))
	case reconcile.ActionRemoveFinalizer:
		return c.writeFinalizers(ctx, s, removeFinalizer(s.obj.view.Finalizers))
	case reconcile.ActionCreatePool:
		return c.createPool(ctx, s, plan.Create)
	case reconcile.ActionDestroyPool:
		return c.destroyPool(ctx, s, plan.Destroy)
	case reconcile.ActionExpandPool:
		return c.expandPool(ctx, s, plan.Expand)
	case reconcile.ActionRemoveExpandAnnotation:
		return c.removeExpandAnnotation(ctx, s)
	}
	return done, fmt.Errorf("plan with unknown action %v", plan.Action)
}

// wait ends a plan without an action: a backoff retry, a timed look, done,
// or, after a status write alone, another decision (the status just
// written may be what the next step waits for).
func (c *Controller) wait(s *syncState, plan reconcile.Plan) (next, error) {
	switch {
	case plan.Retry:
		return done, &retryError{reason: plan.RetryReason}
	case plan.RequeueAfter > 0:
		c.queue.AddAfter(s.key, plan.RequeueAfter)
		return requeued, nil
	case plan.Status == nil:
		return done, nil
	}
	return decideAgain, nil
}

// writeStatus writes status through the adapter; written is false when the
// adapter found nothing to write.
func (c *Controller) writeStatus(ctx context.Context, s *syncState, status *v1beta3.DiskPoolStatus) (bool, error) {
	out, written, err := s.adapter.UpdateStatus(ctx, s.obj, status)
	if written {
		c.metrics.ObserveWrite("update", s.adapter.Resource()+"/status", err)
	}
	if err != nil {
		return written, err
	}
	if written {
		c.echoes.wrote(s.key, out.view.ResourceVersion, c.clock.Now())
		klog.FromContext(ctx).V(2).Info("Updated status", "crState", out.view.Status.CRState,
			"poolStatus", out.view.Status.PoolStatus, "ready", readyReason(out.view))
	}
	s.obj, s.obs.Object = out, out.view
	return written, nil
}

// writeFinalizers writes the object with finalizers. Once the last
// finalizer of an object being deleted is gone, the API server deletes it:
// there is nothing left to decide.
func (c *Controller) writeFinalizers(ctx context.Context, s *syncState, finalizers []string) (next, error) {
	out, err := s.adapter.UpdateFinalizers(ctx, s.obj, finalizers)
	c.metrics.ObserveWrite("update", s.adapter.Resource(), err)
	if err != nil {
		return done, ignoreNotFound(err)
	}
	c.echoes.wrote(s.key, out.view.ResourceVersion, c.clock.Now())
	klog.FromContext(ctx).V(2).Info("Updated finalizers", "finalizers", finalizers)
	if out.view.DeletionTimestamp != nil && len(finalizers) == 0 {
		c.echoes.wroteDelete(s.key, string(out.view.UID))
		return done, nil
	}
	s.obj, s.obs.Object = out, out.view
	return decideAgain, nil
}

// createPool performs a CreatePool and folds its result into s. After a
// refusal, the observation is refreshed with who holds the pool's name and
// disks, so that Decide can say so.
func (c *Controller) createPool(ctx context.Context, s *syncState, req *reconcile.CreateRequest) (next, error) {
	if req == nil {
		return done, errors.New("plan to create a pool without a request")
	}
	logger := klog.FromContext(ctx)
	call := *req
	call.OwnerKind, call.OwnerNamespace, call.OwnerName = s.key.Kind, s.key.Namespace, s.key.Name // recorded in the label
	pool, err := c.agents.CreatePool(ctx, call)
	if err != nil {
		if s.obs.LastError, err = agentError(ctx, reconcile.ActionCreatePool, err); err != nil {
			return done, err
		}
		s.obs.Pool = c.observePool(req.Node, s.obj.view)
		s.obs.DiskHolders = c.diskHolders(req.Node, string(s.obj.view.UID), req.Disks)
		logger.V(2).Info("Creating the pool failed", "node", klog.KRef("", req.Node),
			"reason", s.obs.LastError.Reason, "message", s.obs.LastError.Message)
		return decideAgain, nil
	}
	s.obs.Pool = reconcile.PoolView{Found: true, Pool: pool, FromCreate: true, AdoptedFrom: req.AdoptOwnerUID}
	if req.AdoptOwnerUID == "" {
		s.created = req // an adopted pool was someone's before: never destroyed by objectGone
	}
	logger.V(2).Info("Created pool", "node", klog.KRef("", req.Node), "poolUUID", pool.UUID)
	return decideAgain, nil
}

// destroyPool performs the plan's DestroyPool and folds its result into s.
func (c *Controller) destroyPool(ctx context.Context, s *syncState, req *reconcile.DestroyRequest) (next, error) {
	if req == nil {
		return done, errors.New("plan to destroy a pool without a request")
	}
	ae, err := c.destroy(ctx, *req)
	if err != nil {
		return done, err
	}
	if s.obs.LastError = ae; ae == nil {
		s.obs.Pool = reconcile.PoolView{}
		s.obs.DestroyAnswered = true
	}
	return decideAgain, nil
}

// destroy is the one path by which a pool is destroyed: a plan's, and the
// pool of an object that is gone (gone.go). It returns the agent's failure
// as an AgentError, or an error when the call was cut short by shutdown.
func (c *Controller) destroy(ctx context.Context, req reconcile.DestroyRequest) (*reconcile.AgentError, error) {
	logger := klog.FromContext(ctx).WithValues("node", klog.KRef("", req.Node), "pool", req.Name, "ownerUID", req.OwnerUID)
	err := c.agents.DestroyPool(ctx, req)
	if err == nil {
		logger.V(2).Info("Destroyed pool")
		return nil, nil
	}
	ae, err := agentError(ctx, reconcile.ActionDestroyPool, err)
	if err != nil {
		return nil, err
	}
	logger.V(2).Info("Destroying the pool failed", "reason", ae.Reason, "message", ae.Message)
	return ae, nil
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

// agentError returns the *reconcile.AgentError of a failed agent call of
// op, classified once, by the pool client (pkg/poolclient.AgentError). A
// call cut short by the controller's own shutdown is not the agent's
// failure: ctx's error is returned instead, so nothing is written. Any
// other error breaks the Agents contract; it is returned too, so the queue
// retries and the log says so, rather than being guessed at here.
func agentError(ctx context.Context, op reconcile.Action, err error) (*reconcile.AgentError, error) {
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%v interrupted: %w", op, context.Cause(ctx))
	}
	var ae *reconcile.AgentError
	if errors.As(err, &ae) {
		return ae, nil
	}
	return nil, fmt.Errorf("%v failed with an unclassified error: %w", op, err)
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

func addFinalizer(finalizers []string) []string {
	if slices.Contains(finalizers, v1beta3.Finalizer) {
		return finalizers
	}
	return append(slices.Clone(finalizers), v1beta3.Finalizer)
}

func removeFinalizer(finalizers []string) []string {
	return slices.DeleteFunc(slices.Clone(finalizers), func(f string) bool { return f == v1beta3.Finalizer })
}
