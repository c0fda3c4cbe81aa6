package localenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testState(workDir string) State {
	return State{
		Kubeconfig:         filepath.Join(workDir, "controlplane", "admin.kubeconfig"),
		Namespace:          "diskpool-demo",
		Nodes:              []string{"node-a", "node-b"},
		DiskRoot:           filepath.Join(workDir, "disks"),
		WorkDir:            workDir,
		LogDir:             filepath.Join(workDir, "logs"),
		OperatorMetricsURL: "http://127.0.0.1:1234/metrics",
		Processes: []ProcessRecord{
			{Role: RoleOperator, PID: 100, Binary: "/b/diskpool-operator"},
			{Role: RoleAgent, Node: "node-a", PID: 101, Binary: "/b/diskpool-agent"},
			{Role: RoleAgent, Node: "node-b", PID: 102, Binary: "/b/diskpool-agent"},
			{Role: RoleAPIServer, PID: 103, Binary: "/bin/kube-apiserver-v1.37.2"},
			{Role: RoleEtcd, PID: 104, Binary: "/bin/etcd-v3.7.3"},
		},
	}
}

func TestEnvFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "it's work") // a quote and a space survive
	s := testState(work)
	path := filepath.Join(dir, ".local", "env")
	if err := s.WriteEnvFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
}

// TestEnvFileSourceable sources the file in bash and reads the variables
// other tools rely on.
func TestEnvFileSourceable(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	s := testState(filepath.Join(dir, "w"))
	path := filepath.Join(dir, "env")
	if err := s.WriteEnvFile(path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bash, "-c", `. "$0"; env | grep -E '^(KUBECONFIG|NAMESPACE|NODES|DISK_ROOT|PIDS|AGENT_PIDS|ETCD_PID|APISERVER_PID|OPERATOR_PID|WORK_DIR)=' | sort`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := strings.Join([]string{
		"AGENT_PIDS=101 102",
		"APISERVER_PID=103",
		"DISK_ROOT=" + s.DiskRoot,
		"ETCD_PID=104",
		"KUBECONFIG=" + s.Kubeconfig,
		"NAMESPACE=diskpool-demo",
		"NODES=node-a node-b",
		"OPERATOR_PID=100",
		"PIDS=100 101 102 103 104",
		"WORK_DIR=" + s.WorkDir,
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("sourced:\n%s\nwant:\n%s", out, want)
	}
}

func TestReadEnvFileRejects(t *testing.T) {
	for name, content := range map[string]string{
		"relative work dir": "export WORK_DIR='w'\n",
		"command":           "export WORK_DIR=$(rm -rf /)\n",
		"agent count":       "export WORK_DIR='/w'\nexport NODES='a b'\nexport AGENT_PIDS='5'\n",
	} {
		path := filepath.Join(t.TempDir(), "env")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadEnvFile(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// helperEnv marks the test binary re-executed as a long-running child.
const helperEnv = "LOCALENV_TEST_HELPER"

// TestMain lets the test binary serve as a child process for StopState.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		// Block until killed; the argument naming the work dir is what
		// ProcessIs looks for. Bounded, so a leaked child goes by itself.
		time.Sleep(2 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startHelper(t *testing.T, workDir string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "--work="+workDir)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // by PID; a no-op once it has been reaped
		_ = cmd.Wait()
	})
	return cmd
}

// TestStopState stops a recorded child by PID, leaves alone a PID whose
// binary does not match, and removes the work dir and disks.
func TestStopState(t *testing.T) {
	work := filepath.Join(t.TempDir(), "work")
	if err := os.MkdirAll(filepath.Join(work, "disks", "node-a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, WorkDirMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	ours := startHelper(t, work)
	stranger := startHelper(t, work)

	if ok, why := ProcessIs(ours.Process.Pid, exe, work); !ok {
		t.Fatalf("ProcessIs(our child) = false: %s", why)
	}
	if ok, _ := ProcessIs(ours.Process.Pid, exe, "/elsewhere"); ok {
		t.Fatal("ProcessIs matched another work dir")
	}
	s := State{
		Nodes:    []string{"node-a"},
		DiskRoot: filepath.Join(work, "disks"),
		WorkDir:  work,
		Processes: []ProcessRecord{
			{Role: RoleOperator, PID: ours.Process.Pid, Binary: exe},
			// Recorded under another binary: must not be signalled.
			{Role: RoleEtcd, PID: stranger.Process.Pid, Binary: "/not/etcd"},
		},
	}
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := StopState(ctx, s, 5*time.Second, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	if err := ours.Wait(); err == nil {
		t.Error("our child exited cleanly; want killed by SIGTERM")
	}
	if ok, why := ProcessIs(stranger.Process.Pid, exe, work); !ok {
		t.Errorf("the process recorded under another binary was stopped: %s", why)
	}
	if !strings.Contains(out.String(), "not signalled") {
		t.Errorf("report does not say a PID was skipped:\n%s", out.String())
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("work dir left: %v", err)
	}
}
