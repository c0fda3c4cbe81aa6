package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"
)

// Defaults for Options.
const (
	DefaultStartTimeout          = 60 * time.Second
	DefaultServiceClusterIPRange = "10.0.0.0/24"
)

// Client rate limits of RESTConfig: high enough that test setup is never
// throttled by client-go's default of 5 QPS.
const (
	adminQPS   = 200
	adminBurst = 400
)

// Options configure a local cluster. The zero value is usable.
type Options struct {
	// WorkDir holds data, certificates, logs and kubeconfigs. Empty means a
	// new temporary directory, removed by Stop unless KeepWorkDir is set. A
	// given WorkDir is never removed.
	WorkDir     string
	KeepWorkDir bool
	// UnsafeNoFsync runs etcd with --unsafe-no-fsync: much faster writes,
	// data lost on a machine crash. For tests only.
	UnsafeNoFsync bool
	// ServiceClusterIPRange defaults to DefaultServiceClusterIPRange.
	ServiceClusterIPRange string
	// StartTimeout bounds the wait for each of etcd and kube-apiserver to
	// become ready; it defaults to DefaultStartTimeout.
	StartTimeout time.Duration
	// StopTimeout is the grace period after SIGTERM; it defaults to
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// Binaries overrides FindBinaries.
	Binaries *Binaries
	// ExtraAPIServerArgs are appended to the kube-apiserver command line.
	ExtraAPIServerArgs []string
	// SurviveParent lets etcd and kube-apiserver outlive the current process
	// (see ProcessConfig.SurviveParent).
	SurviveParent bool
	// APIServerAddress is the address kube-apiserver binds and advertises;
	// empty means 127.0.0.1. A non-loopback address (a host-only bridge, as
	// pkg/nodecluster uses) turns the endpoint reconciler on, so the
	// kubernetes Service has endpoints that pods reach through kube-proxy.
	APIServerAddress string
	// ExtraSANs are added to the serving certificate (e.g. the kubernetes
	// Service's cluster IP).
	ExtraSANs []string
}

// Cluster is a running etcd and kube-apiserver.
type Cluster struct {
	bins          Binaries
	workDir       string
	removeWorkDir bool
	startTimeout  time.Duration
	pki           *PKI
	etcdCfg       etcdConfig
	apiCfg        apiserverConfig
	kubeconfig    string
	restConfig    *rest.Config
	// ports are etcd's client and peer ports and kube-apiserver's, held
	// until Stop (see HeldPort).
	ports []*HeldPort

	mu        sync.Mutex
	etcd      *Process
	apiserver *Process
}

// Start starts etcd and kube-apiserver, waits until both are ready and writes
// an admin kubeconfig. On failure, everything started is stopped and the work
// directory is kept for its logs.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := newCluster(opts)
	if err != nil {
		return nil, fmt.Errorf("start local cluster: %w", err)
	}
	if err := c.start(ctx); err != nil {
		if stopErr := c.stopProcesses(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		c.closePorts()
		return nil, fmt.Errorf("start local cluster (logs in %s): %w", c.workDir, err)
	}
	return c, nil
}

func newCluster(opts Options) (_ *Cluster, err error) {
	var bins Binaries
	if opts.Binaries != nil {
		bins = *opts.Binaries
	} else {
		if bins, err = FindBinaries(); err != nil {
			return nil, err
		}
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.ServiceClusterIPRange == "" {
		opts.ServiceClusterIPRange = DefaultServiceClusterIPRange
	}

	c := &Cluster{bins: bins, startTimeout: opts.StartTimeout}
	if opts.WorkDir == "" {
		dir, err := os.MkdirTemp("", "localcluster-")
		if err != nil {
			return nil, fmt.Errorf("create work dir: %w", err)
		}
		defer func() {
			if err != nil {
				err = errors.Join(err, os.RemoveAll(dir))
			}
		}()
		c.workDir, c.removeWorkDir = dir, !opts.KeepWorkDir
	} else {
		dir, err := filepath.Abs(opts.WorkDir)
		if err != nil {
			return nil, fmt.Errorf("create work dir: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create work dir: %w", err)
		}
		c.workDir = dir
	}

	// Held for the cluster's life: restarts come back on the same ports.
	ports, err := HoldPorts(3)
	if err != nil {
		return nil, err
	}
	c.ports = ports
	defer func() {
		if err != nil {
			c.closePorts()
		}
	}()
	// The serving certificate also names the in-cluster service address and
	// DNS names, so a client configured for them validates it too.
	if opts.APIServerAddress == "" {
		opts.APIServerAddress = "127.0.0.1"
	}
	hosts := []string{"127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	if opts.APIServerAddress != "127.0.0.1" {
		hosts = append(hosts, opts.APIServerAddress)
	}
	c.pki, err = NewPKI(append(hosts, opts.ExtraSANs...))
	if err != nil {
		return nil, err
	}
	files, err := c.pki.WriteFiles(filepath.Join(c.workDir, "pki"))
	if err != nil {
		return nil, err
	}
	c.etcdCfg = etcdConfig{
		binary:        bins.Etcd,
		dataDir:       filepath.Join(c.workDir, "etcd-data"),
		logPath:       filepath.Join(c.workDir, "etcd.log"),
		clientPort:    ports[0].Port(),
		peerPort:      ports[1].Port(),
		unsafeNoFsync: opts.UnsafeNoFsync,
		surviveParent: opts.SurviveParent,
		stopTimeout:   opts.StopTimeout,
	}
	c.apiCfg = apiserverConfig{
		binary:        bins.KubeAPIServer,
		certDir:       filepath.Join(c.workDir, "apiserver-certs"),
		logPath:       filepath.Join(c.workDir, "kube-apiserver.log"),
		address:       opts.APIServerAddress,
		port:          ports[2].Port(),
		etcdURL:       c.etcdCfg.clientURL(),
		serviceCIDR:   opts.ServiceClusterIPRange,
		files:         files,
		pki:           c.pki,
		extraArgs:     opts.ExtraAPIServerArgs,
		surviveParent: opts.SurviveParent,
		stopTimeout:   opts.StopTimeout,
	}
	c.kubeconfig = filepath.Join(c.workDir, "admin.kubeconfig")
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	if err := c.StartEtcd(ctx); err != nil {
		return err
	}
	if err := c.StartAPIServer(ctx); err != nil {
		return err
	}
	err := writeKubeconfig(c.kubeconfig, c.apiCfg.url(), c.pki.CA.CertPEM, &clientcmdapi.AuthInfo{
		ClientCertificateData: c.pki.Admin.CertPEM,
		ClientKeyData:         c.pki.Admin.KeyPEM,
	}, "")
	if err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	if err != nil {
		return fmt.Errorf("load admin kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = adminQPS, adminBurst
	c.restConfig = cfg
	klog.FromContext(ctx).V(1).Info("Local cluster ready", "server", c.apiCfg.url(), "kubeconfig", c.kubeconfig, "workDir", c.workDir)
	return nil
}

// Stop stops kube-apiserver, then etcd, and removes the work directory if
// Start created it and KeepWorkDir was not set. It is safe to call more than
// once.
func (c *Cluster) Stop() error {
	if err := c.stopProcesses(); err != nil {
		return fmt.Errorf("stop local cluster: %w", err)
	}
	c.closePorts()
	if c.removeWorkDir {
		if err := os.RemoveAll(c.workDir); err != nil {
			return fmt.Errorf("stop local cluster: remove work dir: %w", err)
		}
	}
	return nil
}

// closePorts releases the held ports once nothing serves on them.
func (c *Cluster) closePorts() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.ports {
		_ = p.Close()
	}
}

func (c *Cluster) stopProcesses() error {
	return errors.Join(c.StopAPIServer(), c.StopEtcd())
}

// StartEtcd starts etcd with the cluster's data directory and ports, and
// waits until it is healthy. It does nothing if etcd is running.
func (c *Cluster) StartEtcd(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.etcd != nil && !c.etcd.Exited() {
		return nil
	}
	began := time.Now()
	p, err := startEtcd(ctx, c.etcdCfg, c.startTimeout)
	if err != nil {
		return fmt.Errorf("start etcd: %w", err)
	}
	c.etcd = p
	klog.FromContext(ctx).V(2).Info("Started etcd", "pid", p.PID(), "url", c.etcdCfg.clientURL(), "duration", time.Since(began))
	return nil
}

// StopEtcd stops etcd (SIGTERM, then SIGKILL after the stop timeout).
func (c *Cluster) StopEtcd() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.etcd == nil {
		return nil
	}
	if err := c.etcd.Stop(); err != nil {
		return fmt.Errorf("stop etcd: %w", err)
	}
	return nil
}

// RestartEtcd stops and starts etcd, keeping its data directory and ports;
// kube-apiserver keeps running and reconnects. etcd's graceful stop takes
// about 7 s while kube-apiserver holds watches open; for a crash-style
// restart, call Etcd().Kill() and then StartEtcd.
func (c *Cluster) RestartEtcd(ctx context.Context) error {
	if err := c.StopEtcd(); err != nil {
		return err
	}
	return c.StartEtcd(ctx)
}

// StartAPIServer starts kube-apiserver on the cluster's port and waits until
// /readyz succeeds. It does nothing if kube-apiserver is running.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apiserver != nil && !c.apiserver.Exited() {
		return nil
	}
	began := time.Now()
	p, err := startAPIServer(ctx, c.apiCfg, c.startTimeout)
	if err != nil {
		return fmt.Errorf("start kube-apiserver: %w", err)
	}
	c.apiserver = p
	klog.FromContext(ctx).V(2).Info("Started kube-apiserver", "pid", p.PID(), "url", c.apiCfg.url(), "duration", time.Since(began))
	return nil
}

// StopAPIServer stops kube-apiserver (SIGTERM, then SIGKILL after the stop
// timeout).
func (c *Cluster) StopAPIServer() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apiserver == nil {
		return nil
	}
	if err := c.apiserver.Stop(); err != nil {
		return fmt.Errorf("stop kube-apiserver: %w", err)
	}
	return nil
}

// RestartAPIServer stops and starts kube-apiserver on the same port with the
// same certificates, so existing kubeconfigs and tokens stay valid.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	if err := c.StopAPIServer(); err != nil {
		return err
	}
	return c.StartAPIServer(ctx)
}

// Etcd returns the current etcd process (nil before Start).
func (c *Cluster) Etcd() *Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.etcd
}

// APIServer returns the current kube-apiserver process (nil before Start).
func (c *Cluster) APIServer() *Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.apiserver
}

// RESTConfig returns a copy of the admin client configuration (group
// system:masters, which bypasses RBAC).
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.restConfig) }

// KubeconfigPath returns the admin kubeconfig file.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfig }

// APIServerURL returns the https URL of kube-apiserver.
func (c *Cluster) APIServerURL() string { return c.apiCfg.url() }

// EtcdURL returns the client URL of etcd.
func (c *Cluster) EtcdURL() string { return c.etcdCfg.clientURL() }

// PKIFiles returns the paths of the PEM files of the cluster's PKI.
func (c *Cluster) PKIFiles() PKIFiles { return c.apiCfg.files }

// CACertPEM returns the cluster CA certificate, which also signed the
// kube-apiserver serving certificate.
func (c *Cluster) CACertPEM() []byte { return c.pki.CA.CertPEM }

// WorkDir returns the directory holding data, certificates, logs and
// kubeconfigs.
func (c *Cluster) WorkDir() string { return c.workDir }

// Binaries returns the control plane executables in use.
func (c *Cluster) Binaries() Binaries { return c.bins }

// KubectlCommand returns a command running the cluster's kubectl with the
// admin kubeconfig.
func (c *Cluster) KubectlCommand(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, c.bins.Kubectl, append([]string{"--kubeconfig=" + c.kubeconfig}, args...)...)
}
