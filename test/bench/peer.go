package main

import (
	"context"
	"fmt"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// peerDir is the controller-runtime peer's own Go module.
const peerDir = "test/bench/peer"

// peerRun is one run of the controller-runtime peer.
type peerRun struct {
	Name    string   `json:"name"`
	Flags   []string `json:"flags"`
	Backlog bool     `json:"backlog"`
	// Create is from the first create (or, for a backlog, from the
	// peer's start) to the last object Ready.
	Create          phase   `json:"create"`
	Delete          phase   `json:"delete"`
	WritesPerCreate float64 `json:"apiWritesPerPoolCreate"`
	WritesPerDelete float64 `json:"apiWritesPerPoolDelete"`
	Conflicts       float64 `json:"conflicts409"`
	CPUSecondsTotal float64 `json:"cpuSeconds"`
	// OperatorCreateRatio and OperatorDeleteRatio: the operator's time
	// without the policy (on a backlog for the backlog run) over this run's.
	OperatorCreateRatio float64 `json:"operatorCreateRatio"`
	OperatorDeleteRatio float64 `json:"operatorDeleteRatio"`
}

// peerModes are the peer's runs: controller-runtime's defaults (1 worker,
// 20 QPS / 30 burst), tuned like the operator (its workers, 200 / 400),
// and tuned on a backlog.
func peerModes(workers int) []peerRun {
	tuned := []string{"--workers=" + strconv.Itoa(workers), "--kube-api-qps=200", "--kube-api-burst=400"}
	return []peerRun{
		{Name: "defaults"},
		{Name: "tuned", Flags: tuned},
		{Name: "tuned-backlog", Flags: tuned, Backlog: true},
	}
}

// buildPeer builds the peer's module into dir.
func buildPeer(ctx context.Context, dir string) (string, error) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "peer")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(root, peerDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the peer (%s): %w\n%s", peerDir, err, out)
	}
	return bin, nil
}

// measurePeer runs the peer once in its own namespace with the pools:
// create burst (or a backlog the peer starts on), then delete burst.
func measurePeer(ctx context.Context, env *localenv.Env, bin string, pools []poolSpec, names []string, cfg config, run *peerRun) error {
	ns := "bench-peer-" + run.Name
	kube, err := kubernetes.NewForConfig(env.RESTConfig())
	if err != nil {
		return err
	}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	burst := env.RESTConfig()
	burst.QPS, burst.Burst = 2000, 4000
	client, err := versioned.NewForConfig(burst)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	track := newTracker()
	if err := track.run(runCtx, client, ns); err != nil {
		return err
	}
	if run.Backlog {
		logf("peer %s: creating %d DiskPools before it starts", run.Name, len(pools))
		if err := createBurst(ctx, client, ns, pools, cfg.createWorkers, track); err != nil {
			return err
		}
	}
	addrFile := filepath.Join(env.LogDir(), "peer-"+run.Name+".addr")
	p, err := localcluster.StartProcess(localcluster.ProcessConfig{
		Name: "peer-" + run.Name,
		Path: bin,
		Args: append([]string{"--kubeconfig=" + env.Kubeconfig(), "--namespace=" + ns,
			"--metrics-bind-address=127.0.0.1:0", "--address-file=" + addrFile}, run.Flags...),
		LogPath: filepath.Join(env.LogDir(), "peer-"+run.Name+".log"),
	})
	if err != nil {
		return err
	}
	defer func() { _ = p.Stop() }()
	started := time.Now()
	addrs, err := localenv.WaitAddresses(ctx, p, addrFile, time.Minute, "metrics")
	if err != nil {
		return fmt.Errorf("peer %s: %w", run.Name, err)
	}
	metricsURL := "http://" + addrs["metrics"] + "/metrics"
	base, err := waitScrape(ctx, metricsURL, p, time.Minute)
	if err != nil {
		return fmt.Errorf("peer %s: %w", run.Name, err)
	}
	if run.Backlog {
		base = metrics.Snapshot{} // its whole life is the backlog
		track.restartClock(names, started)
	} else {
		logf("peer %s: creating %d DiskPools in one burst", run.Name, len(pools))
		if err := createBurst(ctx, client, ns, pools, cfg.createWorkers, track); err != nil {
			return err
		}
	}
	if err := track.waitAll(ctx, names, false, cfg.timeout); err != nil {
		return fmt.Errorf("peer %s create: %w", run.Name, err)
	}
	run.Create = track.createPhase(names)
	afterCreate, err := metrics.Scrape(ctx, metricsURL)
	if err != nil {
		return err
	}
	if err := deleteBurst(ctx, client, ns, pools, cfg.createWorkers, track); err != nil {
		return err
	}
	if err := track.waitAll(ctx, names, true, cfg.timeout); err != nil {
		return fmt.Errorf("peer %s delete: %w", run.Name, err)
	}
	run.Delete = track.deletePhase(names)
	afterDelete, err := metrics.Scrape(ctx, metricsURL)
	if err != nil {
		return err
	}
	n := float64(len(pools))
	run.WritesPerCreate = peerWrites(base, afterCreate) / n
	run.WritesPerDelete = peerWrites(afterCreate, afterDelete) / n
	run.Conflicts = metrics.Delta(base, afterDelete, "rest_client_requests_total", "code=409")
	run.CPUSecondsTotal = afterDelete.Sum("process_cpu_seconds_total")
	logf("peer %s: create %.2fs (p99 %.3fs), delete %.2fs, %.2f writes per create, %g conflicts",
		run.Name, run.Create.WallSeconds, run.Create.P99Seconds, run.Delete.WallSeconds, run.WritesPerCreate, run.Conflicts)
	return nil
}

// peerWrites are the peer's PUTs (finalizer and status updates).
func peerWrites(before, after metrics.Snapshot) float64 {
	return metrics.Delta(before, after, "rest_client_requests_total", "method=PUT")
}

// waitScrape scrapes url until it answers, failing at once if p exits.
func waitScrape(ctx context.Context, url string, p *localcluster.Process, timeout time.Duration) (metrics.Snapshot, error) {
	deadline := time.Now().Add(timeout)
	for {
		m, err := metrics.Scrape(ctx, url)
		if err == nil {
			return m, nil
		}
		if p.Exited() {
			return nil, fmt.Errorf("exited (log %s):\n%s", p.LogPath(), p.LogTail(20))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("metrics not served within %s: %w", timeout, err)
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tempDir is a directory for the bench's build outputs, removed by the
// returned func.
func tempDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}
