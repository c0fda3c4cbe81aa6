package agentwatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/pkg/poolclient"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// errNoSnapshot cancels a stream whose first snapshot is late.
var errNoSnapshot = errors.New("no pool snapshot in time")

// silentError fails a stream that carried no message, not even a
// heartbeat, for timeout: the agent's process or node stopped answering
// without closing the connection (frozen, powered off, partitioned).
type silentError struct {
	endpoint          string
	timeout, interval time.Duration
}

func (e *silentError) Error() string {
	return fmt.Sprintf("no message on the pool stream from %s for %s, though the agent sends a heartbeat every %s: its process or its node stopped answering without closing the connection",
		e.endpoint, e.timeout, e.interval)
}

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
		opts.HeartbeatInterval = t.heartbeat
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
		var delay time.Duration
		if t.streamFailed(nodeName, c, err).Settling() {
			// Within the grace: redial at the shortest interval, so that an
			// agent back in time is found before the grace ends.
			delay = wait.Jitter(t.backoff.Duration, t.backoff.Jitter)
		} else {
			delay = backoff.Step()
		}
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
// connectTimeout fails, and so does one silent for heartbeatMisses of the
// heartbeat interval its snapshot announced.
func (t *Tracker) watch(ctx context.Context, nodeName string, c *connection, client *poolclient.Client) (synced bool, err error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// heard carries, after each message, how long the stream may now stay
	// silent (0: no heartbeats, no limit). Coalesced: the watchdog only
	// needs the latest.
	heard := make(chan time.Duration, 1)
	var silence time.Duration
	t.wg.Add(1)
	go t.watchdog(wctx, cancel, c.endpoint, heard)
	err = client.Watch(wctx, func(ev poolclient.WatchEvent) {
		if ev.Type == poolclient.WatchSnapshot {
			synced = true
			silence = heartbeatMisses * ev.HeartbeatInterval
		}
		// This goroutine is the only sender: once drained, the send
		// cannot block.
		select {
		case <-heard:
		default:
		}
		heard <- silence
		if ev.Type != poolclient.WatchHeartbeat {
			t.apply(nodeName, c, client, ev)
		}
	})
	if err == nil && ctx.Err() == nil {
		var silent *silentError
		switch cause := context.Cause(wctx); {
		case errors.Is(cause, errNoSnapshot):
			err = fmt.Errorf("no pool snapshot from %s within %s", c.endpoint, t.connectTimeout)
		case errors.As(cause, &silent):
			err = silent
		default:
			// Watch returns nil only when its context ends.
			err = errors.New("pool stream ended")
		}
	}
	return synced, err
}

// watchdog cancels a stream whose first message is later than
// connectTimeout, or that is then silent for longer than the last value
// from heard. Its timers run on the Tracker's clock.
func (t *Tracker) watchdog(ctx context.Context, cancel context.CancelCauseFunc, endpoint string, heard <-chan time.Duration) {
	defer t.wg.Done()
	timer := t.clock.NewTimer(t.connectTimeout)
	cause := errNoSnapshot
	var silent *silentError
	var deadline time.Time
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
			if silent != nil && firedLate(deadline, t.clock.Now(), silent.interval) {
				// This process, not the agent, was stalled (frozen,
				// starved): the messages that came meanwhile may be
				// unread. Look again one interval later.
				deadline = t.clock.Now().Add(silent.interval)
				timer = t.clock.NewTimer(silent.interval)
				silent = nil
				continue
			}
			cancel(cause)
			return
		case d := <-heard:
			timer.Stop()
			if d <= 0 {
				// An agent without heartbeats: gRPC keepalive is the guard.
				<-ctx.Done()
				return
			}
			deadline = t.clock.Now().Add(d)
			timer = t.clock.NewTimer(d)
			silent = &silentError{endpoint: endpoint, timeout: d, interval: d / heartbeatMisses}
			cause = silent
		}
	}
}

// firedLate reports whether a timer due at deadline that fired at now
// fired more than interval late: the process was not running when it was
// due, so the silence it measured is partly its own.
func firedLate(deadline, now time.Time, interval time.Duration) bool {
	return now.Sub(deadline) > interval
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

// streamFailed records a failed stream (or dial) of connection c and
// returns the node's new state. A Ready agent's stream that broke is
// Reconnecting, and an opening one stays Syncing, until the grace ends
// (runExpiry); a stream that went silent, or reached another node's agent,
// is Unreachable at once: the silence was the grace, and a wrong node is
// no blip.
func (t *Tracker) streamFailed(nodeName string, c *connection, err error) reconcile.AgentState {
	t.mu.Lock()
	n := t.nodes[nodeName]
	if n == nil || n.conn != c {
		t.mu.Unlock()
		return reconcile.AgentMissing
	}
	wrongNode := errors.Is(err, poolclient.ErrWrongNode)
	if wrongNode {
		// Never send a side effect to another node's agent.
		n.client = nil
	}
	msg := "agent unreachable"
	if err != nil {
		msg = err.Error()
	}
	t.metrics.reconnect(nodeName)
	var silent *silentError
	state := reconcile.AgentUnreachable
	switch {
	case wrongNode || errors.As(err, &silent):
	case n.state == reconcile.AgentReady:
		state = reconcile.AgentReconnecting
		n.brokeWith = msg
	case n.state.Settling() && t.clock.Now().Before(n.graceUntil):
		state = n.state
	case n.state.Settling():
		// The grace is over and runExpiry has not ended it yet: end it
		// here, in its words, whichever of the two comes first.
		msg = t.graceEndedMessage(n, msg)
	case n.state == reconcile.AgentUnreachable:
		// Keep what was first seen: a redial's error text, which varies,
		// must not rewrite the status of every pool on the node at its
		// next sync (the error is logged).
		msg = n.message
	}
	changes := t.setStateLocked(n, state, msg)
	t.mu.Unlock()
	t.notify(changes)
	return state
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
