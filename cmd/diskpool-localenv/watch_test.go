package main

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "-", -1: "-", 512: "512 B", 1536: "1.5 KiB", 1069547520: "1020.0 MiB", 1 << 40: "1.0 TiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func pool(name string, state v1beta3.CRState, status v1beta3.PoolStatus) *v1beta3.DiskPool {
	p := &v1beta3.DiskPool{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1beta3.DiskPoolSpec{Node: "node-a"}}
	p.Status.CRState, p.Status.PoolStatus = state, status
	if state == v1beta3.CRStateCreated {
		p.Status.Capacity = 1 << 30
		p.Status.Conditions = []metav1.Condition{{Type: v1beta3.ConditionReady, Status: metav1.ConditionTrue, Reason: "PoolOnline"}}
	}
	return p
}

// TestPoolPrinter prints a line per change only, and the summary once,
// when every wanted pool is Created.
func TestPoolPrinter(t *testing.T) {
	var out strings.Builder
	t0 := time.Unix(1000, 0)
	pp := newPoolPrinter(&out, t0, []string{"a", "b"})
	pp.observe(pool("a", "", ""), t0.Add(10*time.Millisecond))
	pp.observe(pool("a", "", ""), t0.Add(20*time.Millisecond)) // unchanged: no line
	pp.observe(pool("b", v1beta3.CRStateCreated, v1beta3.PoolStatusOnline), t0.Add(100*time.Millisecond))
	if strings.Contains(out.String(), "All 2") {
		t.Fatalf("summary before a was Created:\n%s", out.String())
	}
	pp.observe(pool("a", v1beta3.CRStateCreated, v1beta3.PoolStatusOnline), t0.Add(250*time.Millisecond))
	pp.observe(pool("a", v1beta3.CRStateCreated, v1beta3.PoolStatusDegraded), t0.Add(300*time.Millisecond))
	pp.gone("a", t0.Add(time.Second))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("want 6 lines (4 changes, 1 summary, 1 deletion), got:\n%s", out.String())
	}
	if !strings.Contains(lines[3], "All 2 sample pools are Created, 250ms after") {
		t.Errorf("summary line %q", lines[3])
	}
	if !strings.Contains(lines[2], "Created") || !strings.Contains(lines[2], "1.0 GiB") || !strings.Contains(lines[2], "Ready=True PoolOnline") {
		t.Errorf("change line %q", lines[2])
	}
	if strings.Count(out.String(), "All 2") != 1 {
		t.Errorf("summary printed more than once:\n%s", out.String())
	}
	if !strings.Contains(lines[5], "a") || !strings.Contains(lines[5], "deleted") {
		t.Errorf("deletion line %q", lines[5])
	}
}

func TestEnvFlags(t *testing.T) {
	ef := envFlags{nodes: "n1, n2 n3", namespace: "ns", disksPerNode: 2, diskSize: 1 << 20}
	o := ef.options()
	if strings.Join(o.Nodes, "|") != "n1|n2|n3" || len(o.Namespaces) != 1 || o.Namespaces[0] != "ns" || o.DisksPerNode != 2 || o.DiskSize != 1<<20 {
		t.Errorf("options %+v", o)
	}
}
