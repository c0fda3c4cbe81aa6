package harness

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// Poll checks cond every PollInterval until it holds, failing t after
// timeout with what and the last state cond described.
func Poll(t testing.TB, ctx context.Context, what string, timeout time.Duration, cond func(context.Context) (bool, string)) {
	t.Helper()
	last := ""
	err := wait.PollUntilContextTimeout(ctx, PollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		ok, state := cond(ctx)
		last = state
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not reached within %s; last seen: %s", what, timeout, last)
	}
}

// NewDisk adds a fresh empty disk to node.
func (f *Fixture) NewDisk(node string) string {
	f.T.Helper()
	p, err := f.Env.AddDisk(node)
	if err != nil {
		f.T.Fatal(err)
	}
	return p
}

// Pool returns a DiskPool object of f's namespace (not created).
func (f *Fixture) Pool(name, node string, disks ...string) *v1beta3.DiskPool {
	return &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.NS},
		Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: disks},
	}
}

// CreatePool creates a DiskPool in f's namespace.
func (f *Fixture) CreatePool(name, node string, disks ...string) *v1beta3.DiskPool {
	f.T.Helper()
	return f.MustCreate(f.Pool(name, node, disks...))
}

// CreatedPool creates a pool named UniqueName(prefix) on a fresh disk of
// node and waits until it is Created: the start of most tests.
func (f *Fixture) CreatedPool(prefix, node string) (name, disk string, p *v1beta3.DiskPool) {
	f.T.Helper()
	disk = f.NewDisk(node)
	name = UniqueName(prefix)
	f.CreatePool(name, node, disk)
	return name, disk, f.WaitCreated(name)
}

// MustCreate creates p in its namespace.
func (f *Fixture) MustCreate(p *v1beta3.DiskPool) *v1beta3.DiskPool {
	f.T.Helper()
	out, err := f.Pools.OpenebsV1beta3().DiskPools(p.Namespace).Create(f.Ctx, p, metav1.CreateOptions{})
	if err != nil {
		f.T.Fatalf("create DiskPool %s/%s: %v", p.Namespace, p.Name, err)
	}
	return out
}

// GetPool gets a DiskPool of f's namespace.
func (f *Fixture) GetPool(name string) (*v1beta3.DiskPool, error) {
	return f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(f.Ctx, name, metav1.GetOptions{})
}

// DeletePool deletes a DiskPool of f's namespace.
func (f *Fixture) DeletePool(name string) {
	f.T.Helper()
	if err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Delete(f.Ctx, name, metav1.DeleteOptions{}); err != nil {
		f.T.Fatalf("delete DiskPool %s/%s: %v", f.NS, name, err)
	}
}

// WaitPool polls the pool until cond holds and returns it, failing the
// test after timeout with the last status seen.
func (f *Fixture) WaitPool(name, what string, timeout time.Duration, cond func(*v1beta3.DiskPool) bool) *v1beta3.DiskPool {
	f.T.Helper()
	var last *v1beta3.DiskPool
	Poll(f.T, f.Ctx, fmt.Sprintf("pool %s/%s %s", f.NS, name, what), timeout, func(ctx context.Context) (bool, string) {
		p, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Sprintf("%s (before: %s)", err, Describe(last))
		}
		last = p
		return cond(p), Describe(p)
	})
	return last
}

// WaitCreated waits until the pool is Created/Online with Ready=True.
func (f *Fixture) WaitCreated(name string) *v1beta3.DiskPool {
	f.T.Helper()
	return f.WaitPool(name, "Created/Online", f.Timeout, IsCreatedOnline)
}

// WaitGone waits until the pool object no longer exists.
func (f *Fixture) WaitGone(name string, timeout time.Duration) {
	f.T.Helper()
	Poll(f.T, f.Ctx, fmt.Sprintf("pool %s/%s gone", f.NS, name), timeout, func(ctx context.Context) (bool, string) {
		p, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, Describe(p)
	})
}

// WaitEvent waits for an events.k8s.io event of type typ and reason about
// the object name in f's namespace; it reports a miss with t.Errorf.
func (f *Fixture) WaitEvent(name, typ, reason string) {
	f.T.Helper()
	err := wait.PollUntilContextTimeout(f.Ctx, PollInterval, f.Timeout, true, func(ctx context.Context) (bool, error) {
		l, err := f.Kube.EventsV1().Events(f.NS).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // the API may be briefly away: look again
		}
		for _, e := range l.Items {
			if e.Regarding.Name == name && e.Type == typ && e.Reason == reason {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		f.T.Errorf("no %s event %s about %s/%s within %s", typ, reason, f.NS, name, f.Timeout)
	}
}

// IsCreatedOnline reports Created, Online and Ready=True.
func IsCreatedOnline(p *v1beta3.DiskPool) bool {
	return p.Status.CRState == v1beta3.CRStateCreated && p.Status.PoolStatus == v1beta3.PoolStatusOnline &&
		meta.IsStatusConditionTrue(p.Status.Conditions, v1beta3.ConditionReady)
}

// Ready returns the Ready condition, or nil.
func Ready(p *v1beta3.DiskPool) *metav1.Condition {
	return meta.FindStatusCondition(p.Status.Conditions, v1beta3.ConditionReady)
}

// ReadyReason returns the reason of the Ready condition, or "".
func ReadyReason(p *v1beta3.DiskPool) string {
	if c := Ready(p); c != nil {
		return c.Reason
	}
	return ""
}

// Describe renders a pool's status for failure messages.
func Describe(p *v1beta3.DiskPool) string {
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
