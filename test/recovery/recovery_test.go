package recovery

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

const (
	pools     = 10
	namespace = "storage"
	timeout   = 2 * time.Minute
	poll      = 100 * time.Millisecond
)

// env is nil when the suite skips.
var env *localenv.Env

var suite = &harness.Suite{
	Name: "recovery",
	Options: localenv.Options{
		AgentLeaseDuration: 4 * time.Second,
		AgentRenewInterval: time.Second,
		DisksPerNode:       pools / 2,
		DiskSize:           64 << 20,
		OperatorArgs:       []string{"--disk-inventory-interval=2s"},
		BinDir:             os.Getenv("DISKPOOL_E2E_BIN_DIR"), // as in test/e2e
	},
	Started: func(e *localenv.Env) { env = e },
}

func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }

type poolWant struct {
	name, node, disk, uuid string
	replicas               int
	data                   string
}

// TestRecoverAfterEtcdLoss: 10 pools with 1 to 3 replicas each; etcd is
// wiped and the install re-applied; `recover` brings back 10 DiskPools
// Created with the same uuids and replica counts, no DestroyPool reaches an
// agent, and every disk's data area is byte-for-byte unchanged.
func TestRecoverAfterEtcdLoss(t *testing.T) {
	suite.Env(t)
	ctx := t.Context()
	kube, client := clients(t)
	createNamespace(t, kube)
	var want []poolWant
	for i := range pools {
		node := env.Nodes()[i%2]
		w := poolWant{name: fmt.Sprintf("pool-%02d", i), node: node, disk: env.DiskPath(node, i/2), replicas: 1 + i%3}
		if _, err := client.OpenebsV1beta3().DiskPools(namespace).Create(ctx, &v1beta3.DiskPool{
			ObjectMeta: metav1.ObjectMeta{Name: w.name, Namespace: namespace},
			Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: []string{w.disk}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, w)
	}
	for i := range want {
		w := &want[i]
		w.uuid = waitCreated(t, client, w.name, "").Status.PoolUUID
		agent := harness.AgentClient(t, env, w.node)
		for range w.replicas {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := agent.CreateReplica(cctx, &agentv1.CreateReplicaRequest{Pool: w.name, Uuid: uuid.NewString(), Size: 4 << 20})
			cancel()
			if err != nil {
				t.Fatal(err)
			}
		}
		w.data = harness.DataHash(t, w.disk)
	}

	if err := env.LoseControlPlaneData(ctx); err != nil {
		t.Fatal(err)
	}
	kube, client = clients(t)
	if l, err := client.OpenebsV1beta3().DiskPools(metav1.NamespaceAll).List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Fatalf("after the wipe: %d DiskPools, %v; want none", len(l.Items), err)
	}
	createNamespace(t, kube)
	waitOrphans(t, kube, pools)

	out, err := exec.CommandContext(ctx, env.OperatorBinary(), "recover", "--namespace="+namespace,
		"--kubeconfig="+env.Kubeconfig(), "--operator-namespace="+localenv.SystemNamespace, "--interval=100ms", "--timeout=2m").CombinedOutput()
	if err != nil {
		t.Fatalf("recover: %v\n%s", err, out)
	}
	t.Logf("recover:\n%s", out)
	for _, w := range want {
		d := waitCreated(t, client, w.name, w.uuid)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		p, err := harness.AgentClient(t, env, w.node).GetPool(cctx, &agentv1.GetPoolRequest{Name: w.name})
		cancel()
		if err != nil || p.GetUuid() != w.uuid || int(p.GetReplicaCount()) != w.replicas || p.GetOwnerUid() != string(d.UID) {
			t.Errorf("%s: pool %v, %v; want uuid %s, %d replicas, owner %s", w.name, p, err, w.uuid, w.replicas, d.UID)
		}
		if harness.DataHash(t, w.disk) != w.data {
			t.Errorf("%s: the data area of %s changed", w.name, w.disk)
		}
	}
	for _, n := range env.Nodes() {
		if got := destroyCalls(t, ctx, n); got != 0 {
			t.Errorf("node %s: %d DestroyPool calls since the agents restarted, want 0", n, got)
		}
	}
	waitOrphans(t, kube, 0)
}

func clients(t *testing.T) (kubernetes.Interface, versioned.Interface) {
	t.Helper()
	kube, err := kubernetes.NewForConfig(env.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	client, err := versioned.NewForConfig(env.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return kube, client
}

func createNamespace(t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	if _, err := kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitCreated waits until the DiskPool is Created (with pool uuid, when
// given).
func waitCreated(t *testing.T, client versioned.Interface, name, uuid string) *v1beta3.DiskPool {
	t.Helper()
	var last *v1beta3.DiskPool
	err := wait.PollUntilContextTimeout(t.Context(), poll, timeout, true, func(ctx context.Context) (bool, error) {
		d, err := client.OpenebsV1beta3().DiskPools(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = d
		return d.Status.CRState == v1beta3.CRStateCreated && d.Status.PoolUUID != "" && (uuid == "" || d.Status.PoolUUID == uuid), nil
	})
	if err != nil {
		t.Fatalf("DiskPool %s not Created (uuid %q) within %v: %+v", name, uuid, timeout, last)
	}
	return last
}

// waitOrphans waits until the node reports list n orphans in all.
func waitOrphans(t *testing.T, kube kubernetes.Interface, n int) {
	t.Helper()
	got := -1
	err := wait.PollUntilContextTimeout(t.Context(), poll, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := kube.CoreV1().ConfigMaps(localenv.SystemNamespace).List(ctx, metav1.ListOptions{LabelSelector: inventory.Selector()})
		if err != nil || len(list.Items) != len(env.Nodes()) {
			return false, nil
		}
		got = 0
		for i := range list.Items {
			r, err := inventory.Decode(&list.Items[i])
			if err != nil {
				return false, nil
			}
			got += len(r.Orphans)
		}
		return got == n, nil
	})
	if err != nil {
		t.Fatalf("the node reports list %d orphans, want %d", got, n)
	}
}

// destroyCalls is the DestroyPool calls node's agent handled since it
// started.
func destroyCalls(t *testing.T, ctx context.Context, node string) int {
	t.Helper()
	all, _ := harness.AgentCalls(t, ctx, env, node).Total("DestroyPool")
	return all
}
