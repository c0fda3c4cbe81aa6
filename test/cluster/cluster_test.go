package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/nodecluster"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// diskSize is the size of each loop device's sparse file.
const diskSize = 1 << 30

// suite is what the checks pass on to the next ones.
type suite struct {
	// top is TestCluster's t: loop devices live until the whole run ends,
	// since a pool made in one check is used by the next ones.
	top      *testing.T
	overlay  string
	pool     string // the Online pool of check 2
	poolDev  string
	poolUUID string
}

// TestCluster runs the checks of issue 13 in order: each needs the state the
// previous one left.
func TestCluster(t *testing.T) {
	requireCluster(t)
	s := &suite{top: t}
	for _, c := range []struct {
		name string
		fn   func(*testing.T, *suite)
	}{
		{"1-install", testInstall},
		{"2-pool-on-loop-device", testPoolOnLoopDevice},
		{"3-disk-in-use", testDiskInUse},
		{"4-leader-failover", testLeaderFailover},
		{"5-agent-pod-recreated", testAgentPodRecreated},
		{"6-node-restart", testNodeRestart},
		{"7-prometheus", testPrometheus},
		{"8-uninstall", testUninstall},
	} {
		if !t.Run(c.name, func(t *testing.T) { c.fn(t, s) }) {
			for _, args := range [][]string{{"get", "pods", "-A", "-o", "wide"}, {"get", "events", "-A"}, {"get", "diskpools", "-A", "-o", "yaml"}} {
				out, err := kubectlErr(args...)
				t.Logf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			t.Fatalf("%s failed: the later checks need what it sets up", c.name)
		}
	}
	for k, v := range timings {
		t.Logf("timing: %s %s", k, v.Round(time.Millisecond))
	}
}

// writeOverlay writes the user's overlay: manifests/overlays/default with
// the images of this suite, nothing else.
func writeOverlay(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "overlay") // t: TestCluster's, it outlives the checks
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	base, err := filepath.Rel(dir, filepath.Join(repoRoot, "manifests", "overlays", "default"))
	if err != nil {
		t.Fatal(err)
	}
	k := `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ` + base + `
images:
- name: ghcr.io/diskpool/diskpool-operator
  newName: ` + imageRegistry + `/diskpool-operator
  newTag: ` + imageTag + `
- name: ghcr.io/diskpool/diskpool-agent
  newName: ` + imageRegistry + `/diskpool-agent
  newTag: ` + imageTag + `
`
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testInstall(t *testing.T, s *suite) {
	// docs/operations.md, Install: label, TLS, apply, rollout status.
	kubectl(t, "label", "node", node.NodeName(), "openebs.io/engine=mayastor")
	certs := t.TempDir()
	blocks := docBlocks(t, "<!-- tls-recipe", 2)
	shell(t, certs, blocks[0])
	kubectl(t, "create", "namespace", ns)
	shell(t, certs, blocks[1])

	s.overlay = writeOverlay(s.top)
	began := time.Now()
	if out, err := kubectlErr("apply", "-k", s.overlay); err != nil {
		if !strings.Contains(err.Error(), "no matches for kind") {
			t.Fatal(err)
		}
		t.Logf("first apply (as the docs warn): %s", out)
		kubectl(t, "apply", "-k", s.overlay)
	}
	kubectl(t, "wait", "--for=condition=Established", "crd/diskpools.openebs.io", "crd/mayastorpools.openebs.io", "--timeout=1m")
	kubectl(t, "-n", ns, "rollout", "status", "deploy/diskpool-operator", "--timeout=5m")
	kubectl(t, "-n", ns, "rollout", "status", "ds/diskpool-agent", "--timeout=5m")
	kubectl(t, "-n", ns, "wait", "pod", "--all", "--for=condition=Ready", "--timeout=2m")
	timings["install to all pods Ready"] = time.Since(began)

	if ops := podsOf(t, "diskpool-operator"); len(ops) != 2 {
		t.Fatalf("operator pods %v, want 2 replicas", ops)
	}
	// In-cluster config through the kubernetes Service: its endpoints are
	// kube-apiserver on the node address, reached from pods via kube-proxy.
	eps := kubectl(t, "get", "endpointslices", "-n", "default", "-l", "kubernetes.io/service-name=kubernetes",
		"-o", "jsonpath={.items[*].endpoints[*].addresses[*]}")
	if strings.TrimSpace(eps) != nodecluster.NodeIP {
		t.Errorf("kubernetes Service endpoints %q, want %s", eps, nodecluster.NodeIP)
	}
	// The operator has no kubeconfig: a leader means its in-cluster client
	// works; the agent serves mTLS.
	leaderLog := ""
	for pod := range podsOf(t, "diskpool-operator") {
		logs := kubectl(t, "-n", ns, "logs", pod)
		if strings.Contains(logs, "--kubeconfig") {
			t.Errorf("operator %s runs with a kubeconfig", pod)
		}
		if strings.Contains(logs, `"Started leading"`) || strings.Contains(logs, "Started leading") {
			leaderLog = logs
		}
	}
	if leaderLog == "" {
		waitLeader(t)
	}
	agent, agentIP := onlyAgent(t)
	if logs := kubectl(t, "-n", ns, "logs", agent); !strings.Contains(logs, "Serving PoolService") || !strings.Contains(logs, "tls=true") {
		t.Errorf("agent log lacks the mTLS PoolService line:\n%s", logs)
	}
	// The kubelet hands each container its memory limit as GOMEMLIMIT,
	// and the Go runtime took it.
	limits := map[string]float64{"http://" + agentIP + ":10125/metrics": 128 << 20}
	for _, ip := range podsOf(t, "diskpool-operator") {
		limits["http://"+ip+":8080/metrics"] = 256 << 20
	}
	for url, want := range limits {
		if got := scrape(t, url).Sum("go_gc_gomemlimit_bytes"); got != want {
			t.Errorf("%s: go_gc_gomemlimit_bytes = %.0f, want the container's memory limit %.0f", url, got, want)
		}
	}
}

func testPoolOnLoopDevice(t *testing.T, s *suite) {
	s.poolDev = loopDevice(s.top, diskSize)
	s.pool = "pool-loop"
	began := time.Now()
	applyPool(t, s.pool, s.poolDev)
	p := waitPoolOnline(t, s.pool, 3*time.Minute)
	timings["first pool Created"] = time.Since(began)
	if want := int64(label.Capacity(harness.DeviceSize(t, s.poolDev), label.DefaultClusterSize)); p.Status.Capacity != want {
		t.Errorf("capacity %d, want %d (the device's %d bytes less the label)", p.Status.Capacity, want, harness.DeviceSize(t, s.poolDev))
	}
	if p.Status.PoolUUID == "" {
		t.Error("no poolUUID in status")
	}
	s.poolUUID = p.Status.PoolUUID
	if ev := poolEvents(t, s.pool); !slices.Contains(ev, "Created") {
		t.Errorf("events %v, want Created", ev)
	}
}

func testDiskInUse(t *testing.T, s *suite) {
	dev := loopDevice(s.top, 256<<20)
	run(t, "mkfs.ext4", "-q", "-F", dev)
	before := harness.FileHash(t, dev)
	applyPool(t, "pool-ext4", dev)
	waitPoolReason(t, "pool-ext4", "DiskInUse", 3*time.Minute)
	if ev := poolEvents(t, "pool-ext4"); !slices.Contains(ev, "DiskInUse") {
		t.Errorf("events %v, want DiskInUse", ev)
	}
	if after := harness.FileHash(t, dev); after != before {
		t.Fatalf("the ext4 device changed: sha256 %s, was %s", after, before)
	}
	kubectl(t, "-n", ns, "delete", "diskpool", "pool-ext4", "--timeout=2m")
	if after := harness.FileHash(t, dev); after != before {
		t.Fatalf("the ext4 device changed after delete: sha256 %s, was %s", after, before)
	}
}
