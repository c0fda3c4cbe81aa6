package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// Bounds of the waits. A pool on a live agent converges in well under a
// second; ConvergeTimeout leaves room for a loaded 2-core machine.
const (
	ConvergeTimeout = 30 * time.Second
	PollInterval    = 100 * time.Millisecond
	// LogTailLines of each process log are shown when a test fails.
	LogTailLines = 40
)

// Fixture is what a test gets: the environment, admin clients, a namespace
// of its own and the test's context.
type Fixture struct {
	T     *testing.T
	Ctx   context.Context
	Env   *localenv.Env
	Kube  kubernetes.Interface
	Pools versioned.Interface
	// NS is the namespace the pool helpers work in.
	NS string
	// Timeout bounds WaitCreated and WaitGone; ConvergeTimeout by default.
	Timeout time.Duration
}

// Setup returns a fixture with a fresh namespace named after the test,
// skipping t when the suite has no environment. When the test fails, the
// tails of the operator's and the agents' logs are logged.
func (s *Suite) Setup(t *testing.T) *Fixture {
	t.Helper()
	e := s.Env(t)
	f := NewFixture(t, e)
	f.NS = f.CreateNamespace(s.Name + "-" + t.Name())
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		procs := []*localcluster.Process{e.Operator()}
		for _, n := range e.Nodes() {
			procs = append(procs, e.Agent(n))
		}
		LogTails(t, procs...)
	})
	return f
}

// NewFixture returns a fixture with admin clients and no namespace.
func NewFixture(t *testing.T, e *localenv.Env) *Fixture {
	t.Helper()
	cfg := e.RESTConfig()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Fixture{T: t, Ctx: t.Context(), Env: e, Kube: kube, Pools: pools, Timeout: ConvergeTimeout}
}

// In returns a copy of f working in namespace ns.
func (f *Fixture) In(ns string) *Fixture {
	g := *f
	g.NS = ns
	return &g
}

// For returns a copy of f for the subtest t (its T and context).
func (f *Fixture) For(t *testing.T) *Fixture {
	g := *f
	g.T, g.Ctx = t, t.Context()
	return &g
}

// CreateNamespace creates a namespace named UniqueName(prefix) and returns
// its name.
func (f *Fixture) CreateNamespace(prefix string) string {
	f.T.Helper()
	ns := UniqueName(prefix)
	if _, err := f.Kube.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		f.T.Fatal(err)
	}
	return ns
}

// LogTails logs the last LogTailLines of each process's log (nil ones
// are left out).
func LogTails(t testing.TB, procs ...*localcluster.Process) {
	t.Helper()
	for _, p := range procs {
		if p != nil {
			t.Logf("---- tail of %s ----\n%s", p.LogPath(), p.LogTail(LogTailLines))
		}
	}
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// UniqueName returns prefix, made a DNS label (cut to 40 characters,
// characters outside [a-z0-9-] replaced), with a random suffix. Pool names
// must be unique across a suite, not only per namespace: an agent names
// its pools by object name.
func UniqueName(prefix string) string {
	prefix = strings.Trim(nonName.ReplaceAllString(strings.ToLower(prefix), "-"), "-")
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-")
	}
	return prefix + "-" + RandHex(3)
}

// RandHex returns n random bytes in hex.
func RandHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
