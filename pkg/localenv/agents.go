package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// agentProc is one node's agent: its fixed configuration (disks, state and
// certificate stay across restarts) and the current process. Each process
// binds port 0 and names its ports in addrFile, so a restarted agent
// serves on new ports and publishes the new endpoint in its Lease, as a
// recreated pod does with its new IP.
type agentProc struct {
	node     string
	addrFile string
	cfg      localcluster.ProcessConfig
	proc     *localcluster.Process
	// endpoint and metricsAddr are the current process's, from addrFile.
	endpoint, metricsAddr string
}

// newAgent prepares node's agent: serving certificate, command line.
func (e *Env) newAgent(node string) (*agentProc, error) {
	tlsFiles, err := e.pki.server("agent-" + node)
	if err != nil {
		return nil, err
	}
	a := &agentProc{node: node, addrFile: filepath.Join(e.workDir, "agents", node+".addr")}
	args := []string{
		"--node=" + node,
		"--namespace=" + SystemNamespace,
		"--kubeconfig=" + e.AgentKubeconfig(node),
		// The Lease publishes the bound address.
		"--listen-address=" + localAddr,
		"--metrics-address=" + localAddr,
		"--address-file=" + a.addrFile,
		"--allowed-device-dir=" + filepath.Join(e.disks.root, node),
		// A glob: disks added later (AddDisk) are scanned on restart too.
		"--disk=" + filepath.Join(e.disks.root, node, "disk-*"),
		"--state-dir=" + filepath.Join(e.workDir, "agents", node),
		"--tls-cert-file=" + tlsFiles.CertFile,
		"--tls-key-file=" + tlsFiles.KeyFile,
		"--tls-client-ca-file=" + tlsFiles.CAFile,
	}
	if e.opts.AgentLeaseDuration > 0 {
		args = append(args, "--lease-duration="+e.opts.AgentLeaseDuration.String())
	}
	if e.opts.AgentRenewInterval > 0 {
		args = append(args, "--lease-renew-interval="+e.opts.AgentRenewInterval.String())
	}
	args = append(args, e.opts.AgentArgs...)
	a.cfg = localcluster.ProcessConfig{
		Name:          "diskpool-agent " + node,
		Path:          e.agentBinary,
		Args:          args,
		Env:           e.opts.AgentEnv,
		LogPath:       filepath.Join(e.logDir(), node+".agent.log"),
		StopTimeout:   e.opts.StopTimeout,
		SurviveParent: e.opts.SurviveParent,
	}
	return a, nil
}

// startAgents starts every node's agent, then waits for all of them.
func (e *Env) startAgents(ctx context.Context) error {
	began := time.Now()
	for _, n := range e.opts.Nodes {
		a, err := e.newAgent(n)
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.agents[n] = a
		e.mu.Unlock()
		if err := e.launchAgent(a); err != nil {
			return err
		}
	}
	for _, n := range e.opts.Nodes {
		if err := e.waitAgent(ctx, e.agents[n], began); err != nil {
			return err
		}
	}
	e.progressf("Agents on %v ready in %s", e.opts.Nodes, time.Since(began).Round(10*time.Millisecond))
	return nil
}

func (e *Env) launchAgent(a *agentProc) error {
	if err := os.MkdirAll(filepath.Dir(a.addrFile), 0o755); err != nil {
		return err
	}
	if err := removeStale(a.addrFile); err != nil {
		return err
	}
	p, err := localcluster.StartProcess(a.cfg)
	if err != nil {
		return err
	}
	e.mu.Lock()
	a.proc = p
	a.endpoint, a.metricsAddr = "", ""
	e.mu.Unlock()
	return nil
}

// waitAgent waits until the agent has named its ports and its Lease names
// that endpoint, renewed after since: from then on the operator can find
// and dial it.
func (e *Env) waitAgent(ctx context.Context, a *agentProc, since time.Time) error {
	e.mu.Lock()
	p := a.proc
	e.mu.Unlock()
	fail := func(err error) error {
		return fmt.Errorf("agent on %s: %w\n---- %s ----\n%s", a.node, err, p.LogPath(), p.LogTail(logTailLines))
	}
	addrs, err := WaitAddresses(ctx, p, a.addrFile, e.opts.StartTimeout, "grpc", "metrics")
	if err != nil {
		return fail(err)
	}
	e.mu.Lock()
	a.endpoint, a.metricsAddr = addrs["grpc"], addrs["metrics"]
	e.mu.Unlock()
	if err := waitLease(ctx, e.kube, a.node, addrs["grpc"], since, p, e.opts.StartTimeout); err != nil {
		return fail(err)
	}
	return nil
}

func (e *Env) agent(node string) (*agentProc, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.agents[node]
	if !ok {
		return nil, fmt.Errorf("no agent for node %q", node)
	}
	return a, nil
}

// Agent returns node's current agent process, or nil if there is no such
// node. After StopAgent or KillAgent it is the exited process until
// StartAgent.
func (e *Env) Agent(node string) *localcluster.Process {
	a, err := e.agent(node)
	if err != nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return a.proc
}

// AgentEndpoint returns the host:port of node's agent gRPC server: that of
// the process StartAgent last started ("" while it starts; a restart binds
// a new port).
func (e *Env) AgentEndpoint(node string) string {
	a, err := e.agent(node)
	if err != nil {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return a.endpoint
}

// AgentMetricsURL returns the URL of node's agent /metrics, of the process
// StartAgent last started.
func (e *Env) AgentMetricsURL(node string) string {
	a, err := e.agent(node)
	if err != nil {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return httpURL(a.metricsAddr, "/metrics")
}

// StopAgent stops node's agent gracefully (SIGTERM: it releases its Lease).
func (e *Env) StopAgent(node string) error {
	a, err := e.agent(node)
	if err != nil {
		return nil //nolint:nilerr // nothing was started for an unknown node
	}
	e.mu.Lock()
	p := a.proc
	e.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Stop()
}

// KillAgent kills node's agent with SIGKILL, as a crash would: its Lease
// stays until it expires.
func (e *Env) KillAgent(node string) error {
	a, err := e.agent(node)
	if err != nil {
		return err
	}
	e.mu.Lock()
	p := a.proc
	e.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Kill()
}

// StartAgent starts node's agent again, with the same disks and
// certificate on new ports, and waits until it has renewed its Lease. It does nothing if
// the agent is running.
func (e *Env) StartAgent(ctx context.Context, node string) error {
	a, err := e.agent(node)
	if err != nil {
		return err
	}
	e.mu.Lock()
	running := a.proc != nil && !a.proc.Exited()
	e.mu.Unlock()
	if running {
		return nil
	}
	since := time.Now()
	if err := e.launchAgent(a); err != nil {
		return err
	}
	return e.waitAgent(ctx, a, since)
}

// agentPIDs returns the PID of each running agent, in node order.
func (e *Env) agentPIDs() ([]int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var pids []int
	for _, n := range e.opts.Nodes {
		a := e.agents[n]
		if a == nil || a.proc == nil || a.proc.Exited() {
			return nil, errors.New("agent on " + n + " is not running")
		}
		pids = append(pids, a.proc.PID())
	}
	return pids, nil
}
