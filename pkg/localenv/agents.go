package localenv

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// agentProc is one node's agent: its fixed configuration (ports and
// certificate stay across restarts, as a restarted pod keeps its IP) and
// the current process.
type agentProc struct {
	node        string
	grpcPort    int
	metricsPort int
	cfg         localcluster.ProcessConfig
	proc        *localcluster.Process
}

func (a *agentProc) endpoint() string { return hostPort(a.grpcPort) }

// newAgent prepares node's agent: ports, serving certificate, command line.
func (e *Env) newAgent(node string) (*agentProc, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	tlsFiles, err := e.pki.server("agent-" + node)
	if err != nil {
		return nil, err
	}
	a := &agentProc{node: node, grpcPort: ports[0], metricsPort: ports[1]}
	args := []string{
		"--node=" + node,
		"--namespace=" + SystemNamespace,
		"--kubeconfig=" + e.AgentKubeconfig(node),
		"--listen-address=" + a.endpoint(),
		"--advertise-address=" + a.endpoint(),
		"--metrics-address=" + hostPort(a.metricsPort),
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
	p, err := localcluster.StartProcess(a.cfg)
	if err != nil {
		return err
	}
	e.mu.Lock()
	a.proc = p
	e.mu.Unlock()
	return nil
}

// waitAgent waits until the agent's Lease names its endpoint and was renewed
// after since: from then on the operator can find and dial it.
func (e *Env) waitAgent(ctx context.Context, a *agentProc, since time.Time) error {
	if err := waitLease(ctx, e.kube, a.node, a.endpoint(), since, a.proc, e.opts.StartTimeout); err != nil {
		return fmt.Errorf("agent on %s: %w\n---- %s ----\n%s", a.node, err, a.proc.LogPath(), a.proc.LogTail(logTailLines))
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

// AgentEndpoint returns the host:port of node's agent gRPC server (the
// same across restarts).
func (e *Env) AgentEndpoint(node string) string {
	a, err := e.agent(node)
	if err != nil {
		return ""
	}
	return a.endpoint()
}

// AgentMetricsURL returns the URL of node's agent /metrics.
func (e *Env) AgentMetricsURL(node string) string {
	a, err := e.agent(node)
	if err != nil {
		return ""
	}
	return "http://" + hostPort(a.metricsPort) + "/metrics"
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

// StartAgent starts node's agent again, with the same ports, disks and
// certificate, and waits until it has renewed its Lease. It does nothing if
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
