package app

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agent/transport"
	"github.com/diskpool/diskpool-operator/pkg/agent/transport/transporttest"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
)

// env is everything one agent process needs, kept across restarts.
type env struct {
	t        *testing.T
	devDir   string
	stateDir string
	certs    transport.TLSFiles
	ca       *transporttest.CA // signs the server certificate
	clientCA *transporttest.CA // signs client certificates
	client   *fake.Clientset
	clock    *testingclock.FakeClock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	base := t.TempDir()
	e := &env{
		t: t, devDir: filepath.Join(base, "dev"), stateDir: filepath.Join(base, "state"),
		ca: transporttest.NewCA(t, "agent-ca"), clientCA: transporttest.NewCA(t, "client-ca"),
		client: fake.NewClientset(), clock: testingclock.NewFakeClock(time.Now()),
	}
	if err := os.Mkdir(e.devDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cert, key, ca := transporttest.ServerFiles(t, base, e.ca.Server(t), e.clientCA)
	e.certs = transport.TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: ca}
	return e
}

// running is one Run of the agent.
type running struct {
	addr, metricsAddr string
	cancel            context.CancelFunc
	done              chan error
}

func (e *env) start() *running {
	e.t.Helper()
	_, ctx := ktesting.NewTestContext(e.t)
	ctx, cancel := context.WithCancel(ctx)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	mlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	o := NewOptions()
	o.Node = "node-a"
	o.AllowedDeviceDirs = []string{e.devDir}
	o.Disks = []string{filepath.Join(e.devDir, "*")}
	o.StateDir = e.stateDir
	o.TLS = e.certs
	o.AdvertiseAddress = "127.0.0.1"
	o.MetricsAddress = ""
	o.Complete()
	if err := o.Validate(); err != nil {
		e.t.Fatal(err)
	}
	ready := make(chan struct{})
	r := &running{addr: lis.Addr().String(), metricsAddr: mlis.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- Run(ctx, o, Deps{KubeClient: e.client, Listener: lis, MetricsListener: mlis,
			Registry: prometheus.NewPedanticRegistry(), Clock: e.clock, Ready: ready})
	}()
	select {
	case <-ready:
	case err := <-r.done:
		e.t.Fatalf("Run returned before serving: %v", err)
	case <-time.After(20 * time.Second):
		e.t.Fatal("agent not ready")
	}
	e.t.Cleanup(func() { r.stop(e.t) })
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func (e *env) dial(addr string, cert *tls.Certificate) *grpc.ClientConn {
	e.t.Helper()
	cfg := &tls.Config{RootCAs: e.ca.Pool(), MinVersion: tls.VersionTLS13}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (e *env) lease() *coordinationv1.Lease {
	l, err := e.client.CoordinationV1().Leases(agentlease.DefaultNamespace).Get(context.Background(), agentlease.Name("node-a"), metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return l
}

func (e *env) waitLease(what string, cond func(*coordinationv1.Lease) bool) *coordinationv1.Lease {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if l := e.lease(); l != nil && cond(l) {
			return l
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s: %+v", what, e.lease())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestAgentEndToEnd runs the real agent twice on the same sparse disk with
// mTLS and a Lease on the fake clientset.
func TestAgentEndToEnd(t *testing.T) {
	e := newEnv(t)
	disk := filepath.Join(e.devDir, "sdb")
	if err := os.WriteFile(disk, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(disk, 1<<30); err != nil {
		t.Fatal(err)
	}
	r := e.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The Lease appears, live, with the bound endpoint.
	t0 := e.clock.Now()
	l := e.waitLease("the lease", func(l *coordinationv1.Lease) bool { return agentlease.Live(l, t0) })
	if got := agentlease.Endpoint(l); got != r.addr {
		t.Fatalf("lease endpoint = %q, want %q", got, r.addr)
	}
	// It is renewed on the clock.
	e.clock.Step(agentlease.DefaultRenewInterval)
	e.waitLease("a renewal", func(l *coordinationv1.Lease) bool {
		return l.Spec.RenewTime.Time.Equal(t0.Add(agentlease.DefaultRenewInterval))
	})

	// A client without a certificate, or with one from another CA, is
	// refused; the operator's certificate works.
	for name, cert := range map[string]*tls.Certificate{
		"no certificate":      nil,
		"another CA's client": ptrTo(transporttest.NewCA(t, "rogue").Client(t, "rogue").TLS(t)),
	} {
		_, err := agentv1.NewPoolServiceClient(e.dial(r.addr, cert)).ListPools(ctx, &agentv1.ListPoolsRequest{})
		if err == nil {
			t.Fatalf("%s: ListPools succeeded", name)
		}
	}
	good := e.clientCA.Client(t, "diskpool-operator").TLS(t)
	conn := e.dial(r.addr, &good)
	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: agentv1.PoolService_ServiceDesc.ServiceName})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", hc, err)
	}
	client := agentv1.NewPoolServiceClient(conn)
	created, err := client.CreatePool(ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: "uid-1", Disks: []string{"aio://" + disk}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: "pool-a", Uuid: "a1b2c3d4-0000-4000-8000-000000000001", Size: 8 << 20}); err != nil {
		t.Fatal(err)
	}

	// Metrics: pool gauges and call counts.
	body := scrape(t, "http://"+r.metricsAddr+"/metrics")
	for _, want := range []string{
		`diskpool_agent_pool_state{node="node-a",pool="pool-a",state="online"} 1`,
		`diskpool_agent_pool_used_bytes{node="node-a",pool="pool-a"} 8.388608e+06`,
		`diskpool_agent_grpc_server_handled_total{grpc_code="OK",grpc_method="CreatePool",grpc_service="diskpool.agent.v1.PoolService"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A watch stream is open when the agent stops: shutdown must not hang.
	watch, err := client.WatchPools(ctx, &agentv1.WatchPoolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Recv(); err != nil {
		t.Fatal(err)
	}
	r.stop(t)
	if l := e.lease(); agentlease.Holder(l) != "" || agentlease.Live(l, e.clock.Now()) {
		t.Fatalf("lease after shutdown = %+v, want released", l.Spec)
	}
	if _, err := watch.Recv(); err == nil {
		t.Fatal("watch stream still open after shutdown")
	}

	// Restart: the pool is back with its uuid and replica, the Lease is
	// acquired again.
	r = e.start()
	e.waitLease("the lease again", func(l *coordinationv1.Lease) bool { return agentlease.Holder(l) == "node-a" })
	conn = e.dial(r.addr, &good)
	got, err := agentv1.NewPoolServiceClient(conn).GetPool(ctx, &agentv1.GetPoolRequest{Name: "pool-a"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetUuid() != created.GetUuid() || got.GetReplicaCount() != 1 || got.GetState() != agentv1.PoolState_POOL_STATE_ONLINE {
		t.Fatalf("after restart = %v", got)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ptrTo[T any](v T) *T { return &v }
