package badinput

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// fixture is the harness's, with the suite's refusal checks.
type fixture struct {
	*harness.Fixture
}

// setup returns a fixture with a namespace of the test's own.
func setup(t *testing.T) *fixture {
	t.Helper()
	return &fixture{suite.Setup(t)}
}

// in returns f working in namespace ns.
func (f *fixture) in(ns string) *fixture { return &fixture{f.In(ns)} }

// nodeDir is node's allowed device directory.
func nodeDir(node string) string { return env.DiskRoot() + "/" + node }

// create creates p and returns the API's answer.
func (f *fixture) create(p *v1beta3.DiskPool) (*v1beta3.DiskPool, error) {
	return f.Pools.OpenebsV1beta3().DiskPools(p.Namespace).Create(f.Ctx, p, metav1.CreateOptions{})
}

// admits creates p: with want nil the API server must accept it;
// otherwise refuse it as Invalid with a message that says every want, and
// store nothing.
func (f *fixture) admits(t *testing.T, p *v1beta3.DiskPool, want []string) {
	t.Helper()
	_, err := f.create(p)
	if want == nil {
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		return
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create: %v; want Invalid", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q does not say %q", err.Error(), w)
		}
	}
	if p.Name != "" && len(p.Name) <= 253 { // a longer name cannot be looked up
		if _, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(f.Ctx, p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("rejected object is stored: %v", err)
		}
	}
}

// admissionCase mutates a valid pool object into one the API server must
// judge: want are substrings of its refusal; nil: accepted.
type admissionCase struct {
	name   string
	mutate func(p *v1beta3.DiskPool)
	want   []string
}

// admitsAll runs each case on a fresh pool object on node-a's disk-x,
// named from prefix, through admits.
func (f *fixture) admitsAll(t *testing.T, prefix string, cases []admissionCase) {
	t.Helper()
	disk := nodeDir("node-a") + "/disk-x"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := f.Pool(harness.UniqueName(prefix), "node-a", disk)
			tc.mutate(p)
			f.admits(t, p, tc.want)
		})
	}
}

// refused waits until the object's Ready condition is False with reason,
// checks its message contains every want (case-insensitive), that it is
// not Created and has no pool uuid, and that a Warning event with the
// same reason was recorded. It returns the message.
func (f *fixture) refused(name, reason string, want ...string) string {
	f.T.Helper()
	p := f.WaitPool(name, "refused with "+reason, f.Timeout, func(p *v1beta3.DiskPool) bool {
		c := harness.Ready(p)
		return c != nil && c.Reason == reason && c.Status == metav1.ConditionFalse
	})
	msg := harness.Ready(p).Message
	for _, w := range want {
		if !strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
			f.T.Errorf("Ready message %q does not say %q", msg, w)
		}
	}
	if p.Status.CRState == v1beta3.CRStateCreated || p.Status.PoolUUID != "" {
		f.T.Errorf("refused pool: %s; want not Created, no uuid", harness.Describe(p))
	}
	f.WaitEvent(name, "Warning", reason)
	return msg
}

// noPool checks that no agent reports a pool named name.
func (f *fixture) noPool(name string) {
	f.T.Helper()
	for _, n := range f.Env.Nodes() {
		ctx, cancel := context.WithTimeout(f.Ctx, 10*time.Second)
		_, err := harness.AgentClient(f.T, f.Env, n).GetPool(ctx, &agentv1.GetPoolRequest{Name: name})
		cancel()
		if err == nil {
			f.T.Errorf("agent on %s has a pool %s", n, name)
		}
	}
}

// createSparse creates a sparse file of diskSize bytes.
func createSparse(t *testing.T, path string) {
	t.Helper()
	if err := localenv.CreateDisk(path, diskSize); err != nil {
		t.Fatal(err)
	}
}
