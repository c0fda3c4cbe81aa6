package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// Env is a running local environment: control plane, agents, operator.
type Env struct {
	opts    Options
	root    string
	workDir string
	// removeWorkDir: Start made a temporary work directory.
	removeWorkDir bool

	cluster *localcluster.Cluster
	kube    kubernetes.Interface
	disks   *diskSet
	pki     *agentPKI

	agentBinary, operatorBinary string
	operatorKubeconfig          string
	operatorTLS, clientTLS      TLSFiles

	mu       sync.Mutex
	agents   map[string]*agentProc
	operator *operatorProc
	stopped  bool
}

// Start builds the operator and the agent (unless given), starts the control
// plane, applies the CRDs and the RBAC of manifests/base, creates the Node
// objects, the disks and the mTLS certificates, starts one agent per node
// and waits until each has renewed its Lease, then starts the operator and
// waits until it is ready. On failure everything started is stopped and the
// work directory is kept for its logs (the error names it).
func Start(ctx context.Context, opts Options) (*Env, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("local environment: %w", err)
	}
	root, err := localcluster.RepoRoot()
	if err != nil {
		return nil, fmt.Errorf("local environment: %w", err)
	}
	e := &Env{
		opts:           opts,
		root:           root,
		agentBinary:    opts.AgentBinary,
		operatorBinary: opts.OperatorBinary,
		agents:         map[string]*agentProc{},
	}
	if err := e.makeWorkDir(); err != nil {
		return nil, err
	}
	began := time.Now()
	if err := e.start(ctx); err != nil {
		stopErr := e.stopProcesses()
		diskErr := e.removeDisks()
		err = errors.Join(err, stopErr, diskErr)
		var be *buildError
		if (errors.As(err, &be) || ctx.Err() != nil) && e.removeWorkDir && stopErr == nil {
			// A compile error says it all, and an interrupted start was
			// wanted by nobody: the logs would add nothing.
			_ = os.RemoveAll(e.workDir)
			return nil, fmt.Errorf("start local environment: %w", err)
		}
		return nil, fmt.Errorf("start local environment (logs in %s): %w", e.workDir, err)
	}
	e.progressf("Local environment ready in %s", time.Since(began).Round(10*time.Millisecond))
	return e, nil
}

func (e *Env) makeWorkDir() error {
	if e.opts.WorkDir == "" {
		dir, err := os.MkdirTemp("", "diskpool-localenv-")
		if err != nil {
			return fmt.Errorf("local environment: %w", err)
		}
		e.workDir, e.removeWorkDir = dir, !e.opts.KeepWorkDir
	} else {
		dir, err := filepath.Abs(e.opts.WorkDir)
		if err != nil {
			return fmt.Errorf("local environment: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("local environment: %w", err)
		}
		e.workDir = dir
	}
	// The marker lets StopState (make down) remove this directory, and
	// nothing it did not create.
	marker := []byte("A diskpool local environment (pkg/localenv) works here.\n")
	if err := os.WriteFile(filepath.Join(e.workDir, WorkDirMarker), marker, 0o644); err != nil {
		return fmt.Errorf("local environment: %w", err)
	}
	return nil
}

func (e *Env) start(ctx context.Context) error {
	// The build (about a second when nothing changed, minutes on a cold
	// cache) overlaps the control plane start.
	buildErr := make(chan error, 1)
	go func() { buildErr <- e.buildBinaries(ctx, e.root) }()

	if err := e.startControlPlane(ctx); err != nil {
		return errors.Join(err, <-buildErr)
	}
	if err := e.prepare(ctx); err != nil {
		return errors.Join(err, <-buildErr)
	}
	if err := <-buildErr; err != nil {
		return err
	}
	if !e.opts.NoAgents {
		if err := e.startAgents(ctx); err != nil {
			return err
		}
	}
	if e.opts.NoOperator {
		return nil
	}
	return e.StartOperator(ctx)
}

func (e *Env) startControlPlane(ctx context.Context) error {
	began := time.Now()
	copts := e.opts.ControlPlane
	copts.WorkDir = filepath.Join(e.workDir, "controlplane")
	copts.UnsafeNoFsync = e.opts.UnsafeNoFsync
	copts.SurviveParent = e.opts.SurviveParent
	if copts.StartTimeout == 0 {
		copts.StartTimeout = e.opts.StartTimeout
	}
	if copts.StopTimeout == 0 {
		copts.StopTimeout = e.opts.StopTimeout
	}
	e.progressf("Starting etcd and kube-apiserver")
	c, err := localcluster.Start(ctx, copts)
	if err != nil {
		return err
	}
	e.cluster = c
	kube, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	e.kube = kube
	e.progressf("Control plane ready at %s in %s", c.APIServerURL(), time.Since(began).Round(10*time.Millisecond))
	return nil
}

// prepare makes everything the processes need.
func (e *Env) prepare(ctx context.Context) error {
	if err := e.prepareAPI(ctx); err != nil {
		return err
	}
	return e.prepareFiles()
}

// prepareAPI applies the project's manifests, creates the Nodes and mints
// the operator's and agents' kubeconfigs: the part of prepare that lives in
// etcd, so LoseControlPlaneData runs it again.
func (e *Env) prepareAPI(ctx context.Context) error {
	if err := applyProject(ctx, e.cluster.RESTConfig(), e.root, e.opts.Namespaces, !e.opts.NoFinalizerPolicy); err != nil {
		return err
	}
	if err := e.cluster.CreateNodes(ctx, e.opts.Nodes...); err != nil {
		return err
	}
	// One token per agent, bound to a Pod object on its node, as a DaemonSet
	// pod's would be: manifests/base lets an agent write only the Lease of
	// the node its token names.
	for _, n := range e.opts.Nodes {
		if err := e.cluster.PodBoundKubeconfig(ctx, SystemNamespace, AgentServiceAccount, agentPodName(n), n, e.AgentKubeconfig(n)); err != nil {
			return err
		}
	}
	e.operatorKubeconfig = filepath.Join(e.workDir, "diskpool-operator.kubeconfig")
	return e.cluster.ServiceAccountKubeconfig(ctx, SystemNamespace, OperatorServiceAccount, e.operatorKubeconfig)
}

// prepareFiles makes the certificates, the disks and the log directory.
func (e *Env) prepareFiles() error {
	pki, err := newAgentPKI(filepath.Join(e.workDir, "tls"))
	if err != nil {
		return err
	}
	e.pki = pki
	if e.operatorTLS, err = pki.client("operator", "diskpool-operator"); err != nil {
		return err
	}
	if e.clientTLS, err = pki.client("client", "diskpool-localenv-client"); err != nil {
		return err
	}
	root := e.opts.DiskRoot
	if root == "" {
		root = filepath.Join(e.workDir, "disks")
	}
	if e.disks, err = newDiskSet(root, e.opts.DiskSize); err != nil {
		return err
	}
	for _, n := range e.opts.Nodes {
		if err := e.disks.createNode(n, e.opts.DisksPerNode); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(e.logDir(), 0o755); err != nil {
		return err
	}
	return nil
}

// Stop stops the operator, the agents and the control plane, by PID, then
// removes the disks (unless KeepDisks) and a temporary work directory
// (unless KeepWorkDir). It is safe to call more than once.
func (e *Env) Stop() error {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	e.mu.Unlock()
	began := time.Now()
	err := errors.Join(e.stopProcesses(), e.removeDisks())
	if err == nil && e.removeWorkDir {
		err = os.RemoveAll(e.workDir)
	}
	if err != nil {
		return fmt.Errorf("stop local environment (work dir %s): %w", e.workDir, err)
	}
	e.progressf("Stopped the local environment in %s", time.Since(began).Round(10*time.Millisecond))
	return nil
}

// stopProcesses stops the operator first (so it never sees the agents
// disappear), then the agents, then the control plane.
func (e *Env) stopProcesses() error {
	var errs []error
	errs = append(errs, e.StopOperator())
	for _, n := range e.opts.Nodes {
		errs = append(errs, e.StopAgent(n))
	}
	if e.cluster != nil {
		errs = append(errs, e.cluster.Stop())
	}
	return errors.Join(errs...)
}

func (e *Env) removeDisks() error {
	if e.disks == nil || e.opts.KeepDisks {
		return nil
	}
	return e.disks.remove(e.opts.Nodes)
}

// Cluster returns the control plane.
func (e *Env) Cluster() *localcluster.Cluster { return e.cluster }

// Kubeconfig returns the admin kubeconfig (system:masters).
func (e *Env) Kubeconfig() string { return e.cluster.KubeconfigPath() }

// RESTConfig returns a copy of the admin client configuration.
func (e *Env) RESTConfig() *rest.Config { return e.cluster.RESTConfig() }

// WorkDir returns the directory of data, certificates, kubeconfigs and logs.
func (e *Env) WorkDir() string { return e.workDir }

// LogDir returns the directory of the agent and operator logs
// (<node>.agent.log, operator.log).
func (e *Env) LogDir() string { return e.logDir() }

func (e *Env) logDir() string { return filepath.Join(e.workDir, "logs") }

// DiskRoot returns the directory holding <node>/disk-<i>.
func (e *Env) DiskRoot() string { return e.disks.root }

// Nodes returns the simulated node names.
func (e *Env) Nodes() []string { return slices.Clone(e.opts.Nodes) }

// Namespaces returns the namespaces the operator watches (empty: all).
func (e *Env) Namespaces() []string { return slices.Clone(e.opts.Namespaces) }

// DiskPath returns the path of node's i-th disk (which may not exist).
func (e *Env) DiskPath(node string, i int) string { return DiskPath(e.disks.root, node, i) }

// AddDisk creates the next free disk-<i> of node, a sparse file of the
// configured size inside the node's allowed device directory, and returns
// its path. Agents open disks on CreatePool, so a pool may use it at once.
func (e *Env) AddDisk(node string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Contains(e.opts.Nodes, node) {
		return "", fmt.Errorf("add disk: no node %q", node)
	}
	i, err := e.disks.nextIndex(node)
	if err != nil {
		return "", fmt.Errorf("add disk: %w", err)
	}
	p := DiskPath(e.disks.root, node, i)
	if err := CreateDisk(p, e.opts.DiskSize); err != nil {
		return "", err
	}
	return p, nil
}

// AgentClientTLS returns the files of a client certificate the agents
// accept (signed by the same CA as the operator's), for tests that call an
// agent's gRPC API directly. Dial AgentEndpoint with
// ClientTLSConfig(AgentTLSServerName).
func (e *Env) AgentClientTLS() TLSFiles { return e.clientTLS }

// OperatorTLS returns the operator's client certificate, key and CA files.
func (e *Env) OperatorTLS() TLSFiles { return e.operatorTLS }

// AgentBinary and OperatorBinary return the executables in use.
func (e *Env) AgentBinary() string    { return e.agentBinary }
func (e *Env) OperatorBinary() string { return e.operatorBinary }

// progressf writes one line to Options.Progress, if set.
func (e *Env) progressf(format string, args ...any) {
	if e.opts.Progress == nil {
		return
	}
	_, _ = fmt.Fprintf(e.opts.Progress, format+"\n", args...)
}
