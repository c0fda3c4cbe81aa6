package harness

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

// AgentClient dials node's current agent with a client certificate from
// the operator's CA (mutual TLS, as the operator does); the connection is
// closed when the test ends. A restarted agent listens elsewhere: dial
// again after StartAgent.
func AgentClient(t testing.TB, e *localenv.Env, node string) agentv1.PoolServiceClient {
	t.Helper()
	cfg, err := e.AgentClientTLS().ClientTLSConfig(localenv.AgentTLSServerName)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(e.AgentEndpoint(node), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return agentv1.NewPoolServiceClient(conn)
}

// RestartAgentAtEnd starts node's agent again when the test ends, whatever
// happened to it: later tests need it.
func (f *Fixture) RestartAgentAtEnd(node string) {
	f.T.Cleanup(func() {
		// The test's context is cancelled before cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f.Env.StartAgent(ctx, node); err != nil {
			f.T.Errorf("restart agent on %s: %v", node, err)
		}
	})
}

// AgentCalls scrapes node's agent for its completed gRPC calls (a restarted
// agent counts from zero).
func AgentCalls(t testing.TB, ctx context.Context, e *localenv.Env, node string) metrics.Calls {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, metrics.Timeout)
	defer cancel()
	s, err := metrics.Scrape(ctx, e.AgentMetricsURL(node))
	if err != nil {
		t.Fatalf("agent metrics of %s: %v", node, err)
	}
	return s.AgentCalls()
}
