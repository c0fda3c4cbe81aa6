package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// Bounds of the waits. A pool on a live agent converges in well under a
// second; these leave room for a loaded 2-core machine.
const (
	convergeTimeout = 30 * time.Second
	pollInterval    = 100 * time.Millisecond
	// logTailLines of each process log are shown when a test fails.
	logTailLines = 40
)

// fixture is what a test gets: the environment, clients, a namespace of its
// own and a context bounded by the test's deadline.
type fixture struct {
	t    *testing.T
	ctx  context.Context
	env  *localenv.Env
	kube kubernetes.Interface
	pool versioned.Interface
	ns   string
}

// setup returns a fixture with a fresh namespace. When the test fails, the
// tail of the operator's and the agents' logs is logged.
func setup(t *testing.T) *fixture {
	t.Helper()
	e := requireEnv(t)
	ctx := t.Context()
	cfg := e.RESTConfig()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, env: e, kube: kube, pool: pools}
	f.ns = uniqueName("e2e-" + strings.ToLower(t.Name()))
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if p := e.Operator(); p != nil {
			t.Logf("---- tail of %s ----\n%s", p.LogPath(), p.LogTail(logTailLines))
		}
		for _, n := range e.Nodes() {
			if p := e.Agent(n); p != nil {
				t.Logf("---- tail of %s ----\n%s", p.LogPath(), p.LogTail(logTailLines))
			}
		}
	})
	return f
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// uniqueName returns prefix (cut to fit a DNS label, characters outside
// [a-z0-9-] replaced) with a random suffix. Pool names must be unique
// across the suite, not only per namespace: an agent names its pools by
// object name.
func uniqueName(prefix string) string {
	prefix = strings.Trim(nonName.ReplaceAllString(strings.ToLower(prefix), "-"), "-")
	if len(prefix) > 50 {
		prefix = strings.TrimRight(prefix[:50], "-")
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// newDisk adds a fresh empty disk to node.
func (f *fixture) newDisk(node string) string {
	f.t.Helper()
	p, err := f.env.AddDisk(node)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// newPool creates a v1beta3 DiskPool in the fixture's namespace.
func (f *fixture) newPool(name, node string, disks ...string) *v1beta3.DiskPool {
	f.t.Helper()
	p, err := f.pool.OpenebsV1beta3().DiskPools(f.ns).Create(f.ctx, &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: disks},
	}, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatalf("create DiskPool %s/%s: %v", f.ns, name, err)
	}
	return p
}

// waitPool polls the pool until cond holds and returns it, failing the test
// with the last status seen after timeout.
func (f *fixture) waitPool(name, what string, timeout time.Duration, cond func(*v1beta3.DiskPool) bool) *v1beta3.DiskPool {
	f.t.Helper()
	var last *v1beta3.DiskPool
	var lastErr error
	err := wait.PollUntilContextTimeout(f.ctx, pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := f.pool.OpenebsV1beta3().DiskPools(f.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		last, lastErr = p, nil
		return cond(p), nil
	})
	if err != nil {
		f.t.Fatalf("pool %s/%s: not %s within %s: last seen %s (error %v)", f.ns, name, what, timeout, describe(last), lastErr)
	}
	return last
}

// waitCreated waits for Created/Online with Ready=True.
func (f *fixture) waitCreated(name string) *v1beta3.DiskPool {
	f.t.Helper()
	return f.waitPool(name, "Created/Online", convergeTimeout, isCreatedOnline)
}

func isCreatedOnline(p *v1beta3.DiskPool) bool {
	return p.Status.CRState == v1beta3.CRStateCreated && p.Status.PoolStatus == v1beta3.PoolStatusOnline &&
		meta.IsStatusConditionTrue(p.Status.Conditions, v1beta3.ConditionReady)
}

// readyReason returns the reason of the Ready condition, or "".
func readyReason(p *v1beta3.DiskPool) string {
	if c := meta.FindStatusCondition(p.Status.Conditions, v1beta3.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

// waitGone waits until the pool object no longer exists.
func (f *fixture) waitGone(name string, timeout time.Duration) {
	f.t.Helper()
	var last *v1beta3.DiskPool
	err := wait.PollUntilContextTimeout(f.ctx, pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := f.pool.OpenebsV1beta3().DiskPools(f.ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil {
			last = p
		}
		return false, nil
	})
	if err != nil {
		f.t.Fatalf("pool %s/%s still exists after %s: %s", f.ns, name, timeout, describe(last))
	}
}

func (f *fixture) deletePool(name string) {
	f.t.Helper()
	if err := f.pool.OpenebsV1beta3().DiskPools(f.ns).Delete(f.ctx, name, metav1.DeleteOptions{}); err != nil {
		f.t.Fatalf("delete DiskPool %s/%s: %v", f.ns, name, err)
	}
}

func describe(p *v1beta3.DiskPool) string {
	if p == nil {
		return "nothing"
	}
	var conds []string
	for _, c := range p.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("cr_state=%q pool_status=%q capacity=%d uuid=%q finalizers=%v deleting=%v conditions=[%s]",
		p.Status.CRState, p.Status.PoolStatus, p.Status.Capacity, p.Status.PoolUUID, p.Finalizers,
		p.DeletionTimestamp != nil, strings.Join(conds, "; "))
}

// kubectl runs bin/kubectl as the admin user and returns stdout and stderr;
// stdin may be nil.
func (f *fixture) kubectl(stdin io.Reader, args ...string) (string, string, error) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer cancel()
	cmd := f.env.Cluster().KubectlCommand(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// mustKubectl is kubectl that fails the test on error.
func (f *fixture) mustKubectl(stdin io.Reader, args ...string) (string, string) {
	f.t.Helper()
	out, errOut, err := f.kubectl(stdin, args...)
	if err != nil {
		f.t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out, errOut
}

// agentClient dials node's agent with a client certificate from the same
// CA as the operator's (mutual TLS, as the operator does).
func (f *fixture) agentClient(node string) agentv1.PoolServiceClient {
	f.t.Helper()
	cfg, err := f.env.AgentClientTLS().ClientTLSConfig(localenv.AgentTLSServerName)
	if err != nil {
		f.t.Fatal(err)
	}
	conn, err := grpc.NewClient(f.env.AgentEndpoint(node), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = conn.Close() })
	return agentv1.NewPoolServiceClient(conn)
}

// callCtx bounds one gRPC call.
func (f *fixture) callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(f.ctx, 10*time.Second)
}

// readLabel reads the label areas of a disk file.
func readLabel(t *testing.T, path string) *label.Found {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	found, err := label.Read(fh, fi.Size())
	if err != nil {
		t.Fatalf("read label of %s: %v", path, err)
	}
	return found
}

// firstMiBIsZero reports whether the first MiB of path reads as zeros: no
// label, no signature, nothing written.
func firstMiBIsZero(t *testing.T, path string) bool {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(fh, buf); err != nil {
		t.Fatal(err)
	}
	return bytes.Count(buf, []byte{0}) == len(buf)
}

// fileHash returns the SHA-256 of the whole file.
func fileHash(t *testing.T, path string) string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func splitLines(s string) []string { return strings.Split(s, "\n") }
