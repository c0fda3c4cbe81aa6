package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestCreate creates a pool and checks what the operator reports: Created,
// Online, capacity, the pool's uuid; and what an admin sees through
// kubectl get (printer columns), get -o wide, describe (events) and wait.
func TestCreate(t *testing.T) {
	f := setup(t)
	disk := f.NewDisk("node-a")
	name := harness.UniqueName("create")
	began := time.Now()
	f.CreatePool(name, "node-a", disk)
	p := f.WaitCreated(name)
	t.Logf("Created/Online %s after the create", time.Since(began).Round(time.Millisecond))

	if p.Status.Capacity <= 0 || p.Status.Available != p.Status.Capacity || p.Status.Used != 0 {
		t.Errorf("capacity %d, available %d, used %d: want a positive capacity, all available", p.Status.Capacity, p.Status.Available, p.Status.Used)
	}
	fileSize := int64(1 << 30)
	if want := label.Capacity(fileSize, label.DefaultClusterSize); p.Status.Capacity != int64(want) {
		t.Errorf("capacity %d, want %d (label.Capacity of a 1 GiB disk)", p.Status.Capacity, want)
	}
	if p.Status.Node != "node-a" || len(p.Status.Disks) != 1 || p.Status.Disks[0] != disk {
		t.Errorf("status node %q disks %v, want node-a [%s]", p.Status.Node, p.Status.Disks, disk)
	}
	if p.Status.ObservedGeneration != p.Generation {
		t.Errorf("observedGeneration %d, generation %d", p.Status.ObservedGeneration, p.Generation)
	}
	found := harness.ReadLabel(t, disk)
	if found.Label == nil || found.Label.UUID != p.Status.PoolUUID || found.Label.Name != name || found.Label.OwnerUID != string(p.UID) {
		t.Fatalf("disk label %+v does not match the pool (uuid %s, owner %s)", found.Label, p.Status.PoolUUID, p.UID)
	}

	t.Run("kubectl get", func(t *testing.T) {
		out, _ := f.mustKubectl(nil, "-n", f.NS, "get", "dsp", name)
		header, row := twoLines(t, out)
		wantColumns(t, header, "NAME", "NODE", "STATE", "POOL_STATUS", "CAPACITY", "USED", "AVAILABLE", "AGE")
		// The sizes read as quantities: 1069547520 bytes is 1020Mi.
		if p.Status.CapacityQ != "1020Mi" {
			t.Errorf("capacity_q %q, want 1020Mi (capacity %d)", p.Status.CapacityQ, p.Status.Capacity)
		}
		for _, want := range []string{name, "node-a", "Created", "Online", p.Status.CapacityQ} {
			if !containsField(row, want) {
				t.Errorf("row %q lacks %q", row, want)
			}
		}
	})
	t.Run("kubectl get -o wide", func(t *testing.T) {
		out, _ := f.mustKubectl(nil, "-n", f.NS, "get", "diskpool", name, "-o", "wide")
		header, row := twoLines(t, out)
		wantColumns(t, header, "NAME", "NODE", "STATE", "POOL_STATUS", "CAPACITY", "DISKS", "READY")
		if !strings.Contains(row, disk) || !containsField(row, "PoolOnline") {
			t.Errorf("wide row %q lacks the disk %s or the Ready reason PoolOnline", row, disk)
		}
	})
	t.Run("kubectl describe", func(t *testing.T) {
		out, _ := f.mustKubectl(nil, "-n", f.NS, "describe", "dsp", name)
		events := out[strings.LastIndex(out, "Events:"):]
		if !regexp.MustCompile(`Normal\s+Created\s+.*diskpool-operator\s+Pool ` + p.Status.PoolUUID + ` created on node node-a`).MatchString(events) {
			t.Errorf("describe shows no Created event from diskpool-operator naming the pool:\n%s", events)
		}
		for _, want := range []string{"Pool UUID:", p.Status.PoolUUID, "PoolOnline", "cr_state:", "Created"} {
			if !strings.Contains(out, want) {
				t.Errorf("describe lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("kubectl wait", func(t *testing.T) {
		out, _ := f.mustKubectl(nil, "-n", f.NS, "wait", "--for=condition=Ready", "dsp/"+name, "--timeout=30s")
		if !strings.Contains(out, "condition met") {
			t.Errorf("kubectl wait: %q", out)
		}
	})
	t.Run("kubectl wait for a pool created after the call", func(t *testing.T) {
		second := harness.UniqueName("create-wait")
		disk2 := f.NewDisk("node-b")
		done := make(chan string, 1)
		go func() {
			out, errOut, err := f.kubectl(nil, "-n", f.NS, "wait", "--for=create", "dsp/"+second, "--timeout=30s")
			if err == nil {
				out, errOut, err = f.kubectl(nil, "-n", f.NS, "wait", "--for=condition=Ready", "dsp/"+second, "--timeout=30s")
			}
			if err != nil {
				out = err.Error() + ": " + out + errOut
			}
			done <- out
		}()
		f.CreatePool(second, "node-b", disk2)
		if out := <-done; !strings.Contains(out, "condition met") {
			t.Errorf("kubectl wait: %q", out)
		}
	})
}

func twoLines(t *testing.T, out string) (string, string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a header and one row, got:\n%s", out)
	}
	return lines[0], lines[1]
}

func wantColumns(t *testing.T, header string, cols ...string) {
	t.Helper()
	fields := strings.Fields(header)
	i := 0
	for _, f := range fields {
		if i < len(cols) && f == cols[i] {
			i++
		}
	}
	if i != len(cols) {
		t.Errorf("header %q: want the columns %v in this order", header, cols)
	}
}

func containsField(row, want string) bool {
	for _, f := range strings.Fields(row) {
		if f == want {
			return true
		}
	}
	return false
}
