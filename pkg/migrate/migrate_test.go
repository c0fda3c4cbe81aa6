package migrate

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

func msp(name string) *v1alpha1.MayastorPool {
	return &v1alpha1.MayastorPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "mayastor", UID: types.UID("uid-" + name)},
		Spec:       v1alpha1.MayastorPoolSpec{Node: "node1", Disks: []string{"/dev/edited"}},
		Status: v1alpha1.MayastorPoolStatus{State: v1alpha1.StateOnline, Node: "node1",
			Disks: []string{"/dev/" + name}, Capacity: 100},
	}
}

// operator stands in for the real operator: it marks adopting DiskPools
// Created, as the operator does once the agent has handed the pool over.
func operator(ctx context.Context, t *testing.T, client *fake.Clientset) {
	t.Helper()
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			list, err := client.OpenebsV1beta3().DiskPools("mayastor").List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for i := range list.Items {
				d := &list.Items[i]
				if d.Status.CRState == v1beta3.CRStateCreated {
					continue
				}
				d.Status = v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolUUID: "pool-" + d.Name,
					Node: d.Spec.Node, Disks: d.Spec.Disks, ObservedGeneration: d.Generation}
				_, _ = client.OpenebsV1beta3().DiskPools("mayastor").UpdateStatus(ctx, d, metav1.UpdateOptions{})
			}
		}
	}()
}

func run(t *testing.T, client *fake.Clientset, opts Options) (Result, string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Namespace, opts.Out, opts.Interval = "mayastor", &out, 5*time.Millisecond
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	res, err := Run(context.Background(), client, opts)
	return res, out.String(), err
}

func TestMigrateThreePools(t *testing.T) {
	client := fake.NewSimpleClientset(msp("a"), msp("b"), msp("c"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	operator(ctx, t, client)

	res, out, err := run(t, client, Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if strings.Join(res.Migrated, ",") != "a,b,c" {
		t.Fatalf("migrated = %v\n%s", res.Migrated, out)
	}
	msps, _ := client.OpenebsV1alpha1().MayastorPools("mayastor").List(ctx, metav1.ListOptions{})
	if len(msps.Items) != 0 {
		t.Errorf("%d MayastorPools left", len(msps.Items))
	}
	for _, name := range []string{"a", "b", "c"} {
		d, err := client.OpenebsV1beta3().DiskPools("mayastor").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The cached disks, not the edited spec: that is where the pool is.
		if d.Spec.Node != "node1" || d.Spec.Disks[0] != "/dev/"+name {
			t.Errorf("%s: node %s disks %v, want node1 /dev/%s", name, d.Spec.Node, d.Spec.Disks, name)
		}
		if d.Annotations[v1beta3.AdoptPoolOwnerAnnotation] != "uid-"+name {
			t.Errorf("%s: adopt annotation = %q", name, d.Annotations[v1beta3.AdoptPoolOwnerAnnotation])
		}
	}
	// Idempotent: a second run finds nothing to do.
	res, out, err = run(t, client, Options{})
	if err != nil || len(res.Migrated) != 0 || !strings.Contains(out, "nothing to migrate") {
		t.Fatalf("second run: %v %v\n%s", res, err, out)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	client := fake.NewSimpleClientset(msp("a"))
	_, out, err := run(t, client, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range client.Actions() {
		if a.GetVerb() != "list" && a.GetVerb() != "get" {
			t.Errorf("dry run made a %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	if !strings.Contains(out, "would create DiskPool mayastor/a") {
		t.Errorf("output does not say what it would do:\n%s", out)
	}
}

func TestForeignDiskPoolOfTheSameNameStopsTheRun(t *testing.T) {
	other := &v1beta3.DiskPool{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "mayastor"},
		Spec: v1beta3.DiskPoolSpec{Node: "node2", Disks: []string{"/dev/sdz"}}}
	client := fake.NewSimpleClientset(msp("a"), other)
	_, _, err := run(t, client, Options{})
	if err == nil || !strings.Contains(err.Error(), "was not created by this migration") {
		t.Fatalf("err = %v", err)
	}
	if _, err := client.OpenebsV1alpha1().MayastorPools("mayastor").Get(context.Background(), "a", metav1.GetOptions{}); err != nil {
		t.Errorf("MayastorPool touched: %v", err)
	}
}

func TestOperatorNotRunningLeavesTheMayastorPool(t *testing.T) {
	client := fake.NewSimpleClientset(msp("a"))
	_, _, err := run(t, client, Options{Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "is the operator running") {
		t.Fatalf("err = %v", err)
	}
	if _, err := client.OpenebsV1alpha1().MayastorPools("mayastor").Get(context.Background(), "a", metav1.GetOptions{}); err != nil {
		t.Errorf("MayastorPool deleted before the hand-over: %v", err)
	}
	// Re-run with the operator back: it continues from the DiskPool it made.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	operator(ctx, t, client)
	res, out, err := run(t, client, Options{})
	if err != nil || strings.Join(res.Migrated, ",") != "a" || !strings.Contains(out, "exists from an earlier run") {
		t.Fatalf("re-run: %v %v\n%s", res, err, out)
	}
}
