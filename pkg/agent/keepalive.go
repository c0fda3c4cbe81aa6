package agent

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// KeepaliveServerOptions are the gRPC server's keepalive settings, shared
// by the agent binary and RunNode. The operator holds one connection per
// agent for hours, with its WatchPools stream, and pings it
// (poolclient.KeepaliveParams); allow that, and ping back so a vanished
// operator's stream is closed. Without the enforcement policy gRPC's
// default (one ping per 5 minutes, none without a stream) answers the
// operator's pings with GOAWAY "too_many_pings" and drops the connection.
func KeepaliveServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
	}
}
