package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"k8s.io/klog/v2/ktesting"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

const (
	gib      = 1 << 30
	ownerA   = "11111111-aaaa-4aaa-8aaa-000000000001"
	ownerB   = "22222222-bbbb-4bbb-8bbb-000000000002"
	replica1 = "a1b2c3d4-0000-4000-8000-000000000001"
	replica2 = "a1b2c3d4-0000-4000-8000-000000000002"
)

// harness runs a real Agent behind a real gRPC server on 127.0.0.1 with
// sparse files as disks in an allowed temp directory.
type harness struct {
	t        *testing.T
	ctx      context.Context
	dir      string // the allowed device directory
	stateDir string
	cfg      Config
	opener   *faultyOpener
	agent    *Agent
	srv      *grpc.Server
	conn     *grpc.ClientConn
	client   agentv1.PoolServiceClient
}

func newHarness(t *testing.T, mut ...func(*Config)) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	base := t.TempDir()
	h := &harness{t: t, ctx: ctx, dir: filepath.Join(base, "dev"), stateDir: filepath.Join(base, "state"), opener: &faultyOpener{}}
	for _, d := range []string{h.dir, h.stateDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r, err := disk.NewResolver([]string{h.dir})
	if err != nil {
		t.Fatal(err)
	}
	h.cfg = Config{Node: "node-a", Resolver: r, Opener: h.opener, StateDir: h.stateDir, Disks: []string{filepath.Join(h.dir, "*")}}
	for _, m := range mut {
		m(&h.cfg)
	}
	h.start()
	t.Cleanup(h.stop)
	return h
}

// start creates the agent, imports and serves.
func (h *harness) start() {
	h.t.Helper()
	a, err := New(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := a.Import(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	h.agent, h.srv = a, grpc.NewServer()
	agentv1.RegisterPoolServiceServer(h.srv, a)
	go func() { _ = h.srv.Serve(lis) }()
	h.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		h.t.Fatal(err)
	}
	h.client = agentv1.NewPoolServiceClient(h.conn)
}

func (h *harness) stop() {
	if h.srv == nil {
		return
	}
	_ = h.conn.Close()
	h.agent.Close()
	h.srv.GracefulStop()
	h.srv = nil
}

// restart stops the agent and starts a new one on the same disks.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// disk creates a sparse file of size in the allowed directory.
func (h *harness) disk(name string, size int64) string {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := f.Truncate(size); err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) create(name, owner string, disks ...string) (*agentv1.Pool, error) {
	return h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: name, OwnerUid: owner, Disks: disks})
}

func (h *harness) mustCreate(name, owner string, disks ...string) *agentv1.Pool {
	h.t.Helper()
	p, err := h.create(name, owner, disks...)
	if err != nil {
		h.t.Fatalf("CreatePool(%s): %v", name, err)
	}
	return p
}

func (h *harness) mustReplica(pool, id string, size uint64, thin bool) *agentv1.Replica {
	h.t.Helper()
	r, err := h.client.CreateReplica(h.ctx, &agentv1.CreateReplicaRequest{Pool: pool, Uuid: id, Size: size, Thin: thin})
	if err != nil {
		h.t.Fatalf("CreateReplica(%s, %s): %v", pool, id, err)
	}
	return r
}

func (h *harness) get(name string) *agentv1.Pool {
	h.t.Helper()
	p, err := h.client.GetPool(h.ctx, &agentv1.GetPoolRequest{Name: name})
	if err != nil {
		h.t.Fatalf("GetPool(%s): %v", name, err)
	}
	return p
}

// wantRefusal checks err is a pool service error with code and reason.
func wantRefusal(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %v %s", code, reason)
	}
	if got := status.Code(err); got != code {
		t.Errorf("code = %v, want %v (%v)", got, code, err)
	}
	if got := poolerr.Reason(err); got != reason {
		t.Errorf("reason = %q, want %q (%v)", got, reason, err)
	}
}

// fileHash hashes a file's size and its data extents with their offsets
// (holes are skipped), so it is cheap on sparse files and changes when any
// byte is written, even a zero into a hole.
func fileHash(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	size := fi.Size()
	_, _ = h.Write([]byte(fi.Mode().String()))
	var off int64
	for off < size {
		data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break
		}
		if err != nil { // no SEEK_DATA: hash everything
			data = off
		}
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			hole = size
		}
		_, _ = h.Write([]byte{byte(data), byte(data >> 8), byte(data >> 16), byte(data >> 24), byte(data >> 32)})
		if _, err := io.Copy(h, io.NewSectionReader(f, data, hole-data)); err != nil {
			t.Fatal(err)
		}
		off = hole
	}
	_, _ = h.Write([]byte{byte(size), byte(size >> 8), byte(size >> 16), byte(size >> 24), byte(size >> 32)})
	return hex.EncodeToString(h.Sum(nil))
}

// faultyOpener wraps disk.OSOpener, can fail reads of chosen paths and
// records every write.
type faultyOpener struct {
	mu       sync.Mutex
	failRead map[string]error
	writes   map[string][]signature.Range
}

// written returns the ranges written to path so far.
func (o *faultyOpener) written(path string) []signature.Range {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]signature.Range(nil), o.writes[path]...)
}

func (o *faultyOpener) recordWrite(path string, off int64, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.writes == nil {
		o.writes = map[string][]signature.Range{}
	}
	o.writes[path] = append(o.writes[path], signature.Range{Off: off, Len: int64(n)})
}

func (o *faultyOpener) setReadError(path string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failRead == nil {
		o.failRead = map[string]error{}
	}
	if err == nil {
		delete(o.failRead, path)
		return
	}
	o.failRead[path] = err
}

func (o *faultyOpener) Open(d *disk.Resolved, write bool) (disk.Device, error) {
	dev, err := disk.OSOpener{}.Open(d, write)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.failRead[d.Path]; err != nil {
		return &failingDevice{Device: dev, err: err}, nil
	}
	return &recordingDevice{Device: dev, o: o, path: d.Path}, nil
}

type recordingDevice struct {
	disk.Device
	o    *faultyOpener
	path string
}

func (d *recordingDevice) WriteAt(b []byte, off int64) (int, error) {
	d.o.recordWrite(d.path, off, len(b))
	return d.Device.WriteAt(b, off)
}

type failingDevice struct {
	disk.Device
	err error
}

func (d *failingDevice) ReadAt([]byte, int64) (int, error) { return 0, d.err }

// waitFor polls cond (cheap, in-memory) until it holds or the deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// content probes a disk directly.
func (h *harness) content(path string) content {
	h.t.Helper()
	r, err := h.cfg.Resolver.Resolve(path)
	if err != nil {
		h.t.Fatal(err)
	}
	pr, err := h.agent.probeDisk(r)
	if err != nil {
		h.t.Fatal(err)
	}
	return pr.content
}
