package badinput

import (
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
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

const (
	convergeTimeout = 30 * time.Second
	pollInterval    = 100 * time.Millisecond
	logTailLines    = 30
)

type fixture struct {
	t    *testing.T
	ctx  context.Context
	kube kubernetes.Interface
	pool versioned.Interface
	ns   string
}

// setup returns clients and a namespace of the test's own.
func setup(t *testing.T) *fixture {
	t.Helper()
	e := requireEnv(t)
	cfg := e.RESTConfig()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: t.Context(), kube: kube, pool: pools, ns: uniqueName("bad-" + t.Name())}
	if _, err := kube.CoreV1().Namespaces().Create(f.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if p := e.Operator(); p != nil {
			t.Logf("---- tail of %s ----\n%s", p.LogPath(), p.LogTail(logTailLines))
		}
	})
	return f
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// uniqueName is prefix made a DNS label, with a random suffix: an agent
// names pools by object name, so names are unique across the suite.
func uniqueName(prefix string) string {
	prefix = strings.Trim(nonName.ReplaceAllString(strings.ToLower(prefix), "-"), "-")
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-")
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func (f *fixture) newDisk(node string) string {
	f.t.Helper()
	p, err := env.AddDisk(node)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// nodeDir is node's allowed device directory.
func nodeDir(node string) string { return env.DiskRoot() + "/" + node }

func (f *fixture) object(name, node string, disks ...string) *v1beta3.DiskPool {
	return &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: disks},
	}
}

func (f *fixture) create(p *v1beta3.DiskPool) (*v1beta3.DiskPool, error) {
	return f.pool.OpenebsV1beta3().DiskPools(p.Namespace).Create(f.ctx, p, metav1.CreateOptions{})
}

func (f *fixture) mustCreate(p *v1beta3.DiskPool) *v1beta3.DiskPool {
	f.t.Helper()
	out, err := f.create(p)
	if err != nil {
		f.t.Fatalf("create DiskPool %s/%s: %v", p.Namespace, p.Name, err)
	}
	return out
}

// waitPool polls until cond holds and returns the object.
func (f *fixture) waitPool(ns, name, what string, cond func(*v1beta3.DiskPool) bool) *v1beta3.DiskPool {
	f.t.Helper()
	var last *v1beta3.DiskPool
	err := wait.PollUntilContextTimeout(f.ctx, pollInterval, convergeTimeout, true, func(ctx context.Context) (bool, error) {
		p, err := f.pool.OpenebsV1beta3().DiskPools(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = p
		return cond(p), nil
	})
	if err != nil {
		f.t.Fatalf("pool %s/%s: not %s within %s: last seen %s", ns, name, what, convergeTimeout, describe(last))
	}
	return last
}

func (f *fixture) waitCreated(ns, name string) *v1beta3.DiskPool {
	f.t.Helper()
	return f.waitPool(ns, name, "Created/Online", func(p *v1beta3.DiskPool) bool {
		return p.Status.CRState == v1beta3.CRStateCreated && p.Status.PoolStatus == v1beta3.PoolStatusOnline &&
			meta.IsStatusConditionTrue(p.Status.Conditions, v1beta3.ConditionReady)
	})
}

func (f *fixture) waitGone(ns, name string) {
	f.t.Helper()
	err := wait.PollUntilContextTimeout(f.ctx, pollInterval, convergeTimeout, true, func(ctx context.Context) (bool, error) {
		_, err := f.pool.OpenebsV1beta3().DiskPools(ns).Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		f.t.Fatalf("pool %s/%s still exists after %s", ns, name, convergeTimeout)
	}
}

func (f *fixture) delete(ns, name string) {
	f.t.Helper()
	if err := f.pool.OpenebsV1beta3().DiskPools(ns).Delete(f.ctx, name, metav1.DeleteOptions{}); err != nil {
		f.t.Fatalf("delete %s/%s: %v", ns, name, err)
	}
}

func ready(p *v1beta3.DiskPool) *metav1.Condition {
	return meta.FindStatusCondition(p.Status.Conditions, v1beta3.ConditionReady)
}

func describe(p *v1beta3.DiskPool) string {
	if p == nil {
		return "nothing"
	}
	var conds []string
	for _, c := range p.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("cr_state=%q pool_status=%q uuid=%q finalizers=%v deleting=%v conditions=[%s]",
		p.Status.CRState, p.Status.PoolStatus, p.Status.PoolUUID, p.Finalizers, p.DeletionTimestamp != nil, strings.Join(conds, "; "))
}

// refused waits until the object's Ready condition is False with reason,
// checks its message contains every want (case-insensitive), that it is
// not Created and has no pool uuid, and that a Warning event with the
// same reason was recorded. It returns the message.
func (f *fixture) refused(ns, name, reason string, want ...string) string {
	f.t.Helper()
	p := f.waitPool(ns, name, "refused with "+reason, func(p *v1beta3.DiskPool) bool {
		c := ready(p)
		return c != nil && c.Reason == reason && c.Status == metav1.ConditionFalse
	})
	msg := ready(p).Message
	for _, w := range want {
		if !strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
			f.t.Errorf("Ready message %q does not say %q", msg, w)
		}
	}
	if p.Status.CRState == v1beta3.CRStateCreated || p.Status.PoolUUID != "" {
		f.t.Errorf("refused pool: %s; want not Created, no uuid", describe(p))
	}
	f.waitEvent(ns, name, "Warning", reason)
	return msg
}

// waitEvent waits for an events.k8s.io event about the object.
func (f *fixture) waitEvent(ns, name, typ, reason string) {
	f.t.Helper()
	err := wait.PollUntilContextTimeout(f.ctx, pollInterval, convergeTimeout, true, func(ctx context.Context) (bool, error) {
		l, err := f.kube.EventsV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		for _, e := range l.Items {
			if e.Regarding.Name == name && e.Type == typ && e.Reason == reason {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		f.t.Errorf("no %s event %s about %s/%s within %s", typ, reason, ns, name, convergeTimeout)
	}
}

// noPool checks that no agent reports a pool named name.
func (f *fixture) noPool(name string) {
	f.t.Helper()
	for _, n := range env.Nodes() {
		ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
		_, err := agentClient(f.t, n).GetPool(ctx, &agentv1.GetPoolRequest{Name: name})
		cancel()
		if err == nil {
			f.t.Errorf("agent on %s has a pool %s", n, name)
		}
	}
}

func agentClient(t *testing.T, node string) agentv1.PoolServiceClient {
	t.Helper()
	cfg, err := env.AgentClientTLS().ClientTLSConfig(localenv.AgentTLSServerName)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(env.AgentEndpoint(node), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return agentv1.NewPoolServiceClient(conn)
}

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

// createSparse creates a sparse file of diskSize bytes.
func createSparse(t *testing.T, path string) {
	t.Helper()
	if err := localenv.CreateDisk(path, diskSize); err != nil {
		t.Fatal(err)
	}
}
