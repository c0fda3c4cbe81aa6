package cluster

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/nodecluster"
)

// EnvRequire turns a missing prerequisite into a failure (make test sets it
// once scripts/install-node-prereqs.sh succeeded).
const EnvRequire = "DISKPOOL_REQUIRE_NODECLUSTER"

// EnvKeep keeps the cluster's work directory (logs) after the run.
const EnvKeep = "DISKPOOL_CLUSTER_KEEP"

// Image names of this suite: the overlay maps the manifests' images to them.
const (
	imageRegistry = "localhost/diskpool"
	imageTag      = "cluster-test"
)

var (
	node       *nodecluster.Cluster
	repoRoot   string
	imagesDir  string
	skipReason string
	timings    = map[string]time.Duration{}
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	if testing.Short() {
		skipReason = "needs a single-node cluster, not run with -short"
		return m.Run()
	}
	var err error
	if repoRoot, err = localcluster.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	bins, err := nodecluster.FindBinaries()
	if err == nil && os.Geteuid() != 0 {
		err = fmt.Errorf("%w: not root", nodecluster.ErrMissing)
	}
	if err != nil {
		if os.Getenv(EnvRequire) == "" && (errors.Is(err, nodecluster.ErrMissing) || errors.Is(err, localcluster.ErrBinaryNotFound)) {
			skipReason = fmt.Sprintf("%v (set %s=1 to make this a failure)", err, EnvRequire)
			return m.Run()
		}
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}

	// The agent DaemonSet keeps its state on the host (hostPath); remove it
	// afterwards unless it was there before.
	const agentState = "/var/lib/diskpool-agent"
	if _, err := os.Stat(agentState); os.IsNotExist(err) {
		defer func() { _ = os.RemoveAll(agentState) }()
	}
	tmp, err := os.MkdirTemp("/tmp", "dpct-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	keep := os.Getenv(EnvKeep) != ""
	defer func() {
		if !keep {
			_ = os.RemoveAll(tmp)
		}
	}()
	imagesDir = filepath.Join(tmp, "images")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	began := time.Now()
	if err := buildImages(ctx, imagesDir); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	timings["images"] = time.Since(began)

	began = time.Now()
	node, err = nodecluster.Start(ctx, nodecluster.Options{
		WorkDir:  filepath.Join(tmp, "node"),
		Binaries: &bins,
		Images: []string{
			filepath.Join(imagesDir, "pause.tar"),
			filepath.Join(imagesDir, "diskpool-operator.tar"),
			filepath.Join(imagesDir, "diskpool-agent.tar"),
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	timings["cluster start"] = time.Since(began)
	fmt.Printf("cluster: single-node cluster up in %s (images %s); kubeconfig %s\n",
		timings["cluster start"].Round(time.Millisecond), timings["images"].Round(time.Millisecond), node.KubeconfigPath())
	code := m.Run()
	if code != 0 {
		keep = true
		fmt.Fprintf(os.Stderr, "cluster: logs kept in %s\n", filepath.Join(tmp, "node", "logs"))
	}
	if err := node.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	return code
}

// buildImages runs `make images`' script with this suite's names.
func buildImages(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", "build-images.sh"))
	cmd.Env = append(os.Environ(), "IMAGES_OUT="+out, "IMAGE_REGISTRY="+imageRegistry, "IMAGE_TAG="+imageTag)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build images: %w\n%s", err, b)
	}
	return nil
}

func requireCluster(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip("Skipping: " + skipReason)
	}
}
