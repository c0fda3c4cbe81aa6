package app

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

func legacyPool(name string) *v1alpha1.MayastorPool {
	return &v1alpha1.MayastorPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "mayastor", UID: types.UID("uid-" + name)},
		Spec:       v1alpha1.MayastorPoolSpec{Node: "node1", Disks: []string{"/dev/" + name}},
		Status:     v1alpha1.MayastorPoolStatus{State: v1alpha1.StateOnline, Node: "node1", Disks: []string{"/dev/" + name}},
	}
}

// fakeHandOver stands in for the operator: it reports every DiskPool in
// namespace mayastor Created, as the operator does once it owns the pool.
// It stops when the test ends.
func fakeHandOver(t *testing.T, client *fake.Clientset) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
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

func runMigrate(t *testing.T, client *fake.Clientset, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := RunMigrate(t.Context(), append([]string{"--interval=5ms"}, args...), &out, &errOut, client)
	return code, out.String(), errOut.String()
}

func TestMigrateCommand(t *testing.T) {
	client := fake.NewSimpleClientset(legacyPool("a"), legacyPool("b"), legacyPool("c"))
	fakeHandOver(t, client)

	code, out, errOut := runMigrate(t, client, "--namespace=mayastor", "--timeout=10s")
	if code != MigrateExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"Migrating the MayastorPools of namespace mayastor", "mayastor/a: migrated", "mayastor/c: migrated", "Done: 3 migrated."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	msps, _ := client.OpenebsV1alpha1().MayastorPools("mayastor").List(t.Context(), metav1.ListOptions{})
	dsps, _ := client.OpenebsV1beta3().DiskPools("mayastor").List(t.Context(), metav1.ListOptions{})
	if len(msps.Items) != 0 || len(dsps.Items) != 3 {
		t.Errorf("after: %d MayastorPools, %d DiskPools; want 0 and 3", len(msps.Items), len(dsps.Items))
	}

	// Again: nothing left to do.
	code, out, _ = runMigrate(t, client, "--timeout=10s")
	if code != MigrateExitOK || !strings.Contains(out, "nothing to migrate") || !strings.Contains(out, "Done: 0 migrated.") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
}

func TestMigrateCommandDryRun(t *testing.T) {
	client := fake.NewSimpleClientset(legacyPool("a"))
	code, out, errOut := runMigrate(t, client, "--dry-run")
	if code != MigrateExitOK || !strings.Contains(out, "dry run") || !strings.Contains(out, "would create DiskPool") || !strings.Contains(out, "Done: 1 would be migrated.") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, a := range client.Actions() {
		if v := a.GetVerb(); v != "list" && v != "get" && v != "watch" {
			t.Errorf("dry run wrote: %s %s", v, a.GetResource().Resource)
		}
	}
}

// TestMigrateCommandFails: without an operator the hand-over never
// happens: exit 1, the MayastorPool is untouched and the message says to
// run again.
func TestMigrateCommandFails(t *testing.T) {
	client := fake.NewSimpleClientset(legacyPool("a"))
	code, out, errOut := runMigrate(t, client, "--timeout=100ms")
	if code != MigrateExitFailed {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, MigrateExitFailed, out, errOut)
	}
	if !strings.Contains(errOut, "did not become Created") || !strings.Contains(out, "run the command again to continue") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if _, err := client.OpenebsV1alpha1().MayastorPools("mayastor").Get(t.Context(), "a", metav1.GetOptions{}); err != nil {
		t.Errorf("the MayastorPool is gone: %v", err)
	}
}

func TestMigrateCommandUsage(t *testing.T) {
	client := fake.NewSimpleClientset()
	for _, args := range [][]string{{"--timeout=0"}, {"--namespace=Not_A_Namespace"}, {"extra"}, {"--no-such-flag"}} {
		if code, _, _ := runMigrate(t, client, args...); code != MigrateExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, MigrateExitUsage)
		}
	}
	if code, _, errOut := runMigrate(t, client, "--help"); code != MigrateExitOK || !strings.Contains(errOut, "no pool is ever destroyed") {
		t.Errorf("--help: exit %d\n%s", code, errOut)
	}
}
