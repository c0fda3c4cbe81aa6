package agentwatch

import (
	"context"
	"fmt"

	"github.com/diskpool/diskpool-operator/pkg/poolclient"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// CreatePool creates or imports a pool through the agent of req.Node and,
// on success, records the pool in the cache at once and notifies the change
// handlers like for a stream update (so the objects that name the pool,
// e.g. the previous owner of an adopted pool, learn of it). Without a live
// agent it fails with
// reconcile.ReasonAgentUnavailable and dials nothing. Errors are
// *reconcile.AgentError.
func (t *Tracker) CreatePool(ctx context.Context, req reconcile.CreateRequest) (reconcile.Pool, error) {
	client, err := t.clientFor(req.Node, reconcile.ActionCreatePool)
	if err != nil {
		return reconcile.Pool{}, err
	}
	pool, err := client.CreatePool(ctx, req)
	if err != nil {
		return reconcile.Pool{}, err
	}
	t.recordPool(req.Node, req.Name, pool)
	return pool, nil
}

// DestroyPool destroys a pool through the agent of req.Node and, on
// success, removes it from the cache at once (stream events sent before the
// destroy cannot bring it back) and notifies the change handlers, so an
// object refused for that name tries again. Without a live agent it fails
// with
// reconcile.ReasonAgentUnavailable and dials nothing. Errors are
// *reconcile.AgentError.
func (t *Tracker) DestroyPool(ctx context.Context, req reconcile.DestroyRequest) error {
	client, err := t.clientFor(req.Node, reconcile.ActionDestroyPool)
	if err != nil {
		return err
	}
	if err := client.DestroyPool(ctx, req); err != nil {
		return err
	}
	t.mu.Lock()
	changed := false
	if n := t.nodes[req.Node]; n != nil {
		changed = n.pools.destroyedPool(req.Name)
	}
	t.mu.Unlock()
	if changed {
		t.notify([]change{{node: req.Node, pool: req.Name}})
	}
	return nil
}

// ExpandPool grows a pool through the agent of req.Node and, on success,
// records the grown pool in the cache at once and notifies the change
// handlers, like CreatePool. Errors are *reconcile.AgentError.
func (t *Tracker) ExpandPool(ctx context.Context, req reconcile.ExpandRequest) (reconcile.Pool, error) {
	client, err := t.clientFor(req.Node, reconcile.ActionExpandPool)
	if err != nil {
		return reconcile.Pool{}, err
	}
	pool, err := client.ExpandPool(ctx, req)
	if err != nil {
		return reconcile.Pool{}, err
	}
	t.recordPool(req.Node, req.Name, pool)
	return pool, nil
}

// recordPool puts the pool an agent call returned into the node's cache and,
// when that changed it, notifies the change handlers like a stream update.
func (t *Tracker) recordPool(node, name string, pool reconcile.Pool) {
	t.mu.Lock()
	changed := false
	if n := t.nodes[node]; n != nil && n.state != reconcile.AgentMissing {
		changed = n.pools.created(pool)
	}
	t.mu.Unlock()
	if changed {
		t.notify([]change{{node: node, pool: name}})
	}
}

// clientFor returns the client of node's live agent.
func (t *Tracker) clientFor(nodeName string, op reconcile.Action) (*poolclient.Client, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[nodeName]
	if n == nil || n.state == reconcile.AgentMissing || !n.expiresAt.After(t.clock.Now()) {
		return nil, &reconcile.AgentError{Op: op, Reason: reconcile.ReasonAgentUnavailable,
			Message: fmt.Sprintf("node %s has no live diskpool-agent", nodeName)}
	}
	if n.client == nil {
		msg := fmt.Sprintf("the diskpool-agent of node %s is not connected", nodeName)
		if n.message != "" {
			msg += ": " + n.message
		}
		return nil, &reconcile.AgentError{Op: op, Reason: reconcile.ReasonAgentUnavailable, Message: msg}
	}
	return n.client, nil
}
