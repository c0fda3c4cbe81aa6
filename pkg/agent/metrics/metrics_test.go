package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

func TestPoolCollector(t *testing.T) {
	pools := []*agentv1.Pool{
		{Name: "a", Node: "n1", Capacity: 100, Used: 10, Committed: 50, ReplicaCount: 2, State: agentv1.PoolState_POOL_STATE_ONLINE},
		{Name: "b", Node: "n1", State: agentv1.PoolState_POOL_STATE_FAULTED},
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewPoolCollector(func() []*agentv1.Pool { return pools }))
	want := `
# HELP diskpool_agent_pool_capacity_bytes Data capacity of the pool.
# TYPE diskpool_agent_pool_capacity_bytes gauge
diskpool_agent_pool_capacity_bytes{node="n1",pool="a"} 100
diskpool_agent_pool_capacity_bytes{node="n1",pool="b"} 0
# HELP diskpool_agent_pool_state 1 for the pool's current state, 0 for the others.
# TYPE diskpool_agent_pool_state gauge
diskpool_agent_pool_state{node="n1",pool="a",state="degraded"} 0
diskpool_agent_pool_state{node="n1",pool="a",state="faulted"} 0
diskpool_agent_pool_state{node="n1",pool="a",state="online"} 1
diskpool_agent_pool_state{node="n1",pool="b",state="degraded"} 0
diskpool_agent_pool_state{node="n1",pool="b",state="faulted"} 1
diskpool_agent_pool_state{node="n1",pool="b",state="online"} 0
# HELP diskpool_agent_pool_used_bytes Bytes of the pool allocated to replicas.
# TYPE diskpool_agent_pool_used_bytes gauge
diskpool_agent_pool_used_bytes{node="n1",pool="a"} 10
diskpool_agent_pool_used_bytes{node="n1",pool="b"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"diskpool_agent_pool_capacity_bytes", "diskpool_agent_pool_state", "diskpool_agent_pool_used_bytes"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(NewPoolCollector(func() []*agentv1.Pool { return pools }), "diskpool_agent_pool_committed_bytes"); n != 2 {
		t.Errorf("committed series = %d", n)
	}
	// A pool that is gone is gone from the metrics.
	pools = pools[:1]
	if n := testutil.CollectAndCount(NewPoolCollector(func() []*agentv1.Pool { return pools }), "diskpool_agent_pool_state"); n != 3 {
		t.Errorf("state series after delete = %d, want 3", n)
	}
}

func TestServerMetrics(t *testing.T) {
	m := NewServerMetrics()
	reg := prometheus.NewPedanticRegistry()
	if err := m.Register(reg); err != nil {
		t.Fatal(err)
	}
	unary := m.UnaryServerInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: "/diskpool.agent.v1.PoolService/CreatePool"}
	for _, err := range []error{nil, nil, status.Error(codes.FailedPrecondition, "x")} {
		_, _ = unary(context.Background(), nil, info, func(context.Context, any) (any, error) { return nil, err })
	}
	stream := m.StreamServerInterceptor()
	_ = stream(nil, nil, &grpc.StreamServerInfo{FullMethod: "/diskpool.agent.v1.PoolService/WatchPools"},
		func(any, grpc.ServerStream) error { return errors.New("plain") })

	want := `
# HELP diskpool_agent_grpc_server_handled_total gRPC calls completed by the agent, by method and status code.
# TYPE diskpool_agent_grpc_server_handled_total counter
diskpool_agent_grpc_server_handled_total{grpc_code="FailedPrecondition",grpc_method="CreatePool",grpc_service="diskpool.agent.v1.PoolService"} 1
diskpool_agent_grpc_server_handled_total{grpc_code="OK",grpc_method="CreatePool",grpc_service="diskpool.agent.v1.PoolService"} 2
diskpool_agent_grpc_server_handled_total{grpc_code="Unknown",grpc_method="WatchPools",grpc_service="diskpool.agent.v1.PoolService"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "diskpool_agent_grpc_server_handled_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.latency); n != 3 {
		t.Errorf("latency series = %d, want 3", n)
	}
}

func TestStateLabel(t *testing.T) {
	for s, want := range map[agentv1.PoolState]string{
		agentv1.PoolState_POOL_STATE_ONLINE:   "online",
		agentv1.PoolState_POOL_STATE_DEGRADED: "degraded",
		agentv1.PoolState_POOL_STATE_FAULTED:  "faulted",
	} {
		if got := StateLabel(s); got != want {
			t.Errorf("StateLabel(%v) = %q, want %q", s, got, want)
		}
	}
}
