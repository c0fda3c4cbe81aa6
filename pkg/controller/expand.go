package controller

import (
	"context"
	"errors"

	"k8s.io/klog/v2"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// expandPool performs the plan's ExpandPool and folds its result into s:
// the grown pool, marked FromExpand, or the agent's refusal.
func (c *Controller) expandPool(ctx context.Context, s *syncState, req *reconcile.ExpandRequest) (next, error) {
	if req == nil {
		return done, errors.New("plan to expand a pool without a request")
	}
	logger := klog.FromContext(ctx).WithValues("node", klog.KRef("", req.Node), "pool", req.Name)
	pool, err := c.agents.ExpandPool(ctx, *req)
	if err != nil {
		if s.obs.LastError, err = agentError(ctx, reconcile.ActionExpandPool, err); err != nil {
			return done, err
		}
		logger.V(2).Info("Expanding the pool failed", "reason", s.obs.LastError.Reason, "message", s.obs.LastError.Message)
		return decideAgain, nil
	}
	s.obs.Pool = reconcile.PoolView{Found: true, Pool: pool, FromExpand: true}
	logger.V(2).Info("Expanded pool", "capacity", pool.Capacity, "diskCapacity", pool.DiskCapacity)
	return decideAgain, nil
}

// removeExpandAnnotation ends an expansion request, done or refused. The
// next decision sees the object without it and reports the pool as usual.
func (c *Controller) removeExpandAnnotation(ctx context.Context, s *syncState) (next, error) {
	out, err := s.adapter.RemoveAnnotation(ctx, s.obj, v1beta3.ExpandAnnotation)
	c.metrics.ObserveWrite("update", s.adapter.Resource(), err)
	if err != nil {
		return done, ignoreNotFound(err)
	}
	c.echoes.wrote(s.key, out.view.ResourceVersion, c.clock.Now())
	klog.FromContext(ctx).V(2).Info("Removed annotation", "annotation", v1beta3.ExpandAnnotation)
	s.obj, s.obs.Object = out, out.view
	s.obs.Pool.FromExpand = false
	return decideAgain, nil
}
