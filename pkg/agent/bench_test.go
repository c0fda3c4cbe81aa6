package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
)

// benchAgent is an Agent on n sparse 1 GiB disks in a temp directory,
// without gRPC: what the benchmarks measure is the agent's own work per
// call (CPU, bytes allocated), which go test -benchmem reports.
func benchAgent(b *testing.B, n int) (*Agent, []string) {
	b.Helper()
	base := b.TempDir()
	dir, state := filepath.Join(base, "dev"), filepath.Join(base, "state")
	for _, d := range []string{dir, state} {
		if err := os.Mkdir(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	disks := make([]string, n)
	for i := range disks {
		disks[i] = filepath.Join(dir, fmt.Sprintf("disk-%d", i))
		f, err := os.Create(disks[i])
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(gib); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	r, err := disk.NewResolver([]string{dir})
	if err != nil {
		b.Fatal(err)
	}
	a, err := New(Config{Node: "node-a", Resolver: r, StateDir: state})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	return a, disks
}

func benchContext() context.Context {
	return klog.NewContext(context.Background(), klog.Background().V(10)) // V(10): the info logs stay off
}

// BenchmarkCreateDestroy is one CreatePool and one DestroyPool of a pool
// on an empty disk: the agent's part of a bench create and delete. Each
// round is a new object (a new owner uid), as in a cluster: the agent
// refuses to create a pool again for an owner it destroyed it for.
func BenchmarkCreateDestroy(b *testing.B) {
	a, disks := benchAgent(b, 1)
	ctx := benchContext()
	round := 0
	for b.Loop() {
		round++
		owner := fmt.Sprintf("11111111-aaaa-4aaa-8aaa-%012d", round)
		if _, err := a.CreatePool(ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: owner, Disks: disks}); err != nil {
			b.Fatal(err)
		}
		if _, err := a.DestroyPool(ctx, &agentv1.DestroyPoolRequest{Name: "pool-a", OwnerUid: owner}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckHealth is one health sweep over 100 pools.
func BenchmarkCheckHealth(b *testing.B) {
	a, disks := benchAgent(b, 100)
	ctx := benchContext()
	for i, d := range disks {
		if _, err := a.CreatePool(ctx, &agentv1.CreatePoolRequest{Name: fmt.Sprintf("pool-%d", i), OwnerUid: ownerA, Disks: []string{d}}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		a.CheckHealth(ctx)
	}
}

// BenchmarkListDisks is one listing of 100 disks.
func BenchmarkListDisks(b *testing.B) {
	a, _ := benchAgent(b, 100)
	ctx := benchContext()
	for b.Loop() {
		if _, err := a.ListDisks(ctx, &agentv1.ListDisksRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}
