package agentwatch

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// Messages of AgentMissing and of an agent that advertises no endpoint.
const (
	msgLeaseReleased = "the diskpool-agent released its Lease"
	msgLeaseExpired  = "the diskpool-agent's Lease expired"
	msgLeaseDeleted  = "the diskpool-agent's Lease was deleted"
	msgNoEndpoint    = "the diskpool-agent's Lease has no " + agentlease.EndpointAnnotation + " annotation"
)

func (t *Tracker) onLeaseAdd(obj any) {
	if lease, ok := obj.(*coordinationv1.Lease); ok {
		t.leaseChanged(lease)
	}
}

func (t *Tracker) onLeaseUpdate(_, newObj any) {
	if lease, ok := newObj.(*coordinationv1.Lease); ok {
		t.leaseChanged(lease)
	}
}

func (t *Tracker) onLeaseDelete(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if lease, ok := obj.(*coordinationv1.Lease); ok {
		t.leaseDeleted(lease)
	}
}

// leaseChanged records an added or updated Lease. A renewal only moves
// expiresAt: it starts nothing and notifies nobody.
func (t *Tracker) leaseChanged(lease *coordinationv1.Lease) {
	if t.namespace != "" && lease.Namespace != t.namespace {
		return
	}
	name := agentlease.NodeOf(lease)
	t.mu.Lock()
	if name == "" {
		t.logger.V(4).Info("Ignoring agent Lease without a node", "lease", lease.Namespace+"/"+lease.Name)
		t.mu.Unlock()
		return
	}
	n := t.nodes[name]
	if n == nil {
		n = &node{name: name, state: reconcile.AgentMissing}
		t.nodes[name] = n
		t.metrics.nodeAdded(n.state)
	}
	n.leaseKey = lease.Namespace + "/" + lease.Name
	n.holder = agentlease.Holder(lease)
	n.endpoint = agentlease.Endpoint(lease)
	n.expiresAt = agentlease.ExpiresAt(lease)
	changes := t.syncLocked(n)
	t.mu.Unlock()
	t.notify(changes)
}

// leaseDeleted forgets the node of a deleted Lease.
func (t *Tracker) leaseDeleted(lease *coordinationv1.Lease) {
	name := agentlease.NodeOf(lease)
	t.mu.Lock()
	n := t.nodes[name]
	if n == nil || n.leaseKey != lease.Namespace+"/"+lease.Name {
		t.mu.Unlock()
		return
	}
	changes := t.missingLocked(n, msgLeaseDeleted)
	delete(t.nodes, name)
	t.metrics.nodeRemoved(name, n.state)
	t.mu.Unlock()
	t.notify(changes)
}

// syncLocked brings n's connection and state in line with its Lease. It
// does nothing before Run or after it.
func (t *Tracker) syncLocked(n *node) []change {
	if !t.running {
		return nil
	}
	now := t.clock.Now()
	switch {
	case n.holder == "":
		return t.missingLocked(n, msgLeaseReleased)
	case !n.expiresAt.After(now):
		return t.missingLocked(n, msgLeaseExpired)
	}
	t.scheduleExpiryLocked(n.expiresAt)
	if n.endpoint == "" {
		t.stopConnLocked(n)
		return t.setStateLocked(n, reconcile.AgentUnreachable, msgNoEndpoint)
	}
	if n.conn != nil && n.conn.endpoint == n.endpoint {
		return nil
	}
	// A new agent, or one that moved: the old stream says nothing about
	// the new endpoint.
	t.stopConnLocked(n)
	t.startConnLocked(n)
	return t.setStateLocked(n, reconcile.AgentSyncing, "")
}

// missingLocked records that n has no live agent: it closes the stream and
// drops the cache.
func (t *Tracker) missingLocked(n *node, message string) []change {
	t.stopConnLocked(n)
	n.pools.reset()
	return t.setStateLocked(n, reconcile.AgentMissing, message)
}

func (t *Tracker) startConnLocked(n *node) {
	t.lastGen++
	ctx, cancel := context.WithCancel(t.ctx)
	c := &connection{gen: t.lastGen, endpoint: n.endpoint, cancel: cancel}
	n.conn = c
	t.wg.Add(1)
	go t.runConnection(ctx, n.name, c)
}

// stopConnLocked cancels n's stream; its goroutine closes its client.
func (t *Tracker) stopConnLocked(n *node) {
	if n.conn != nil {
		n.conn.cancel()
		n.conn = nil
	}
	n.client = nil
}

// scheduleExpiryLocked makes sure the expiry loop wakes by at.
func (t *Tracker) scheduleExpiryLocked(at time.Time) {
	if !t.nextExpiry.IsZero() && !at.Before(t.nextExpiry) {
		return
	}
	t.nextExpiry = at
	select {
	case t.expiryKick <- struct{}{}:
	default:
	}
}

// runExpiry marks agents Missing when their Lease expires (no Lease event
// comes for that) and Unreachable when their reconnect grace ends. One
// timer serves every node: it fires at the earliest Lease expiry or grace
// end, and a node renewed or reconnected since just moves the next one.
func (t *Tracker) runExpiry(ctx context.Context) {
	defer t.wg.Done()
	for {
		next := t.expireLeases()
		var timer clock.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			d := next.Sub(t.clock.Now())
			if d <= 0 {
				continue // expired while we looked
			}
			timer = t.clock.NewTimer(d)
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-fire:
		case <-t.expiryKick:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// expireLeases marks every node whose Lease expired Missing, and every
// node whose grace ended Unreachable, and returns the earliest expiry or
// grace end still ahead (zero if none).
func (t *Tracker) expireLeases() time.Time {
	t.mu.Lock()
	now := t.clock.Now()
	var changes []change
	var next time.Time
	earliest := func(at time.Time) {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	for _, n := range t.nodes {
		if n.state == reconcile.AgentMissing {
			continue
		}
		if !n.expiresAt.After(now) {
			changes = append(changes, t.missingLocked(n, msgLeaseExpired)...)
			continue
		}
		earliest(n.expiresAt)
		switch {
		case n.graceUntil.IsZero():
		case !n.graceUntil.After(now):
			changes = append(changes, t.graceEndedLocked(n)...)
		default:
			earliest(n.graceUntil)
		}
	}
	t.nextExpiry = next
	t.mu.Unlock()
	t.notify(changes)
	return next
}

// graceEndedLocked records that n's stream was not (re-)opened within the
// grace: Unreachable, with what was seen. The connection keeps redialling.
// A first connection that has seen no failure yet is left to its connect
// timeout: a new leader dialling a thousand agents over mutual TLS may take
// longer than the grace to get every snapshot, and a slow agent is no
// reason to write Offline on all its pools.
func (t *Tracker) graceEndedLocked(n *node) []change {
	last := n.message
	if last == "" {
		if n.state == reconcile.AgentSyncing {
			return nil
		}
		last = "no answer yet"
	}
	return t.setStateLocked(n, reconcile.AgentUnreachable, t.graceEndedMessage(n, last))
}

// graceEndedMessage says what was seen in n's grace, last being the
// latest failure.
func (t *Tracker) graceEndedMessage(n *node, last string) string {
	if n.state != reconcile.AgentReconnecting {
		return fmt.Sprintf("no pool snapshot within %s of connecting (%s)", t.grace, last)
	}
	msg := fmt.Sprintf("its pool stream broke (%s) and was not re-opened within %s", n.brokeWith, t.grace)
	if last != n.brokeWith {
		msg += fmt.Sprintf("; last redial: %s", last)
	}
	return msg
}
