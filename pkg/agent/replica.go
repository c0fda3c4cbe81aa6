package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"google.golang.org/grpc/codes"
	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// CreateReplica records a replica in the pool's label. Thick replicas
// allocate their size rounded up to a cluster; thin ones allocate nothing
// until written (this agent writes no data) but count as committed.
func (a *Agent) CreateReplica(ctx context.Context, req *agentv1.CreateReplicaRequest) (*agentv1.Replica, error) {
	if err := validatePoolName(req.GetPool()); err != nil {
		return nil, err
	}
	if err := validateReplicaUUID(req.GetUuid()); err != nil {
		return nil, err
	}
	if req.GetSize() == 0 {
		return nil, errInvalid("replica size is 0")
	}
	a.opMu.Lock()
	defer a.opMu.Unlock()

	for _, p := range a.all() {
		for _, r := range p.label.Replicas {
			if r.UUID != req.GetUuid() {
				continue
			}
			if p.label.Name == req.GetPool() && r.Size == req.GetSize() && r.Thin == req.GetThin() {
				return replicaProto(p.label.Name, r), nil
			}
			return nil, poolerr.New(codes.AlreadyExists, poolerr.ReasonInvalidArgument, fmt.Sprintf(
				"replica %s already exists on pool %s with size %d, thin %v", r.UUID, p.label.Name, r.Size, r.Thin),
				map[string]string{poolerr.MetaPool: p.label.Name})
		}
	}
	p := a.get(req.GetPool())
	switch {
	case p == nil:
		return nil, errPoolNotFound(req.GetPool())
	case p.state == agentv1.PoolState_POOL_STATE_FAULTED:
		return nil, errFaulted(req.GetPool(), p.reason)
	}
	cluster := p.label.ClusterSize
	if req.GetSize() > ^uint64(0)-cluster {
		return nil, errInvalid("replica size %d is too large", req.GetSize())
	}
	r := label.Replica{UUID: req.GetUuid(), Size: req.GetSize(), Thin: req.GetThin()}
	if !r.Thin {
		r.Allocated = (r.Size + cluster - 1) / cluster * cluster
		if used, capacity := p.label.Used(), p.capacity(); used+r.Allocated > capacity {
			return nil, errNoSpace(req.GetPool(), r.Allocated, capacity-min(used, capacity))
		}
	}
	c := p.clone()
	c.label.Replicas = append(c.label.Replicas, r)
	sortReplicas(c.label.Replicas)
	if err := a.writeLabels(c); err != nil {
		if errors.Is(err, label.ErrTooLarge) {
			return nil, errTableFull(req.GetPool())
		}
		return nil, errWrite(req.GetPool(), err)
	}
	a.commit(c)
	klog.FromContext(ctx).V(2).Info("Created replica", "pool", req.GetPool(), "replica", r.UUID, "size", r.Size, "thin", r.Thin)
	return replicaProto(req.GetPool(), r), nil
}

// DestroyReplica removes a replica from its pool's label. A missing replica,
// or pool, is success.
func (a *Agent) DestroyReplica(ctx context.Context, req *agentv1.DestroyReplicaRequest) (*agentv1.DestroyReplicaResponse, error) {
	if err := validatePoolName(req.GetPool()); err != nil {
		return nil, err
	}
	if err := validateReplicaUUID(req.GetUuid()); err != nil {
		return nil, err
	}
	a.opMu.Lock()
	defer a.opMu.Unlock()

	p := a.get(req.GetPool())
	if p == nil {
		return &agentv1.DestroyReplicaResponse{}, nil
	}
	idx := -1
	for i, r := range p.label.Replicas {
		if r.UUID == req.GetUuid() {
			idx = i
		}
	}
	if idx < 0 {
		return &agentv1.DestroyReplicaResponse{}, nil
	}
	if p.state == agentv1.PoolState_POOL_STATE_FAULTED {
		return nil, errFaulted(req.GetPool(), p.reason)
	}
	c := p.clone()
	c.label.Replicas = append(c.label.Replicas[:idx], c.label.Replicas[idx+1:]...)
	if err := a.writeLabels(c); err != nil {
		return nil, errWrite(req.GetPool(), err)
	}
	a.commit(c)
	klog.FromContext(ctx).V(2).Info("Destroyed replica", "pool", req.GetPool(), "replica", req.GetUuid())
	return &agentv1.DestroyReplicaResponse{}, nil
}

// ListReplicas lists the replicas of every pool, or of one.
func (a *Agent) ListReplicas(_ context.Context, req *agentv1.ListReplicasRequest) (*agentv1.ListReplicasResponse, error) {
	resp := &agentv1.ListReplicasResponse{}
	for _, p := range a.all() {
		if req.GetPool() != "" && p.label.Name != req.GetPool() {
			continue
		}
		for _, r := range p.label.Replicas {
			resp.Replicas = append(resp.Replicas, replicaProto(p.label.Name, r))
		}
	}
	sort.SliceStable(resp.Replicas, func(i, j int) bool {
		if resp.Replicas[i].Pool != resp.Replicas[j].Pool {
			return resp.Replicas[i].Pool < resp.Replicas[j].Pool
		}
		return resp.Replicas[i].Uuid < resp.Replicas[j].Uuid
	})
	return resp, nil
}
