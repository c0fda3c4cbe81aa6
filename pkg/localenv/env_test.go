package localenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
)

// TestStartStateStop starts a one-node environment, checks what it
// exposes, writes and reads its env file, takes it down with StopState
// (as `make down` does, by PID) and checks no PID it started remains and
// its disks and work dir are gone.
func TestStartStateStop(t *testing.T) {
	bins := localclustertest.Binaries(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	work := filepath.Join(t.TempDir(), "work")
	began := time.Now()
	e, err := Start(ctx, Options{
		WorkDir:       work,
		UnsafeNoFsync: true,
		Nodes:         []string{"node-x"},
		DisksPerNode:  2,
		DiskSize:      64 << 20,
		Namespaces:    []string{"demo"},
		ControlPlane:  localcluster.Options{Binaries: &bins},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Started in %s", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() { _ = e.Stop() })

	for i := range 2 {
		if fi, err := os.Stat(e.DiskPath("node-x", i)); err != nil || fi.Size() != 64<<20 {
			t.Errorf("disk %d: %v %v", i, fi, err)
		}
	}
	if p, err := e.AddDisk("node-x"); err != nil || p != e.DiskPath("node-x", 2) {
		t.Errorf("AddDisk = %q, %v", p, err)
	}
	if !strings.HasPrefix(e.OperatorMetricsURL(), "http://127.0.0.1:") || e.AgentEndpoint("node-x") == "" {
		t.Errorf("operator metrics %q, agent endpoint %q", e.OperatorMetricsURL(), e.AgentEndpoint("node-x"))
	}
	out, err := e.Cluster().KubectlCommand(ctx, "auth", "can-i", "list", "diskpools.openebs.io", "--all-namespaces",
		"--as=system:serviceaccount:diskpool-system:diskpool-operator").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "yes" {
		t.Errorf("the operator's ServiceAccount cannot list diskpools: %s %v", out, err)
	}

	s, err := e.State()
	if err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(t.TempDir(), "env")
	if err := s.WriteEnvFile(envFile); err != nil {
		t.Fatal(err)
	}
	read, err := ReadEnvFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(read.Processes) != 4 || read.Namespace != "demo" {
		t.Fatalf("state read back: %+v", read)
	}
	for _, p := range read.Processes {
		if ok, why := ProcessIs(p.PID, p.Binary, read.WorkDir); !ok {
			t.Errorf("%s PID %d: %s", p.Role, p.PID, why)
		}
	}

	var report strings.Builder
	if err := StopState(ctx, read, 15*time.Second, &report); err != nil {
		t.Fatalf("StopState: %v\n%s", err, report.String())
	}
	t.Logf("StopState:\n%s", report.String())
	for _, p := range read.Processes {
		if ok, _ := ProcessIs(p.PID, p.Binary, read.WorkDir); ok {
			t.Errorf("%s PID %d still runs", p.Role, p.PID)
		}
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("work dir left behind: %v", err)
	}
	if err := e.Stop(); err != nil {
		t.Errorf("Stop after StopState: %v", err)
	}
}
