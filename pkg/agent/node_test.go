package agent

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agent/heartbeat"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/disk"
)

// TestRunNodeTwoNodesInOneProcess runs two nodes with RunNode, each on its
// own listener and disk directory: each publishes its own endpoint in its
// Lease, creates a pool on its own disk, refuses the other's, and releases
// its Lease when stopped.
func TestRunNodeTwoNodesInOneProcess(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	kube := fake.NewClientset()
	base := t.TempDir()
	done := map[string]chan error{}
	for _, node := range []string{"node-a", "node-b"} {
		dir := filepath.Join(base, node)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "disk-0"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(dir, "disk-0"), gib); err != nil {
			t.Fatal(err)
		}
		r, err := disk.NewResolver([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan error, 1)
		done[node] = ch
		go func() {
			ch <- RunNode(ctx, NodeConfig{
				Agent:     Config{Node: node, Resolver: r, Disks: []string{filepath.Join(dir, "disk-*")}},
				Listener:  lis,
				Creds:     insecure.NewCredentials(),
				Heartbeat: heartbeat.Config{Client: kube, Namespace: "diskpool-system"},
			})
		}()
	}
	endpoint := func(node string) string {
		var ep string
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			l, err := kube.CoordinationV1().Leases("diskpool-system").Get(ctx, agentlease.Name(node), metav1.GetOptions{})
			if err != nil || !agentlease.Live(l, time.Now()) {
				return false, nil
			}
			ep = agentlease.Endpoint(l)
			return true, nil
		})
		if err != nil {
			t.Fatalf("no live Lease of %s: %v", node, err)
		}
		return ep
	}
	for _, node := range []string{"node-a", "node-b"} {
		other := map[string]string{"node-a": "node-b", "node-b": "node-a"}[node]
		conn, err := grpc.NewClient(endpoint(node), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		client := agentv1.NewPoolServiceClient(conn)
		if _, err := client.CreatePool(ctx, &agentv1.CreatePoolRequest{Name: "pool-" + node, OwnerUid: ownerA,
			Disks: []string{filepath.Join(base, node, "disk-0")}}); err != nil {
			t.Errorf("%s: CreatePool on its own disk: %v", node, err)
		}
		if _, err := client.CreatePool(ctx, &agentv1.CreatePoolRequest{Name: "stray", OwnerUid: ownerB,
			Disks: []string{filepath.Join(base, other, "disk-0")}}); err == nil {
			t.Errorf("%s: CreatePool on %s's disk succeeded", node, other)
		}
		_ = conn.Close()
	}
	cancel()
	for node, ch := range done {
		if err := <-ch; err != nil {
			t.Errorf("%s: RunNode: %v", node, err)
		}
		l, err := kube.CoordinationV1().Leases("diskpool-system").Get(context.Background(), agentlease.Name(node), metav1.GetOptions{})
		if err != nil || agentlease.Holder(l) != "" {
			t.Errorf("%s: Lease after stop: holder %q (%v), want released", node, agentlease.Holder(l), err)
		}
	}
}
