package poolclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// WatchEventType is the kind of a WatchEvent.
type WatchEventType int

const (
	// WatchSnapshot carries every pool of the agent. It is always the
	// first event of a stream and replaces whatever the caller knew.
	WatchSnapshot WatchEventType = iota + 1
	// WatchUpsert carries one pool that was added or changed.
	WatchUpsert
	// WatchDelete carries one pool that is gone; only Name and UUID are
	// reliable.
	WatchDelete
	// WatchHeartbeat carries nothing: the stream was silent for the
	// heartbeat interval, and the agent is alive.
	WatchHeartbeat
)

func (t WatchEventType) String() string {
	switch t {
	case WatchSnapshot:
		return "Snapshot"
	case WatchUpsert:
		return "Upsert"
	case WatchDelete:
		return "Delete"
	case WatchHeartbeat:
		return "Heartbeat"
	}
	return "Unknown"
}

// WatchEvent is one message of an agent's pool stream.
type WatchEvent struct {
	Type WatchEventType
	// Pools is every pool (WatchSnapshot only).
	Pools []reconcile.Pool
	// Pool is the pool upserted or deleted (WatchUpsert, WatchDelete).
	Pool reconcile.Pool
	// Sequence is the message's position in its stream.
	Sequence uint64
	// HeartbeatInterval (WatchSnapshot only) is the interval of the
	// heartbeats the agent sends; 0 when it sends none (an older agent, or
	// Options.HeartbeatInterval 0).
	HeartbeatInterval time.Duration
}

var (
	// ErrStreamClosed is returned by Watch when the agent ends the stream
	// (e.g. it is shutting down).
	ErrStreamClosed = errors.New("agent closed the pool stream")
	// ErrProtocol wraps a stream that breaks the WatchPools contract.
	ErrProtocol = errors.New("pool stream protocol violation")
	// ErrWrongNode wraps a stream whose agent serves another node than
	// Options.Node.
	ErrWrongNode = errors.New("agent serves another node")
)

// Watch opens the agent's WatchPools stream and calls handle, in order and
// on the calling goroutine, for each event. It returns nil when ctx ends,
// and otherwise the error that ended the stream: a transport or status
// error, ErrStreamClosed, or an error wrapping ErrProtocol or ErrWrongNode.
// It never retries; the caller decides when to watch again.
func (c *Client) Watch(ctx context.Context, handle func(WatchEvent)) error {
	logger := klog.FromContext(ctx)
	stream, err := c.pools.WatchPools(ctx, &agentv1.WatchPoolsRequest{
		HeartbeatIntervalMs: uint32(c.heartbeat / time.Millisecond)})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("open pool stream to %s: %w", c.endpoint, err)
	}
	var prev uint64
	first := true
	for {
		msg, err := stream.Recv()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return nil
			case errors.Is(err, io.EOF):
				return fmt.Errorf("pool stream from %s: %w", c.endpoint, ErrStreamClosed)
			}
			return fmt.Errorf("pool stream from %s: %w", c.endpoint, err)
		}
		ev, ok, err := eventFromProto(msg, first, prev, c.node)
		if err != nil {
			return fmt.Errorf("pool stream from %s: %w", c.endpoint, err)
		}
		first, prev = false, msg.GetSequence()
		if !ok {
			logger.V(4).Info("Ignoring unknown pool stream message", "endpoint", c.endpoint, "type", msg.GetType().String(), "sequence", msg.GetSequence())
			continue
		}
		handle(ev)
	}
}

// eventFromProto checks one stream message against the WatchPools contract
// and converts it. first is whether msg is the stream's first message, prev
// the sequence of the one before, node the node the agent must serve ("" to
// not check). ok is false for a message type this client does not know
// (a newer agent), which the caller skips.
func eventFromProto(msg *agentv1.WatchPoolsResponse, first bool, prev uint64, node string) (ev WatchEvent, ok bool, err error) {
	typ := msg.GetType()
	if first && typ != agentv1.WatchPoolsResponse_SNAPSHOT {
		return WatchEvent{}, false, fmt.Errorf("%w: first message is %s, not SNAPSHOT", ErrProtocol, typ)
	}
	if !first && msg.GetSequence() != prev+1 {
		return WatchEvent{}, false, fmt.Errorf("%w: sequence %d follows %d", ErrProtocol, msg.GetSequence(), prev)
	}
	ev.Sequence = msg.GetSequence()
	switch typ {
	case agentv1.WatchPoolsResponse_HEARTBEAT:
		ev.Type = WatchHeartbeat
		return ev, true, nil
	case agentv1.WatchPoolsResponse_SNAPSHOT:
		ev.Type = WatchSnapshot
		ev.HeartbeatInterval = time.Duration(msg.GetHeartbeatIntervalMs()) * time.Millisecond
		ev.Pools = make([]reconcile.Pool, 0, len(msg.GetPools()))
		for _, p := range msg.GetPools() {
			if err := checkNode(p, node); err != nil {
				return WatchEvent{}, false, err
			}
			ev.Pools = append(ev.Pools, PoolFromProto(p))
		}
		return ev, true, nil
	case agentv1.WatchPoolsResponse_UPSERT, agentv1.WatchPoolsResponse_DELETE:
		if n := len(msg.GetPools()); n != 1 {
			return WatchEvent{}, false, fmt.Errorf("%w: %s carries %d pools, not 1", ErrProtocol, typ, n)
		}
		p := msg.GetPools()[0]
		if p.GetName() == "" {
			return WatchEvent{}, false, fmt.Errorf("%w: %s of a pool without a name", ErrProtocol, typ)
		}
		ev.Type = WatchDelete
		if typ == agentv1.WatchPoolsResponse_UPSERT {
			ev.Type = WatchUpsert
			if err := checkNode(p, node); err != nil {
				return WatchEvent{}, false, err
			}
		}
		ev.Pool = PoolFromProto(p)
		return ev, true, nil
	}
	return WatchEvent{}, false, nil
}

func checkNode(p *agentv1.Pool, node string) error {
	if node != "" && p.GetNode() != "" && p.GetNode() != node {
		return fmt.Errorf("%w: pool %q is on node %q, expected %q", ErrWrongNode, p.GetName(), p.GetNode(), node)
	}
	return nil
}
