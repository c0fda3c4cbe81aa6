package nodecluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// Defaults for Options.
const (
	DefaultNodeName     = "node-1"
	DefaultStartTimeout = 2 * time.Minute
	// DefaultPauseImage is the name scripts/build-images.sh gives the pause
	// image; there is no registry to pull the upstream one from.
	DefaultPauseImage = "localhost/diskpool/pause:3.10"
)

// Options configure a cluster.
type Options struct {
	// WorkDir holds every file of the cluster. It must be short: containerd
	// puts unix sockets under it (108 bytes at most). Empty means a new
	// directory under /tmp, removed by Stop.
	WorkDir string
	// NodeName is the node's name; it defaults to DefaultNodeName.
	NodeName string
	// PauseImage is the sandbox image; it defaults to DefaultPauseImage
	// and must be among Images (or already imported).
	PauseImage string
	// Images are OCI archives imported into containerd before the kubelet
	// starts.
	Images []string
	// StartTimeout bounds the wait for each component; it defaults to
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// SurviveParent lets the processes outlive the current one (make
	// cluster-up); by default they die with it.
	SurviveParent bool
	// Binaries overrides FindBinaries.
	Binaries *Binaries
}

// dirs are the cluster's paths.
type dirs struct {
	root, logs, kubelet, podLogs, cniConf, cniIPAM                   string
	containerdRoot, containerdState, containerdOpt, containerdConfig string
	containerdSocket                                                 string
}

func newDirs(root string) dirs {
	return dirs{
		root:             root,
		logs:             filepath.Join(root, "logs"),
		kubelet:          filepath.Join(root, "kubelet"),
		podLogs:          filepath.Join(root, "pod-logs"),
		cniConf:          filepath.Join(root, "cni", "net.d"),
		cniIPAM:          filepath.Join(root, "cni", "ipam"),
		containerdRoot:   filepath.Join(root, "containerd", "root"),
		containerdState:  filepath.Join(root, "containerd", "state"),
		containerdOpt:    filepath.Join(root, "containerd", "opt"),
		containerdConfig: filepath.Join(root, "containerd", "config.toml"),
		containerdSocket: filepath.Join(root, "containerd", "c.sock"),
	}
}

// The node's own servers listen on NodeIP, the address of the bridge this
// cluster creates and alone uses, at their usual ports: no other process
// holds that address, so nothing is probed and nothing can race for them.
const (
	kubeletPort        = 10250
	kubeletHealthzPort = 10248
	proxyHealthzPort   = 10256
	proxyMetricsPort   = 10249
)

// heldPorts are the 127.0.0.1 ports held (localcluster.HeldPort) for the
// controller-manager and the scheduler, which bind them with
// --permit-port-sharing.
type heldPorts struct {
	controllerManager, scheduler *localcluster.HeldPort
}

func (h heldPorts) close() {
	for _, p := range []*localcluster.HeldPort{h.controllerManager, h.scheduler} {
		if p != nil {
			_ = p.Close()
		}
	}
}

// Cluster is a running single-node cluster.
type Cluster struct {
	opts          Options
	bins          Binaries
	dirs          dirs
	removeWorkDir bool
	ports         heldPorts
	host          hostState
	control       *localcluster.Cluster

	mu    sync.Mutex
	procs map[string]*localcluster.Process
}

// Start starts the control plane, then the node, and waits until the node
// is Ready. On failure everything started is stopped and cleaned up; the
// logs are kept in the work directory.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := newCluster(opts)
	if err != nil {
		return nil, fmt.Errorf("start single-node cluster: %w", err)
	}
	if err := c.start(ctx); err != nil {
		c.removeWorkDir = false
		if stopErr := c.Stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		return nil, fmt.Errorf("start single-node cluster (logs in %s): %w", c.dirs.logs, err)
	}
	return c, nil
}

func newCluster(opts Options) (*Cluster, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: needs root (network, mounts, cgroups)", ErrMissing)
	}
	var bins Binaries
	if opts.Binaries != nil {
		bins = *opts.Binaries
	} else {
		var err error
		if bins, err = FindBinaries(); err != nil {
			return nil, err
		}
	}
	if opts.NodeName == "" {
		opts.NodeName = DefaultNodeName
	}
	if opts.PauseImage == "" {
		opts.PauseImage = DefaultPauseImage
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	c := &Cluster{opts: opts, bins: bins, procs: map[string]*localcluster.Process{}}
	if opts.WorkDir == "" {
		dir, err := os.MkdirTemp("/tmp", "dpnode-")
		if err != nil {
			return nil, err
		}
		opts.WorkDir, c.removeWorkDir = dir, true
	}
	root, err := filepath.Abs(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	c.dirs = newDirs(root)
	if len(c.dirs.containerdSocket)+len(".ttrpc") > 100 {
		return nil, fmt.Errorf("work dir %s is too long for containerd's sockets", root)
	}
	for _, d := range []string{c.dirs.logs, c.dirs.kubelet, c.dirs.podLogs, c.dirs.containerdRoot, c.dirs.containerdState, c.dirs.containerdOpt, c.dirs.cniIPAM} {
		if err := ensureDir(d); err != nil {
			return nil, err
		}
	}
	held, err := localcluster.HoldPorts(2)
	if err != nil {
		return nil, err
	}
	c.ports = heldPorts{controllerManager: held[0], scheduler: held[1]}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	log := klog.FromContext(ctx)
	var err error
	if c.host, err = recordHostState(ctx); err != nil {
		return err
	}
	if err := createBridge(ctx); err != nil {
		return err
	}
	c.host.MadeBridge = true
	controlDir := filepath.Join(c.dirs.root, "control")
	pkiDir := filepath.Join(controlDir, "pki")
	c.control, err = localcluster.Start(ctx, localcluster.Options{
		WorkDir:          controlDir,
		Binaries:         &c.bins.Binaries,
		APIServerAddress: NodeIP,
		ExtraSANs:        []string{KubernetesServiceIP},
		SurviveParent:    c.opts.SurviveParent,
		// kubectl logs and exec: kube-apiserver authenticates to the
		// kubelet with the admin certificate.
		ExtraAPIServerArgs: []string{
			"--kubelet-client-certificate=" + filepath.Join(pkiDir, "admin.crt"),
			"--kubelet-client-key=" + filepath.Join(pkiDir, "admin.key"),
			"--kubelet-preferred-address-types=InternalIP",
			// The agent DaemonSet is privileged (docs/operations.md).
			"--allow-privileged=true",
		},
		ServiceClusterIPRange: ServiceCIDR,
	})
	if err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{procControllerManager, c.startControllerManager},
		{procScheduler, c.startScheduler},
		{"cni", func(context.Context) error { return writeCNIConfig(c.dirs.cniConf, c.dirs.cniIPAM) }},
		{procContainerd, c.startContainerdConfigured},
		{"images", func(ctx context.Context) error { return c.ImportImages(ctx, c.opts.Images...) }},
		{procKubelet, c.startKubelet},
		{procKubeProxy, c.startKubeProxy},
		{"node ready", func(ctx context.Context) error { return c.waitNodeReadySince(ctx, time.Time{}) }},
	}
	for _, s := range steps {
		began := time.Now()
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		log.V(1).Info("Started", "step", s.name, "duration", time.Since(began))
	}
	return nil
}

func (c *Cluster) startContainerdConfigured(ctx context.Context) error {
	cfg := containerdConfig(c.dirs, c.bins, c.opts.PauseImage)
	if err := os.WriteFile(c.dirs.containerdConfig, []byte(cfg), 0o644); err != nil {
		return err
	}
	return c.startContainerd(ctx)
}

func (c *Cluster) setProc(name string, p *localcluster.Process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.procs[name] = p
}

func (c *Cluster) proc(name string) *localcluster.Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[name]
}

// stopProc stops one process by its PID (SIGTERM, then SIGKILL).
func (c *Cluster) stopProc(name string) error {
	p := c.proc(name)
	if p == nil {
		return nil
	}
	if err := p.Stop(); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
}

// RebootNode is the closest to a node reboot one machine allows: the
// kubelet stops, every pod's processes are killed and their containers
// removed, containerd stops; then containerd and the kubelet start again,
// and the kubelet recreates the pods from the API, as after a boot. Disks
// (loop devices) and the host's files stay.
func (c *Cluster) RebootNode(ctx context.Context) error {
	if err := c.stopProc(procKubelet); err != nil {
		return err
	}
	if err := c.removeContainers(ctx); err != nil {
		return err
	}
	if err := c.stopProc(procContainerd); err != nil {
		return err
	}
	booted := time.Now()
	if err := c.startContainerd(ctx); err != nil {
		return fmt.Errorf("restart containerd: %w", err)
	}
	if err := c.startKubelet(ctx); err != nil {
		return fmt.Errorf("restart kubelet: %w", err)
	}
	return c.waitNodeReadySince(ctx, booted)
}

// Stop stops the node and the control plane and removes everything the
// cluster made. It is safe to call more than once.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var errs []error
	errs = append(errs, c.stopProc(procKubeProxy), c.stopProc(procKubelet))
	if p := c.proc(procContainerd); p != nil && !p.Exited() {
		errs = append(errs, c.removeContainers(ctx))
	}
	for _, name := range stopOrder[2:] {
		errs = append(errs, c.stopProc(name))
	}
	c.ports.close()
	if c.control != nil {
		errs = append(errs, c.control.Stop())
	}
	errs = append(errs, c.cleanupHost(ctx))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop single-node cluster: %w", err)
	}
	if c.removeWorkDir {
		if err := os.RemoveAll(c.dirs.root); err != nil {
			return fmt.Errorf("stop single-node cluster: %w", err)
		}
	}
	return nil
}

// cleanupHost removes what the cluster made outside its processes, once
// they are stopped.
func (c *Cluster) cleanupHost(ctx context.Context) error {
	if !c.host.MadeBridge {
		// The bridge is the cluster's lock: without it, nothing outside the
		// work directory is this cluster's (another one may be running).
		return unmountUnder(c.dirs.root)
	}
	return errors.Join(
		unmountUnder(c.dirs.root),
		c.host.restore(ctx),
		deleteBridge(ctx),
		removeCNIResults(c.host.CNIResults, c.host.CNIDirExisted),
		removeCgroupRoot(),
		removePodLogLinks(c.dirs.podLogs),
	)
}

// unmountUnder unmounts every mount point under dir, deepest first (pod
// volumes, container root filesystems, sandbox /dev/shm).
func unmountUnder(dir string) error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var points []string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			points = append(points, f[4])
		}
	}
	var errs []string
	for i := len(points) - 1; i >= 0; i-- {
		if err := syscall.Unmount(points[i], syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			errs = append(errs, fmt.Sprintf("unmount %s: %v", points[i], err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("unmount: %s", strings.Join(errs, "; "))
	}
	return nil
}

// removePodLogLinks removes the kubelet's /var/log/containers links into
// podLogs (that directory's path is fixed in the kubelet).
func removePodLogLinks(podLogs string) error {
	ents, err := os.ReadDir("/var/log/containers")
	if err != nil {
		return nil
	}
	for _, e := range ents {
		p := filepath.Join("/var/log/containers", e.Name())
		if t, err := os.Readlink(p); err == nil && strings.HasPrefix(t, podLogs+"/") {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// RESTConfig is an admin client configuration.
func (c *Cluster) RESTConfig() *rest.Config { return c.control.RESTConfig() }

// KubeconfigPath is the admin kubeconfig.
func (c *Cluster) KubeconfigPath() string { return c.control.KubeconfigPath() }

// Control is the etcd and kube-apiserver of the cluster.
func (c *Cluster) Control() *localcluster.Cluster { return c.control }

// NodeName is the node's name.
func (c *Cluster) NodeName() string { return c.opts.NodeName }

// WorkDir holds the cluster's files; logs are in WorkDir()/logs.
func (c *Cluster) WorkDir() string { return c.dirs.root }
