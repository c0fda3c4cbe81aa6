package badinput

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// leaderLease is the operator's leader-election Lease (--leader-elect-id).
const leaderLease = "diskpool-operator"

// nodeNameExtra is the user extra of a pod-bound token naming its node.
const nodeNameExtra = "authentication.kubernetes.io/node-name"

// policyTimeout bounds the wait for the API server to enforce the policy
// applied at start (admission policies are loaded by an informer).
const policyTimeout = 30 * time.Second

func kubeFrom(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube
}

// TestAgentWritesOnlyItsOwnLease uses node-a's agent token (the one its
// process runs with: the diskpool-agent ServiceAccount, bound to a Pod on
// node-a) against the API server with manifests/base applied: updating
// node-b's Lease, the leader Lease, or its own Lease relabelled or held for
// another node is Forbidden, and so is creating another node's Lease; a
// token of the same ServiceAccount that is not bound to a pod may write no
// Lease at all; updating its own Lease works.
func TestAgentWritesOnlyItsOwnLease(t *testing.T) {
	f := setup(t)
	nodes := env.Nodes()
	if len(nodes) < 2 {
		t.Fatalf("need two nodes, have %v", nodes)
	}
	a, b := nodes[0], nodes[1]
	agentA := kubeFrom(t, env.AgentKubeconfig(a))
	ssr, err := agentA.AuthenticationV1().SelfSubjectReviews().Create(f.Ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ssr.Status.UserInfo.Extra[nodeNameExtra]; !slices.Equal(got, []string{a}) {
		t.Fatalf("agent %s token: %s = %v, want [%s]", a, nodeNameExtra, got, a)
	}
	leases := agentA.CoordinationV1().Leases(localenv.SystemNamespace)
	admin := f.Kube.CoordinationV1().Leases(localenv.SystemNamespace)
	waitLeaderLease(t, f.Ctx, admin)
	waitPolicyEnforced(t, f.Ctx, leases, agentlease.Name(b))

	t.Run("another node's endpoint", func(t *testing.T) {
		before, err := admin.Get(f.Ctx, agentlease.Name(b), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Read again on a conflict: node B's agent renews its Lease
		// meanwhile, and a stale resourceVersion gets a 409 before the
		// policy is asked.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			l, err := admin.Get(f.Ctx, agentlease.Name(b), metav1.GetOptions{})
			if err != nil {
				return err
			}
			l.Annotations[agentlease.EndpointAnnotation] = "127.0.0.1:1"
			_, err = leases.Update(f.Ctx, l, metav1.UpdateOptions{})
			return err
		})
		wantForbidden(t, err, "may write only Lease "+agentlease.Name(a))
		after, err := admin.Get(f.Ctx, agentlease.Name(b), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := agentlease.Endpoint(after), agentlease.Endpoint(before); got != want {
			t.Errorf("node %s Lease endpoint is %q, was %q", b, got, want)
		}
	})
	t.Run("leader lease", func(t *testing.T) {
		// Read again on a conflict: the leader renews every 2 s.
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			l, err := leases.Get(f.Ctx, leaderLease, metav1.GetOptions{})
			if err != nil {
				return err
			}
			l.Spec.HolderIdentity = ptr.To(a)
			_, err = leases.Update(f.Ctx, l, metav1.UpdateOptions{})
			return err
		})
		wantForbidden(t, err, "may write only Lease "+agentlease.Name(a))
	})
	t.Run("create another node's lease", func(t *testing.T) {
		other := "node-never-" + harness.UniqueName("x")
		l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{
			Name: agentlease.Name(other), Namespace: localenv.SystemNamespace, Labels: agentlease.Labels(other)}}
		_, err := leases.Create(f.Ctx, l, metav1.CreateOptions{})
		wantForbidden(t, err, "may write only Lease "+agentlease.Name(a))
		if _, err := admin.Get(f.Ctx, l.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("Lease %s: got %v, want NotFound", l.Name, err)
		}
	})
	t.Run("own lease labelled for another node", func(t *testing.T) {
		updateOwn(t, f.Ctx, leases, a, func(l *coordinationv1.Lease) { l.Labels[agentlease.NodeLabel] = b },
			"must label its Lease "+agentlease.NodeLabel+"="+a)
	})
	t.Run("own lease held for another node", func(t *testing.T) {
		updateOwn(t, f.Ctx, leases, a, func(l *coordinationv1.Lease) { l.Spec.HolderIdentity = ptr.To(b) },
			"may hold its Lease only as "+a)
	})
	t.Run("token bound to no pod", func(t *testing.T) {
		kc := filepath.Join(t.TempDir(), "unbound.kubeconfig")
		if err := localcluster.WriteServiceAccountKubeconfig(f.Ctx, f.Kube, env.Cluster().APIServerURL(), env.Cluster().CACertPEM(),
			localenv.SystemNamespace, localenv.AgentServiceAccount, kc); err != nil {
			t.Fatal(err)
		}
		unbound := kubeFrom(t, kc).CoordinationV1().Leases(localenv.SystemNamespace)
		updateOwn(t, f.Ctx, unbound, a, func(*coordinationv1.Lease) {}, "its token names no node")
	})
	t.Run("own lease", func(t *testing.T) {
		updateOwn(t, f.Ctx, leases, a, func(l *coordinationv1.Lease) { l.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()} }, "")
	})
}

// updateOwn gets node's Lease, changes it and updates it through leases,
// retrying conflicts with the agent's own renewals. want "" expects
// success, otherwise Forbidden with a message containing want.
func updateOwn(t *testing.T, ctx context.Context, leases coordinationclient.LeaseInterface, node string, change func(*coordinationv1.Lease), want string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		l, err := leases.Get(ctx, agentlease.Name(node), metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(l)
		_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		return err
	})
	if want == "" {
		if err != nil {
			t.Errorf("update own Lease %s: %v", agentlease.Name(node), err)
		}
		return
	}
	wantForbidden(t, err, want)
}

func wantForbidden(t *testing.T, err error, want string) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Fatalf("got %v, want Forbidden", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Forbidden %q does not say %q", err, want)
	}
}

// waitLeaderLease waits until the operator holds its leader Lease.
func waitLeaderLease(t *testing.T, ctx context.Context, admin coordinationclient.LeaseInterface) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, harness.PollInterval, harness.ConvergeTimeout, true, func(ctx context.Context) (bool, error) {
		l, err := admin.Get(ctx, leaderLease, metav1.GetOptions{})
		return err == nil && ptr.Deref(l.Spec.HolderIdentity, "") != "", nil
	})
	if err != nil {
		t.Fatalf("leader Lease %s not held within %s", leaderLease, harness.ConvergeTimeout)
	}
}

// waitPolicyEnforced waits until an unchanged update of another node's
// Lease is refused (one that slipped through changes nothing).
func waitPolicyEnforced(t *testing.T, ctx context.Context, leases coordinationclient.LeaseInterface, other string) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx, harness.PollInterval, policyTimeout, true, func(ctx context.Context) (bool, error) {
		l, err := leases.Get(ctx, other, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		_, last = leases.Update(ctx, l, metav1.UpdateOptions{})
		return apierrors.IsForbidden(last), nil
	})
	if err != nil {
		t.Fatalf("an unchanged update of Lease %s is still not Forbidden after %s: %v", other, policyTimeout, last)
	}
}
