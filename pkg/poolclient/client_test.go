package poolclient

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// testAgent is a PoolService whose methods the test scripts.
type testAgent struct {
	agentv1.UnimplementedPoolServiceServer
	create  func(context.Context, *agentv1.CreatePoolRequest) (*agentv1.Pool, error)
	destroy func(context.Context, *agentv1.DestroyPoolRequest) error
	watch   func(grpc.ServerStreamingServer[agentv1.WatchPoolsResponse]) error
}

func (a *testAgent) CreatePool(ctx context.Context, req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
	return a.create(ctx, req)
}

func (a *testAgent) DestroyPool(ctx context.Context, req *agentv1.DestroyPoolRequest) (*agentv1.DestroyPoolResponse, error) {
	return &agentv1.DestroyPoolResponse{}, a.destroy(ctx, req)
}

func (a *testAgent) WatchPools(_ *agentv1.WatchPoolsRequest, s grpc.ServerStreamingServer[agentv1.WatchPoolsResponse]) error {
	return a.watch(s)
}

// serve runs a on a loopback listener until the test ends and returns its
// address.
func serve(t *testing.T, a *testAgent, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
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
	return lis.Addr().String()
}

// closedAddress returns a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func dial(t *testing.T, endpoint string, opts Options) *Client {
	t.Helper()
	c, err := Dial(endpoint, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func asAgentError(t *testing.T, err error) *reconcile.AgentError {
	t.Helper()
	var ae *reconcile.AgentError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a *reconcile.AgentError", err, err)
	}
	return ae
}

func TestCreateAndDestroy(t *testing.T) {
	var gotCreate *agentv1.CreatePoolRequest
	var gotDestroy *agentv1.DestroyPoolRequest
	agent := &testAgent{
		create: func(_ context.Context, req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
			gotCreate = req
			if req.GetName() == "busy" {
				return nil, poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, "disk /dev/sdc has an xfs filesystem", nil)
			}
			return &agentv1.Pool{
				Name: req.GetName(), Uuid: "u-1", OwnerUid: req.GetOwnerUid(), Node: "node-a", Disks: req.GetDisks(),
				State: agentv1.PoolState_POOL_STATE_ONLINE, Capacity: 1 << 30,
			}, nil
		},
		destroy: func(_ context.Context, req *agentv1.DestroyPoolRequest) error {
			gotDestroy = req
			if req.GetName() == "busy" {
				return poolerr.New(codes.FailedPrecondition, poolerr.ReasonPoolInUse, "pool holds 2 replicas", nil)
			}
			return nil
		},
	}
	c := dial(t, serve(t, agent), Options{Insecure: true})
	ctx := testContext(t)

	req := reconcile.CreateRequest{Node: "node-a", Name: "p1", OwnerUID: "uid-1", Disks: []string{"/dev/sdb"}, Labels: map[string]string{"k": "v"}, AdoptOwnerUID: "uid-0"}
	pool, err := c.CreatePool(ctx, req)
	if err != nil {
		t.Fatalf("CreatePool: %v", err)
	}
	want := reconcile.Pool{Name: "p1", UUID: "u-1", OwnerUID: "uid-1", Disks: []string{"/dev/sdb"}, Health: reconcile.PoolHealthOnline, Capacity: 1 << 30}
	if !reflect.DeepEqual(pool, want) {
		t.Errorf("CreatePool = %+v, want %+v", pool, want)
	}
	if gotCreate.GetName() != "p1" || gotCreate.GetOwnerUid() != "uid-1" || !reflect.DeepEqual(gotCreate.GetDisks(), []string{"/dev/sdb"}) || gotCreate.GetLabels()["k"] != "v" || gotCreate.GetAdoptOwnerUid() != "uid-0" {
		t.Errorf("agent received %v", gotCreate)
	}

	_, err = c.CreatePool(ctx, reconcile.CreateRequest{Node: "node-a", Name: "busy", OwnerUID: "uid-2", Disks: []string{"/dev/sdc"}})
	ae := asAgentError(t, err)
	if ae.Op != reconcile.ActionCreatePool || ae.Reason != reconcile.ReasonDiskInUse || ae.Message != "disk /dev/sdc has an xfs filesystem" {
		t.Errorf("CreatePool refusal = %+v", ae)
	}

	if err := c.DestroyPool(ctx, reconcile.DestroyRequest{Node: "node-a", Name: "p1", OwnerUID: "uid-1"}); err != nil {
		t.Fatalf("DestroyPool: %v", err)
	}
	if gotDestroy.GetName() != "p1" || gotDestroy.GetOwnerUid() != "uid-1" {
		t.Errorf("agent received %v", gotDestroy)
	}
	ae = asAgentError(t, c.DestroyPool(ctx, reconcile.DestroyRequest{Node: "node-a", Name: "busy", OwnerUID: "uid-2"}))
	if ae.Op != reconcile.ActionDestroyPool || ae.Reason != reconcile.ReasonPoolInUse {
		t.Errorf("DestroyPool refusal = %+v", ae)
	}
}

func TestUnreachableAgent(t *testing.T) {
	c := dial(t, closedAddress(t), Options{Insecure: true})
	ctx := testContext(t)
	_, err := c.CreatePool(ctx, reconcile.CreateRequest{Name: "p"})
	if ae := asAgentError(t, err); ae.Reason != reconcile.ReasonAgentUnavailable || ae.Op != reconcile.ActionCreatePool {
		t.Errorf("CreatePool on a closed port = %+v, want AgentUnavailable", ae)
	}
	if ae := asAgentError(t, c.DestroyPool(ctx, reconcile.DestroyRequest{Name: "p"})); ae.Reason != reconcile.ReasonAgentUnavailable {
		t.Errorf("DestroyPool on a closed port = %+v, want AgentUnavailable", ae)
	}
	err = c.Watch(ctx, func(WatchEvent) { t.Error("unexpected event") })
	if err == nil || status.Code(err) != codes.Unavailable {
		t.Errorf("Watch on a closed port = %v, want Unavailable", err)
	}
}

func TestCallTimeoutIsAgentTimeout(t *testing.T) {
	agent := &testAgent{
		create: func(ctx context.Context, _ *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
			<-ctx.Done() // a disk that hangs
			return nil, ctx.Err()
		},
		destroy: func(ctx context.Context, _ *agentv1.DestroyPoolRequest) error {
			<-ctx.Done()
			return ctx.Err()
		},
	}
	c := dial(t, serve(t, agent), Options{Insecure: true, CallTimeout: 50 * time.Millisecond})
	ctx := testContext(t)
	_, err := c.CreatePool(ctx, reconcile.CreateRequest{Name: "p"})
	if ae := asAgentError(t, err); ae.Reason != reconcile.ReasonAgentTimeout {
		t.Errorf("CreatePool past its timeout = %+v, want AgentTimeout", ae)
	}
	if ae := asAgentError(t, c.DestroyPool(ctx, reconcile.DestroyRequest{Name: "p"})); ae.Reason != reconcile.ReasonAgentTimeout {
		t.Errorf("DestroyPool past its timeout = %+v, want AgentTimeout", ae)
	}
}

func TestWatch(t *testing.T) {
	pool := func(name string, used uint64) *agentv1.Pool {
		return &agentv1.Pool{Name: name, Uuid: "u-" + name, Node: "node-a", State: agentv1.PoolState_POOL_STATE_ONLINE, Used: used}
	}
	script := []*agentv1.WatchPoolsResponse{
		{Type: agentv1.WatchPoolsResponse_SNAPSHOT, Sequence: 1, Pools: []*agentv1.Pool{pool("a", 0), pool("b", 0)}},
		{Type: agentv1.WatchPoolsResponse_UPSERT, Sequence: 2, Pools: []*agentv1.Pool{pool("a", 10)}},
		{Type: agentv1.WatchPoolsResponse_DELETE, Sequence: 3, Pools: []*agentv1.Pool{{Name: "b", Uuid: "u-b"}}},
	}
	sendAll := func(msgs []*agentv1.WatchPoolsResponse) func(grpc.ServerStreamingServer[agentv1.WatchPoolsResponse]) error {
		return func(s grpc.ServerStreamingServer[agentv1.WatchPoolsResponse]) error {
			for _, m := range msgs {
				if err := s.Send(m); err != nil {
					return err
				}
			}
			return nil
		}
	}

	t.Run("events in order, then the agent closes the stream", func(t *testing.T) {
		c := dial(t, serve(t, &testAgent{watch: sendAll(script)}), Options{Insecure: true, Node: "node-a"})
		var got []WatchEvent
		err := c.Watch(testContext(t), func(ev WatchEvent) { got = append(got, ev) })
		if !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("Watch = %v, want ErrStreamClosed", err)
		}
		var types []WatchEventType
		for _, ev := range got {
			types = append(types, ev.Type)
		}
		if want := []WatchEventType{WatchSnapshot, WatchUpsert, WatchDelete}; !reflect.DeepEqual(types, want) {
			t.Fatalf("event types = %v, want %v", types, want)
		}
		if len(got[0].Pools) != 2 || got[1].Pool.Name != "a" || got[1].Pool.Used != 10 || got[2].Pool.Name != "b" || got[2].Pool.UUID != "u-b" {
			t.Errorf("events = %+v", got)
		}
	})

	t.Run("returns nil when the context ends", func(t *testing.T) {
		block := func(s grpc.ServerStreamingServer[agentv1.WatchPoolsResponse]) error {
			if err := s.Send(script[0]); err != nil {
				return err
			}
			<-s.Context().Done()
			return nil
		}
		c := dial(t, serve(t, &testAgent{watch: block}), Options{Insecure: true})
		ctx, cancel := context.WithCancel(testContext(t))
		err := c.Watch(ctx, func(ev WatchEvent) {
			if ev.Type == WatchSnapshot {
				cancel()
			}
		})
		if err != nil {
			t.Errorf("Watch after cancel = %v, want nil", err)
		}
	})

	t.Run("protocol violation", func(t *testing.T) {
		c := dial(t, serve(t, &testAgent{watch: sendAll(script[1:])}), Options{Insecure: true})
		if err := c.Watch(testContext(t), func(WatchEvent) {}); !errors.Is(err, ErrProtocol) {
			t.Errorf("Watch of a stream without snapshot = %v, want ErrProtocol", err)
		}
	})

	t.Run("wrong node", func(t *testing.T) {
		c := dial(t, serve(t, &testAgent{watch: sendAll(script)}), Options{Insecure: true, Node: "node-b"})
		if err := c.Watch(testContext(t), func(WatchEvent) {}); !errors.Is(err, ErrWrongNode) {
			t.Errorf("Watch of another node's agent = %v, want ErrWrongNode", err)
		}
	})
}

func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	agent := &testAgent{create: func(_ context.Context, req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
		return &agentv1.Pool{Name: req.GetName()}, nil
	}}
	addr := serve(t, agent, grpc.Creds(credentials.NewTLS(pki.serverTLS(t))))
	ctx := testContext(t)

	tlsOpts := pki.clientOptions()
	c := dial(t, addr, Options{TLS: &tlsOpts})
	if _, err := c.CreatePool(ctx, reconcile.CreateRequest{Name: "p"}); err != nil {
		t.Fatalf("CreatePool over mTLS: %v", err)
	}

	wrongName := pki.clientOptions()
	wrongName.ServerName = "someone-else"
	c = dial(t, addr, Options{TLS: &wrongName})
	_, err := c.CreatePool(ctx, reconcile.CreateRequest{Name: "p"})
	if ae := asAgentError(t, err); ae.Reason != reconcile.ReasonAgentUnavailable {
		t.Errorf("CreatePool to a certificate of another name = %+v, want AgentUnavailable", ae)
	}

	c = dial(t, addr, Options{Insecure: true})
	_, err = c.CreatePool(ctx, reconcile.CreateRequest{Name: "p"})
	if ae := asAgentError(t, err); ae.Reason != reconcile.ReasonAgentUnavailable {
		t.Errorf("plaintext CreatePool to a TLS agent = %+v, want AgentUnavailable", ae)
	}
}

func TestDialOptions(t *testing.T) {
	tlsOpts := TLSOptions{CertFile: "/nonexistent/tls.crt", KeyFile: "/nonexistent/tls.key", CAFile: "/nonexistent/ca.crt"}
	tests := []struct {
		name     string
		endpoint string
		opts     Options
		wantErr  string
	}{
		{name: "insecure", endpoint: "127.0.0.1:1", opts: Options{Insecure: true}},
		{name: "empty endpoint", endpoint: "", opts: Options{Insecure: true}, wantErr: "empty endpoint"},
		{name: "no security", endpoint: "127.0.0.1:1", wantErr: "no transport security configured"},
		{name: "both", endpoint: "127.0.0.1:1", opts: Options{Insecure: true, TLS: &tlsOpts}, wantErr: "both TLS and Insecure"},
		{name: "unreadable TLS files", endpoint: "127.0.0.1:1", opts: Options{TLS: &tlsOpts}, wantErr: "dial agent 127.0.0.1:1: read agent client certificate /nonexistent/tls.crt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Dial(tc.endpoint, tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				if c.timeout != DefaultCallTimeout || c.Endpoint() != tc.endpoint {
					t.Errorf("timeout %v endpoint %q", c.timeout, c.Endpoint())
				}
				_ = c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Dial error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering the metrics twice on one registry succeeded")
	}
	agent := &testAgent{
		create: func(_ context.Context, req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
			if req.GetName() == "bad" {
				return nil, poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, "in use", nil)
			}
			return &agentv1.Pool{Name: req.GetName()}, nil
		},
		watch: func(s grpc.ServerStreamingServer[agentv1.WatchPoolsResponse]) error {
			return s.Send(&agentv1.WatchPoolsResponse{Type: agentv1.WatchPoolsResponse_SNAPSHOT, Sequence: 1})
		},
	}
	c := dial(t, serve(t, agent), Options{Insecure: true, Metrics: m})
	ctx := testContext(t)
	if _, err := c.CreatePool(ctx, reconcile.CreateRequest{Name: "good"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePool(ctx, reconcile.CreateRequest{Name: "bad"}); err == nil {
		t.Fatal("CreatePool of bad succeeded")
	}
	if err := c.Watch(ctx, func(WatchEvent) {}); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("Watch = %v", err)
	}

	for _, tc := range []struct {
		method, code string
		want         float64
	}{
		{"CreatePool", "OK", 1},
		{"CreatePool", "FailedPrecondition", 1},
		{"WatchPools", "OK", 1},
	} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(tc.method, tc.code)); got != tc.want {
			t.Errorf("requests_total{method=%q,code=%q} = %v, want %v", tc.method, tc.code, got, tc.want)
		}
	}
	// One histogram series (CreatePool): streams are not timed.
	if n := testutil.CollectAndCount(m.duration, "diskpool_grpc_client_request_duration_seconds"); n != 1 {
		t.Errorf("duration series = %d, want 1", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
