package poolclient

import (
	"math"
	"reflect"
	"testing"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func TestPoolFromProto(t *testing.T) {
	tests := []struct {
		name string
		in   *agentv1.Pool
		want reconcile.Pool
	}{
		{name: "nil", in: nil, want: reconcile.Pool{}},
		{
			name: "online",
			in: &agentv1.Pool{
				Name: "p1", Uuid: "u1", OwnerUid: "o1", Node: "n1", Disks: []string{"/dev/sdb"},
				State: agentv1.PoolState_POOL_STATE_ONLINE, Capacity: 100, Used: 10, Committed: 20, ReplicaCount: 3,
			},
			want: reconcile.Pool{
				Name: "p1", UUID: "u1", OwnerUID: "o1", Disks: []string{"/dev/sdb"},
				Health: reconcile.PoolHealthOnline, Capacity: 100, Used: 10, Committed: 20, ReplicaCount: 3,
			},
		},
		{
			name: "degraded with reason",
			in:   &agentv1.Pool{Name: "p", State: agentv1.PoolState_POOL_STATE_DEGRADED, Reason: "slow disk"},
			want: reconcile.Pool{Name: "p", Health: reconcile.PoolHealthDegraded, Reason: "slow disk"},
		},
		{
			name: "faulted",
			in:   &agentv1.Pool{Name: "p", State: agentv1.PoolState_POOL_STATE_FAULTED},
			want: reconcile.Pool{Name: "p", Health: reconcile.PoolHealthFaulted},
		},
		{
			name: "unspecified is unknown",
			in:   &agentv1.Pool{Name: "p"},
			want: reconcile.Pool{Name: "p", Health: reconcile.PoolHealthUnknown},
		},
		{
			name: "a state from a newer agent is unknown",
			in:   &agentv1.Pool{Name: "p", State: agentv1.PoolState(42)},
			want: reconcile.Pool{Name: "p", Health: reconcile.PoolHealthUnknown},
		},
		{
			name: "disk size and cluster size",
			in:   &agentv1.Pool{Name: "p", Capacity: 2143289344, DiskCapacityBytes: 2 << 30, ClusterSize: 4 << 20},
			want: reconcile.Pool{Name: "p", Capacity: 2143289344, DiskCapacity: 2 << 30, ClusterSize: 4 << 20},
		},
		{
			name: "byte counts saturate",
			in:   &agentv1.Pool{Name: "p", Capacity: math.MaxUint64, Used: math.MaxInt64 + 1, Committed: math.MaxInt64},
			want: reconcile.Pool{Name: "p", Capacity: math.MaxInt64, Used: math.MaxInt64, Committed: math.MaxInt64},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PoolFromProto(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PoolFromProto = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPoolFromProtoCopiesDisks(t *testing.T) {
	in := &agentv1.Pool{Name: "p", Disks: []string{"/dev/sdb"}}
	out := PoolFromProto(in)
	in.Disks[0] = "/dev/sdc"
	if out.Disks[0] != "/dev/sdb" {
		t.Errorf("PoolFromProto shares the Disks slice with the message")
	}
}

func TestCreateRequestToProto(t *testing.T) {
	got := createRequestToProto(reconcile.CreateRequest{Node: "n", Name: "p", OwnerUID: "o", Disks: []string{"/dev/sdb"}, ClusterSize: 8 << 20})
	if got.GetName() != "p" || got.GetOwnerUid() != "o" || got.GetClusterSizeBytes() != 8<<20 {
		t.Errorf("createRequestToProto = %v, want name p, owner o, cluster_size_bytes %d", got, 8<<20)
	}
	if got := createRequestToProto(reconcile.CreateRequest{Name: "p"}); got.GetClusterSizeBytes() != 0 {
		t.Errorf("cluster_size_bytes = %d without spec.clusterSize, want 0 (the agent's default)", got.GetClusterSizeBytes())
	}
}
