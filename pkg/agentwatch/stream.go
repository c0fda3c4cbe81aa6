package agentwatch

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/pkg/poolclient"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// errNoSnapshot cancels a stream whose first snapshot is late.
var errNoSnapshot = errors.New("no pool snapshot in time")

// runConnection keeps a pool stream open to one endpoint of one node until
// ctx ends (the Lease went away, the endpoint changed, or Run stopped).
// Each attempt dials a fresh connection, so this backoff is the only one:
// gRPC's own reconnect backoff never delays a retry after the agent is back.
func (t *Tracker) runConnection(ctx context.Context, nodeName string, c *connection) {
	defer t.wg.Done()
	logger := klog.FromContext(ctx).WithValues("node", nodeName, "endpoint", c.endpoint)
	ctx = klog.NewContext(ctx, logger)
	backoff := t.backoff
	var client *poolclient.Client
	defer func() {
		if client != nil {
			_ = client.Close()
		}
	}()
	for {
		opts := t.clientOpts
		opts.Node = nodeName
		// The previous client is withdrawn before it is closed; the new
		// one is published with the stream's first snapshot, once the
		// agent has shown it serves this node.
		t.withdrawClient(nodeName, c)
		if client != nil {
			_ = client.Close()
		}
		var err error
		client, err = poolclient.Dial(c.endpoint, opts)
		synced := false
		if err == nil {
			logger.V(4).Info("Opening pool stream")
			synced, err = t.watch(ctx, nodeName, c, client)
		}
		if ctx.Err() != nil {
			return
		}
		if synced {
			backoff = t.backoff
		}
		delay := backoff.Step()
		t.streamFailed(nodeName, c, err)
		logger.V(2).Info("Pool stream failed, reopening", "err", err, "delay", delay)
		timer := t.clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
		}
	}
}

// watch runs one stream until it fails or ctx ends, and reports whether it
// reached its snapshot. A stream that sends no snapshot within
// connectTimeout fails.
func (t *Tracker) watch(ctx context.Context, nodeName string, c *connection, client *poolclient.Client) (synced bool, err error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	gotSnapshot := make(chan struct{})
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		timer := t.clock.NewTimer(t.connectTimeout)
		defer timer.Stop()
		select {
		case <-timer.C():
			cancel(errNoSnapshot)
		case <-gotSnapshot:
		case <-wctx.Done():
		}
	}()
	err = client.Watch(wctx, func(ev poolclient.WatchEvent) {
		if ev.Type == poolclient.WatchSnapshot && !synced {
			synced = true
			close(gotSnapshot)
		}
		t.apply(nodeName, c, client, ev)
	})
	if err == nil && ctx.Err() == nil && errors.Is(context.Cause(wctx), errNoSnapshot) {
		err = fmt.Errorf("no pool snapshot from %s within %s", c.endpoint, t.connectTimeout)
	}
	if err == nil && ctx.Err() == nil {
		// Watch returns nil only when its context ends.
		err = errors.New("pool stream ended")
	}
	return synced, err
}

// withdrawClient stops CreatePool and DestroyPool from using node's client,
// if c is still its connection.
func (t *Tracker) withdrawClient(nodeName string, c *connection) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.nodes[nodeName]; n != nil && n.conn == c {
		n.client = nil
	}
}

// streamFailed records a failed stream of connection c.
func (t *Tracker) streamFailed(nodeName string, c *connection, err error) {
	t.mu.Lock()
	n := t.nodes[nodeName]
	if n == nil || n.conn != c {
		t.mu.Unlock()
		return
	}
	if errors.Is(err, poolclient.ErrWrongNode) {
		// Never send a side effect to another node's agent.
		n.client = nil
	}
	msg := "agent unreachable"
	if err != nil {
		msg = err.Error()
	}
	t.metrics.reconnect(nodeName)
	changes := t.setStateLocked(n, reconcile.AgentUnreachable, msg)
	t.mu.Unlock()
	t.notify(changes)
}

// apply folds one stream event of connection c, read through client, into
// node's cache.
func (t *Tracker) apply(nodeName string, c *connection, client *poolclient.Client, ev poolclient.WatchEvent) {
	t.mu.Lock()
	n := t.nodes[nodeName]
	if n == nil || n.conn != c {
		t.mu.Unlock()
		return
	}
	var changes []change
	switch ev.Type {
	case poolclient.WatchSnapshot:
		n.pools.replace(ev.Pools)
		n.client = client
		t.setStateLocked(n, reconcile.AgentReady, "")
		t.logger.V(4).Info("Pool snapshot", "node", nodeName, "pools", len(ev.Pools), "sequence", ev.Sequence)
		changes = []change{{node: nodeName}}
	case poolclient.WatchUpsert:
		if n.pools.upsert(ev.Pool) {
			t.logger.V(4).Info("Pool changed", "node", nodeName, "pool", ev.Pool.Name, "health", ev.Pool.Health, "sequence", ev.Sequence)
			changes = []change{{node: nodeName, pool: ev.Pool.Name}}
		}
	case poolclient.WatchDelete:
		if n.pools.remove(ev.Pool.Name, ev.Pool.UUID) {
			t.logger.V(4).Info("Pool deleted", "node", nodeName, "pool", ev.Pool.Name, "sequence", ev.Sequence)
			changes = []change{{node: nodeName, pool: ev.Pool.Name}}
		}
	}
	t.mu.Unlock()
	t.notify(changes)
}
