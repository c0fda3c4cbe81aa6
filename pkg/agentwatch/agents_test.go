package agentwatch

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	testingclock "k8s.io/utils/clock/testing"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agent"
	"github.com/diskpool/diskpool-operator/pkg/disk"
)

// realAgent is a pkg/agent Agent behind a gRPC server on 127.0.0.1, with
// sparse files as disks. It can be killed and restarted on the same
// address and disks.
type realAgent struct {
	t        *testing.T
	node     string
	devDir   string
	stateDir string
	addr     string

	agent *agent.Agent
	srv   *grpc.Server
	done  chan struct{}
}

func startRealAgent(t *testing.T, node string) *realAgent {
	t.Helper()
	base := t.TempDir()
	a := &realAgent{t: t, node: node, devDir: filepath.Join(base, "dev"), stateDir: filepath.Join(base, "state"), addr: "127.0.0.1:0"}
	for _, d := range []string{a.devDir, a.stateDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a.start()
	t.Cleanup(a.kill)
	return a
}

// disk creates a sparse file disk and returns its path.
func (a *realAgent) disk(name string) string {
	a.t.Helper()
	p := filepath.Join(a.devDir, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := f.Truncate(64 << 20); err != nil {
		a.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		a.t.Fatal(err)
	}
	return p
}

func (a *realAgent) start() {
	a.t.Helper()
	r, err := disk.NewResolver([]string{a.devDir})
	if err != nil {
		a.t.Fatal(err)
	}
	ag, err := agent.New(agent.Config{Node: a.node, Resolver: r, StateDir: a.stateDir, Disks: []string{filepath.Join(a.devDir, "*")}})
	if err != nil {
		a.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ag.Import(ctx); err != nil {
		a.t.Fatal(err)
	}
	lis, err := net.Listen("tcp", a.addr)
	if err != nil {
		a.t.Fatalf("listen on %s: %v", a.addr, err)
	}
	a.addr = lis.Addr().String()
	a.agent, a.srv, a.done = ag, grpc.NewServer(), make(chan struct{})
	agentv1.RegisterPoolServiceServer(a.srv, ag)
	go func(srv *grpc.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(lis)
	}(a.srv, a.done)
}

// kill stops the server at once, breaking every stream.
func (a *realAgent) kill() {
	if a.srv == nil {
		return
	}
	a.agent.Close()
	a.srv.Stop()
	<-a.done
	a.srv = nil
}

// restart starts a new agent on the same address and disks.
func (a *realAgent) restart() {
	a.t.Helper()
	a.kill()
	a.start()
}

// client returns a plain gRPC client to the agent, for calls the Tracker
// does not make (replicas).
func (a *realAgent) client() agentv1.PoolServiceClient {
	a.t.Helper()
	conn, err := grpc.NewClient(a.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() { _ = conn.Close() })
	return agentv1.NewPoolServiceClient(conn)
}

// scriptedAgent is a PoolService whose pool streams the test writes
// message by message, for exact control over what the Tracker sees.
type scriptedAgent struct {
	agentv1.UnimplementedPoolServiceServer
	addr    string
	opened  chan *scriptedStream
	create  func(*agentv1.CreatePoolRequest) (*agentv1.Pool, error)
	destroy func(*agentv1.DestroyPoolRequest) error
}

// scriptedStream is the server side of one WatchPools stream.
type scriptedStream struct {
	// req is what the Tracker asked for.
	req  *agentv1.WatchPoolsRequest
	msgs chan *agentv1.WatchPoolsResponse
	seq  uint64
}

func startScriptedAgent(t *testing.T) *scriptedAgent {
	t.Helper()
	a := &scriptedAgent{opened: make(chan *scriptedStream, 8)}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.addr = lis.Addr().String()
	srv := grpc.NewServer()
	agentv1.RegisterPoolServiceServer(srv, a)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return a
}

func (a *scriptedAgent) WatchPools(req *agentv1.WatchPoolsRequest, stream grpc.ServerStreamingServer[agentv1.WatchPoolsResponse]) error {
	s := &scriptedStream{req: req, msgs: make(chan *agentv1.WatchPoolsResponse, 16)}
	select {
	case a.opened <- s:
	case <-stream.Context().Done():
		return nil
	}
	for {
		select {
		case m := <-s.msgs:
			if m == nil {
				return status.Error(codes.Unavailable, "scripted stream failure")
			}
			if err := stream.Send(m); err != nil {
				return err
			}
		case <-stream.Context().Done():
			return nil
		}
	}
}

func (a *scriptedAgent) CreatePool(_ context.Context, req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
	return a.create(req)
}

func (a *scriptedAgent) DestroyPool(_ context.Context, req *agentv1.DestroyPoolRequest) (*agentv1.DestroyPoolResponse, error) {
	return &agentv1.DestroyPoolResponse{}, a.destroy(req)
}

// nextStream waits for the Tracker to open a stream.
func (a *scriptedAgent) nextStream(t *testing.T) *scriptedStream {
	t.Helper()
	select {
	case s := <-a.opened:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("Timed out waiting for the tracker to open a pool stream")
		return nil
	}
}

// nextStreamStepping waits for the Tracker to open a stream, stepping clock
// a second at a time so that a pending reconnect timer fires (whenever the
// Tracker gets to create it).
func (a *scriptedAgent) nextStreamStepping(t *testing.T, clock *testingclock.FakeClock) *scriptedStream {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case s := <-a.opened:
			return s
		case <-deadline:
			t.Fatal("Timed out waiting for the tracker to reopen a pool stream")
			return nil
		case <-time.After(5 * time.Millisecond):
			clock.Step(time.Second)
		}
	}
}

// send queues one message, numbering it.
func (s *scriptedStream) send(typ agentv1.WatchPoolsResponse_Type, pools ...*agentv1.Pool) {
	s.sendMsg(&agentv1.WatchPoolsResponse{Type: typ, Pools: pools})
}

// sendMsg queues msg, numbering it.
func (s *scriptedStream) sendMsg(msg *agentv1.WatchPoolsResponse) {
	s.seq++
	msg.Sequence = s.seq
	s.msgs <- msg
}

// fail ends the stream with UNAVAILABLE, as a broken connection does.
func (s *scriptedStream) fail() { s.msgs <- nil }
