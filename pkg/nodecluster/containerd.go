package nodecluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// criNamespace is the containerd namespace of the CRI plugin.
const criNamespace = "k8s.io"

// containerdConfig is containerd 1.6's configuration (version 2): every
// directory and socket under the work directory, the CRI plugin with runc
// (cgroupfs, as the kubelet) and the CNI network of writeCNIConfig.
func containerdConfig(d dirs, bins Binaries, pauseImage string) string {
	return fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  enable_selinux = false
  # Without CAP_SYS_RESOURCE (this machine's root lacks it) runc cannot set
  # an oom_score_adj below its own, and the kubelet asks -998 for every
  # sandbox: keep the requested values no lower than containerd's.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = %q
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
    max_conf_num = 1
`, d.containerdRoot, d.containerdState, d.containerdSocket, d.containerdSocket+".ttrpc",
		d.containerdOpt, pauseImage, bins.Runc, bins.CNIDir, d.cniConf)
}

func (c *Cluster) startContainerd(ctx context.Context) error {
	p, err := localcluster.StartProcess(localcluster.ProcessConfig{
		Name:          "containerd",
		Path:          c.bins.Containerd,
		Args:          []string{"--config", c.dirs.containerdConfig},
		LogPath:       filepath.Join(c.dirs.logs, "containerd.log"),
		SurviveParent: c.opts.SurviveParent,
		// Its shims (the pods' processes) outlive it by design: a restart
		// of containerd leaves pods running, as on a real node.
	})
	if err != nil {
		return err
	}
	c.setProc(procContainerd, p)
	return waitFor(ctx, p, c.opts.StartTimeout, func(ctx context.Context) error {
		_, err := c.ctr(ctx, "version")
		return err
	})
}

// ctr runs ctr against the node's containerd in the CRI namespace.
func (c *Cluster) ctr(ctx context.Context, args ...string) (string, error) {
	return run(ctx, c.bins.Ctr, append([]string{"--address", c.dirs.containerdSocket, "--namespace", criNamespace}, args...)...)
}

// ImportImages imports OCI archives (make images) into the node's
// containerd, as `ctr -n k8s.io images import` does for a user.
func (c *Cluster) ImportImages(ctx context.Context, archives ...string) error {
	for _, a := range archives {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		_, err := c.ctr(ictx, "images", "import", a)
		cancel()
		if err != nil {
			return fmt.Errorf("import image %s: %w", a, err)
		}
	}
	return nil
}

// removeContainers kills and deletes every task and container the CRI
// plugin made, after the kubelet has stopped: the pods' processes, held by
// containerd's shims, would otherwise outlive the cluster.
func (c *Cluster) removeContainers(ctx context.Context) error {
	out, err := c.ctr(ctx, "tasks", "ls", "-q")
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	var errs []string
	for id := range strings.FieldsSeq(out) {
		if _, err := c.ctr(ctx, "tasks", "kill", "--all", "--signal", "SIGKILL", id); err != nil && !strings.Contains(err.Error(), "not found") {
			errs = append(errs, err.Error())
		}
	}
	for id := range strings.FieldsSeq(out) {
		if err := c.deleteTask(ctx, id); err != nil {
			errs = append(errs, err.Error())
		}
	}
	cout, err := c.ctr(ctx, "containers", "ls", "-q")
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	for id := range strings.FieldsSeq(cout) {
		if _, err := c.ctr(ctx, "containers", "delete", id); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove containers: %s", strings.Join(errs, "; "))
	}
	return nil
}

// deleteTask deletes a killed task, waiting (bounded) for it to exit.
func (c *Cluster) deleteTask(ctx context.Context, id string) error {
	var err error
	for range 50 {
		if _, err = c.ctr(ctx, "tasks", "delete", id); err == nil || strings.Contains(err.Error(), "not found") {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

// ensureDir creates a directory.
func ensureDir(path string) error { return os.MkdirAll(path, 0o755) }
