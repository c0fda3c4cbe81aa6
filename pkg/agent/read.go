package agent

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/klog/v2"

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

// WatchPools sends a SNAPSHOT, then one UPSERT or DELETE per change. A
// watcher that falls too far behind gets a new SNAPSHOT instead of the
// changes it missed. The stream ends when the client leaves or the agent
// closes (UNAVAILABLE, so clients reconnect to the next agent).
func (a *Agent) WatchPools(_ *agentv1.WatchPoolsRequest, stream agentv1.PoolService_WatchPoolsServer) error {
	ctx := stream.Context()
	logger := klog.FromContext(ctx)
	w, pools := a.subscribe()
	defer a.hub.remove(w)
	var seq uint64
	send := func(typ agentv1.WatchPoolsResponse_Type, pools ...*agentv1.Pool) error {
		seq++
		return stream.Send(&agentv1.WatchPoolsResponse{Type: typ, Pools: pools, Sequence: seq})
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
