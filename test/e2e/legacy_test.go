package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// legacyExample is the MayastorPool example of the legacy pool-operator
// design, as shipped (unchanged) in manifests/samples.
const legacyExample = "../../manifests/samples/mayastorpool-legacy.yaml"

// legacyYAML returns the legacy example with its node and disk replaced:
// the environment's nodes are node-a and node-b (not node1), and its disks
// are sparse files (not /dev/loop0). Nothing else changes.
func legacyYAML(t *testing.T, node, disk string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(legacyExample))
	if err != nil {
		t.Fatal(err)
	}
	y := string(data)
	for _, r := range [][2]string{{"node: node1", "node: " + node}, {`["/dev/loop0"]`, `["` + disk + `"]`}} {
		if strings.Count(y, r[0]) != 1 {
			t.Fatalf("%s: want exactly one %q:\n%s", legacyExample, r[0], y)
		}
		y = strings.Replace(y, r[0], r[1], 1)
	}
	return y
}

// TestLegacyExample walks the legacy MayastorPool design's examples
// against real agents: `kubectl create` of the documented example brings
// the pool online with its capacity; `kubectl -n mayastor get msp` shows
// Node and State; the node's agent stopping turns it offline and its
// restart online again; a spec edit after creation moves nothing and is
// reported as ignored; `kubectl delete msp` destroys the pool (label
// erased).
func TestLegacyExample(t *testing.T) {
	f := setup(t)
	const (
		ns    = "mayastor"
		name  = "my-new-pool"
		node  = "node-a"
		other = "node-b"
	)
	f.ensureNamespace(ns)
	disk := f.NewDisk(node)

	began := time.Now()
	f.mustKubectl(strings.NewReader(legacyYAML(t, node, disk)), "create", "-f", "-")
	t.Cleanup(func() {
		// A failed run must not leave the example behind for the next.
		_, _, _ = f.kubectl(nil, "-n", ns, "delete", "msp", name, "--ignore-not-found", "--wait=false")
	})
	m := f.waitMSPOnline(ns, name)
	t.Logf("online %s after kubectl create", time.Since(began).Round(time.Millisecond))
	if m.Status.Node != node || !slices.Equal(m.Status.Disks, []string{disk}) || m.Status.Reason != "" || m.Status.Used != 0 {
		t.Errorf("status %s: want node %s, disks [%s], no reason, nothing used", describeMSP(m), node, disk)
	}
	pool := f.agentPool(node, name)
	if pool == nil || int64(pool.GetCapacity()) != m.Status.Capacity || pool.GetOwnerUid() != string(m.UID) {
		t.Fatalf("agent pool %v; want capacity %d owned by %s", pool, m.Status.Capacity, m.UID)
	}
	if found := harness.ReadLabel(t, disk); found.Label == nil || found.Label.UUID != pool.GetUuid() || found.Label.OwnerUID != string(m.UID) {
		t.Fatalf("disk label %+v, want pool %s owned by %s", found.Label, pool.GetUuid(), m.UID)
	}
	generation := harness.ReadLabel(t, disk).Label.Generation

	t.Run("kubectl get msp", func(t *testing.T) {
		out, _ := f.mustKubectl(nil, "-n", ns, "get", "msp")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		wantColumns(t, lines[0], "NAME", "NODE", "STATE", "AGE")
		found := false
		for _, row := range lines[1:] {
			if containsField(row, name) {
				found = true
				if !containsField(row, node) || !containsField(row, "online") {
					t.Errorf("row %q: want node %s and state online", row, node)
				}
			}
		}
		if !found {
			t.Errorf("no row for %s:\n%s", name, out)
		}
		desc, _ := f.mustKubectl(nil, "-n", ns, "describe", "msp", name)
		if !containsLine(desc, "Normal", reconcile.ReasonCreated, "diskpool-operator") {
			t.Errorf("describe shows no Normal Created event from diskpool-operator:\n%s", desc)
		}
	})

	t.Run("agent stop and restart", func(t *testing.T) {
		t.Cleanup(func() {
			if err := f.Env.StartAgent(t.Context(), node); err != nil {
				t.Errorf("restart agent on %s: %v", node, err)
			}
		})
		if err := f.Env.StopAgent(node); err != nil {
			t.Fatal(err)
		}
		off := f.waitMSP(ns, name, "offline", harness.ConvergeTimeout, func(m *v1alpha1.MayastorPool) bool {
			return m.Status.State == v1alpha1.StateOffline
		})
		if !strings.Contains(off.Status.Reason, node) || off.Status.Node != node {
			t.Errorf("offline: %s; want a reason naming %s", describeMSP(off), node)
		}
		if err := f.Env.StartAgent(f.Ctx, node); err != nil {
			t.Fatal(err)
		}
		back := f.waitMSPOnline(ns, name)
		if back.Status.Reason != "" || back.Status.Capacity != m.Status.Capacity {
			t.Errorf("online again: %s", describeMSP(back))
		}
		if p := f.agentPool(node, name); p == nil || p.GetUuid() != pool.GetUuid() {
			t.Errorf("after the restart the agent reports %v, want uuid %s", p, pool.GetUuid())
		}
	})

	t.Run("spec edit is ignored", func(t *testing.T) {
		elsewhere := f.NewDisk(other)
		patch := `{"spec":{"node":"` + other + `","disks":["` + elsewhere + `"]}}`
		f.mustKubectl(nil, "-n", ns, "patch", "msp", name, "--type=merge", "-p", patch)
		edited := f.waitMSP(ns, name, "reporting the ignored edit", harness.ConvergeTimeout, func(m *v1alpha1.MayastorPool) bool {
			return strings.Contains(m.Status.Reason, "is ignored") && m.Status.ObservedGeneration == m.Generation
		})
		if edited.Status.State != v1alpha1.StateOnline || edited.Status.Node != node || !slices.Equal(edited.Status.Disks, []string{disk}) {
			t.Errorf("after the edit: %s; want online on %s %v", describeMSP(edited), node, []string{disk})
		}
		t.Logf("reason: %s", edited.Status.Reason)
		if p := f.agentPool(other, name); p != nil {
			t.Errorf("the agent of %s has a pool %s after the edit: %v", other, name, p)
		}
		if !harness.FirstMiBIsZero(t, elsewhere) {
			t.Errorf("the edited-in disk %s was written", elsewhere)
		}
		if found := harness.ReadLabel(t, disk); found.Label == nil || found.Label.UUID != pool.GetUuid() || found.Label.Generation != generation {
			t.Errorf("label of %s after the edit: %+v; want pool %s, generation %d", disk, found.Label, pool.GetUuid(), generation)
		}
	})

	t.Run("kubectl delete msp", func(t *testing.T) {
		began := time.Now()
		f.mustKubectl(nil, "-n", ns, "delete", "msp", name, "--wait=false")
		f.waitMSPGone(ns, name, harness.ConvergeTimeout)
		t.Logf("gone %s after kubectl delete", time.Since(began).Round(time.Millisecond))
		assertErased(t, disk)
		if p := f.agentPool(node, name); p != nil {
			t.Errorf("the agent still has %v", p)
		}
	})
}

// TestLegacyConflicts: a DiskPool and a MayastorPool claiming the same pool
// name, or the same disk, on one node. The later object is refused with a
// reason naming the object that holds the name or disk, and neither pool
// is touched, before or after the refused object is deleted.
func TestLegacyConflicts(t *testing.T) {
	f := setup(t)
	const node = "node-a"
	ref := func(kind, name string) string { return kind + " " + f.NS + "/" + name }

	shared := harness.UniqueName("shared")
	dspDisk := f.NewDisk(node)
	f.CreatePool(shared, node, dspDisk)
	dsp := f.WaitCreated(shared)
	dspLabel := harness.ReadLabel(t, dspDisk).Label

	t.Run("MayastorPool naming a DiskPool's pool", func(t *testing.T) {
		disk := f.NewDisk(node)
		f.newMSP(f.NS, shared, node, disk)
		m := f.waitMSPReason(f.NS, shared, "owned by "+ref("DiskPool", shared))
		t.Logf("reason: %s", m.Status.Reason)
		if m.Status.State != v1alpha1.StatePending {
			t.Errorf("refused MayastorPool: %s; want pending", describeMSP(m))
		}
		if !harness.FirstMiBIsZero(t, disk) {
			t.Errorf("the refused MayastorPool's disk %s was written", disk)
		}
	})

	claimer := harness.UniqueName("claimer")
	t.Run("MayastorPool on a DiskPool's disk", func(t *testing.T) {
		f.newMSP(f.NS, claimer, node, dspDisk)
		m := f.waitMSPReason(f.NS, claimer, "held by the pool of "+ref("DiskPool", shared))
		t.Logf("reason: %s", m.Status.Reason)
		if m.Status.State != v1alpha1.StatePending {
			t.Errorf("refused MayastorPool: %s; want pending", describeMSP(m))
		}
	})

	legacyFirst := harness.UniqueName("legacy-first")
	legacyDisk := f.NewDisk(node)
	t.Run("DiskPool naming a MayastorPool's pool", func(t *testing.T) {
		f.newMSP(f.NS, legacyFirst, node, legacyDisk)
		f.waitMSPOnline(f.NS, legacyFirst)
		disk := f.NewDisk(node)
		f.CreatePool(legacyFirst, node, disk)
		p := f.WaitPool(legacyFirst, "refused", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
			return harness.ReadyReason(p) == reconcile.ReasonPoolNameTaken
		})
		if !strings.Contains(harness.Describe(p), "owned by "+ref("MayastorPool", legacyFirst)) {
			t.Errorf("refused DiskPool: %s; want the reason to name the MayastorPool", harness.Describe(p))
		}
		if !harness.FirstMiBIsZero(t, disk) {
			t.Errorf("the refused DiskPool's disk %s was written", disk)
		}
	})
	legacyLabel := harness.ReadLabel(t, legacyDisk).Label

	// Deleting the refused objects touches neither pool.
	for _, name := range []string{shared, claimer} {
		if err := f.Pools.OpenebsV1alpha1().MayastorPools(f.NS).Delete(f.Ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		f.waitMSPGone(f.NS, name, harness.ConvergeTimeout)
	}
	f.DeletePool(legacyFirst)
	f.WaitGone(legacyFirst, harness.ConvergeTimeout)

	if p := f.WaitCreated(shared); p.Status.PoolUUID != dsp.Status.PoolUUID {
		t.Errorf("DiskPool %s: %s; want pool %s", shared, harness.Describe(p), dsp.Status.PoolUUID)
	}
	if m := f.waitMSPOnline(f.NS, legacyFirst); m.Status.Reason != "" {
		t.Errorf("MayastorPool %s: %s", legacyFirst, describeMSP(m))
	}
	for disk, want := range map[string]string{dspDisk: dspLabel.UUID, legacyDisk: legacyLabel.UUID} {
		got := harness.ReadLabel(t, disk).Label
		if got == nil || got.UUID != want || got.Generation != 1 {
			t.Errorf("label of %s: %+v; want pool %s untouched (generation 1)", disk, got, want)
		}
	}
	for _, name := range []string{shared, legacyFirst} {
		if p := f.agentPool(node, name); p == nil {
			t.Errorf("the agent lost pool %s", name)
		}
	}
}
