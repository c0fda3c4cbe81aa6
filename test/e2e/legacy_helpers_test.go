package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// ensureNamespace creates ns unless it exists (the legacy example's
// "mayastor" namespace outlives a test).
func (f *fixture) ensureNamespace(ns string) {
	f.T.Helper()
	_, err := f.Kube.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		f.T.Fatalf("create namespace %s: %v", ns, err)
	}
}

// newMSP creates a MayastorPool in ns.
func (f *fixture) newMSP(ns, name, node string, disks ...string) *v1alpha1.MayastorPool {
	f.T.Helper()
	m, err := f.Pools.OpenebsV1alpha1().MayastorPools(ns).Create(f.Ctx, &v1alpha1.MayastorPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1alpha1.MayastorPoolSpec{Node: node, Disks: disks},
	}, metav1.CreateOptions{})
	if err != nil {
		f.T.Fatalf("create MayastorPool %s/%s: %v", ns, name, err)
	}
	return m
}

// waitMSP polls the MayastorPool ns/name until cond holds and returns it,
// failing the test with the last one seen after timeout.
func (f *fixture) waitMSP(ns, name, what string, timeout time.Duration, cond func(*v1alpha1.MayastorPool) bool) *v1alpha1.MayastorPool {
	f.T.Helper()
	var last *v1alpha1.MayastorPool
	var lastErr error
	err := wait.PollUntilContextTimeout(f.Ctx, harness.PollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		m, err := f.Pools.OpenebsV1alpha1().MayastorPools(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		last, lastErr = m, nil
		return cond(m), nil
	})
	if err != nil {
		f.T.Fatalf("MayastorPool %s/%s: not %s within %s: last seen %s (error %v)", ns, name, what, timeout, describeMSP(last), lastErr)
	}
	return last
}

// waitMSPReason waits until the MayastorPool ns/name's status reason
// says want.
func (f *fixture) waitMSPReason(ns, name, want string) *v1alpha1.MayastorPool {
	f.T.Helper()
	return f.waitMSP(ns, name, "saying "+want, harness.ConvergeTimeout, func(m *v1alpha1.MayastorPool) bool {
		return strings.Contains(m.Status.Reason, want)
	})
}

// waitMSPOnline waits for state online with a capacity.
func (f *fixture) waitMSPOnline(ns, name string) *v1alpha1.MayastorPool {
	f.T.Helper()
	return f.waitMSP(ns, name, "online", harness.ConvergeTimeout, func(m *v1alpha1.MayastorPool) bool {
		return m.Status.State == v1alpha1.StateOnline && m.Status.Capacity > 0
	})
}

// waitMSPGone waits until the MayastorPool ns/name no longer exists.
func (f *fixture) waitMSPGone(ns, name string, timeout time.Duration) {
	f.T.Helper()
	var last *v1alpha1.MayastorPool
	err := wait.PollUntilContextTimeout(f.Ctx, harness.PollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		m, err := f.Pools.OpenebsV1alpha1().MayastorPools(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil {
			last = m
		}
		return false, nil
	})
	if err != nil {
		f.T.Fatalf("MayastorPool %s/%s still exists after %s: %s", ns, name, timeout, describeMSP(last))
	}
}

func describeMSP(m *v1alpha1.MayastorPool) string {
	if m == nil {
		return "nothing"
	}
	return fmt.Sprintf("state=%q reason=%q node=%q disks=%v capacity=%d used=%d spec=(%s %v) finalizers=%v deleting=%v",
		m.Status.State, m.Status.Reason, m.Status.Node, m.Status.Disks, m.Status.Capacity, m.Status.Used,
		m.Spec.Node, m.Spec.Disks, m.Finalizers, m.DeletionTimestamp != nil)
}

// agentPool returns the pool name as node's agent reports it, or nil when
// the agent has no such pool.
func (f *fixture) agentPool(node, name string) *agentv1.Pool {
	f.T.Helper()
	ctx, cancel := f.callCtx()
	defer cancel()
	resp, err := f.agentClient(node).ListPools(ctx, &agentv1.ListPoolsRequest{})
	if err != nil {
		f.T.Fatalf("ListPools on %s: %v", node, err)
	}
	for _, p := range resp.GetPools() {
		if p.GetName() == name {
			return p
		}
	}
	return nil
}

// replicaUUIDs returns the sorted uuids of the replicas of pool on node.
func (f *fixture) replicaUUIDs(node, pool string) []string {
	f.T.Helper()
	ctx, cancel := f.callCtx()
	defer cancel()
	resp, err := f.agentClient(node).ListReplicas(ctx, &agentv1.ListReplicasRequest{Pool: pool})
	if err != nil {
		f.T.Fatalf("ListReplicas %s on %s: %v", pool, node, err)
	}
	var out []string
	for _, r := range resp.GetReplicas() {
		out = append(out, r.GetUuid())
	}
	slices.Sort(out)
	return out
}

// destroyPoolCalls sums the DestroyPool calls every agent has handled
// (whatever their outcome), from the agents' /metrics
// (diskpool_agent_grpc_server_handled_total). An agent restart resets its
// count, so callers compare counts taken while the agents ran throughout.
func (f *fixture) destroyPoolCalls() map[string]int {
	f.T.Helper()
	out := map[string]int{}
	for _, node := range f.Env.Nodes() {
		out[node], _ = harness.AgentCalls(f.T, f.Ctx, f.Env, node).Total("DestroyPool")
	}
	return out
}

// migrateCLI runs `diskpool-operator migrate-mayastorpools` (the binary the
// environment runs) as the admin, and returns its exit status and output.
func (f *fixture) migrateCLI(args ...string) (int, string) {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(f.Ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.Env.OperatorBinary(), append([]string{"migrate-mayastorpools",
		"--kubeconfig=" + f.Env.Kubeconfig(), "--interval=100ms"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	}
	f.T.Fatalf("run %s: %v\n%s", cmd, err, out.String())
	return -1, ""
}
