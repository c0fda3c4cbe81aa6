package agent

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

// GetPool returns one pool or NOT_FOUND PoolNotFound.
func (a *Agent) GetPool(_ context.Context, req *agentv1.GetPoolRequest) (*agentv1.Pool, error) {
	if err := validatePoolName(req.GetName()); err != nil {
		return nil, err
	}
	p := a.get(req.GetName())
	if p == nil {
		return nil, errPoolNotFound(req.GetName())
	}
	return p.proto(a.cfg.Node), nil
}

// ListPools returns every pool, Faulted ones included.
func (a *Agent) ListPools(context.Context, *agentv1.ListPoolsRequest) (*agentv1.ListPoolsResponse, error) {
	return &agentv1.ListPoolsResponse{Pools: a.Pools()}, nil
}

// Bounds of the heartbeat interval a watcher may ask for: more often would
// cost the agent for nothing, less often is no heartbeat at all.
const (
	MinHeartbeatInterval = 500 * time.Millisecond
	MaxHeartbeatInterval = time.Minute
)

// heartbeatInterval is the interval the agent keeps for a request; 0 for
// none.
func heartbeatInterval(req *agentv1.WatchPoolsRequest) time.Duration {
	ms := req.GetHeartbeatIntervalMs()
	if ms == 0 {
		return 0
	}
	return min(max(time.Duration(ms)*time.Millisecond, MinHeartbeatInterval), MaxHeartbeatInterval)
}

// WatchPools sends a SNAPSHOT, then one UPSERT or DELETE per change, and a
// HEARTBEAT after each heartbeat interval of silence when the watcher asks
// for them. A watcher that falls too far behind gets a new SNAPSHOT instead
// of the changes it missed. The stream ends when the client leaves or the
// agent closes (UNAVAILABLE, so clients reconnect to the next agent).
func (a *Agent) WatchPools(req *agentv1.WatchPoolsRequest, stream agentv1.PoolService_WatchPoolsServer) error {
	ctx := stream.Context()
	logger := klog.FromContext(ctx)
	w, pools := a.subscribe()
	defer a.hub.remove(w)
	beat := heartbeatInterval(req)
	var seq uint64
	// silence fires after beat without a message; nil without heartbeats.
	var silence clock.Timer
	var silent <-chan time.Time
	if beat > 0 {
		silence = a.cfg.Clock.NewTimer(beat)
		silent = silence.C()
		defer func() { silence.Stop() }()
	}
	send := func(typ agentv1.WatchPoolsResponse_Type, pools ...*agentv1.Pool) error {
		seq++
		msg := &agentv1.WatchPoolsResponse{Type: typ, Pools: pools, Sequence: seq}
		if typ == agentv1.WatchPoolsResponse_SNAPSHOT {
			msg.HeartbeatIntervalMs = uint32(beat / time.Millisecond)
		}
		if err := stream.Send(msg); err != nil {
			return err
		}
		if silence != nil {
			silence.Stop()
			silence = a.cfg.Clock.NewTimer(beat)
			silent = silence.C()
		}
		return nil
	}
	if err := send(agentv1.WatchPoolsResponse_SNAPSHOT, pools...); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.done:
			return status.Error(codes.Unavailable, "agent is shutting down")
		case <-silent:
			if err := send(agentv1.WatchPoolsResponse_HEARTBEAT); err != nil {
				return err
			}
			continue
		case <-w.notify:
		}
		evs, resync := w.take()
		if resync {
			logger.V(2).Info("Watcher fell behind; sending a new snapshot")
			if err := send(agentv1.WatchPoolsResponse_SNAPSHOT, a.resync(w)...); err != nil {
				return err
			}
			continue
		}
		for _, ev := range evs {
			if err := send(ev.typ, ev.pool); err != nil {
				return err
			}
		}
	}
}
