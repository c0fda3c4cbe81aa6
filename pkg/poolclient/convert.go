package poolclient

import (
	"math"
	"slices"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// PoolFromProto converts a pool as the agent reports it into the state
// machine's Pool. Byte counts above math.MaxInt64 saturate (no agent has
// such disks; a corrupt reply must not turn into a negative capacity).
func PoolFromProto(p *agentv1.Pool) reconcile.Pool {
	if p == nil {
		return reconcile.Pool{}
	}
	return reconcile.Pool{
		Name:         p.GetName(),
		UUID:         p.GetUuid(),
		OwnerUID:     p.GetOwnerUid(),
		Disks:        slices.Clone(p.GetDisks()),
		Health:       healthFromProto(p.GetState()),
		Capacity:     saturatingInt64(p.GetCapacity()),
		Used:         saturatingInt64(p.GetUsed()),
		Committed:    saturatingInt64(p.GetCommitted()),
		Reason:       p.GetReason(),
		ReplicaCount: int(p.GetReplicaCount()),
		DiskCapacity: saturatingInt64(p.GetDiskCapacityBytes()),
		ClusterSize:  saturatingInt64(p.GetClusterSize()),
	}
}

// healthFromProto maps the agent's pool state. An unspecified or unknown
// state (a newer agent) is PoolHealthUnknown, never Online.
func healthFromProto(s agentv1.PoolState) reconcile.PoolHealth {
	switch s {
	case agentv1.PoolState_POOL_STATE_ONLINE:
		return reconcile.PoolHealthOnline
	case agentv1.PoolState_POOL_STATE_DEGRADED:
		return reconcile.PoolHealthDegraded
	case agentv1.PoolState_POOL_STATE_FAULTED:
		return reconcile.PoolHealthFaulted
	}
	return reconcile.PoolHealthUnknown
}

func saturatingInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// createRequestToProto builds the CreatePool request. Node is not sent: the
// agent serves one node, and the caller chose the agent by node.
func createRequestToProto(req reconcile.CreateRequest) *agentv1.CreatePoolRequest {
	return &agentv1.CreatePoolRequest{
		Name:     req.Name,
		OwnerUid: req.OwnerUID,
		Disks:    slices.Clone(req.Disks),
		Labels:   req.Labels,
		// Set only by the MayastorPool migration: hand over that owner's pool.
		AdoptOwnerUid:  req.AdoptOwnerUID,
		OwnerKind:      req.OwnerKind,
		OwnerNamespace: req.OwnerNamespace,
		OwnerName:      req.OwnerName,
		// 0: the agent's default allocation unit.
		ClusterSizeBytes: uint64(max(req.ClusterSize, 0)),
	}
}
