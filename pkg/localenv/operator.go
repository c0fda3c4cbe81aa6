package localenv

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// operatorProc is the operator: its command line and the current process,
// which binds port 0 for both servers and names them in addrFile.
type operatorProc struct {
	addrFile string
	cfg      localcluster.ProcessConfig
	proc     *localcluster.Process
	// metricsAddr and healthAddr are the current process's, from addrFile.
	metricsAddr, healthAddr string
}

func (e *Env) newOperator() *operatorProc {
	o := &operatorProc{addrFile: filepath.Join(e.workDir, "operator.addr")}
	args := []string{
		"--kubeconfig=" + e.operatorKubeconfig,
		"--operator-namespace=" + SystemNamespace,
		"--metrics-address=" + localAddr,
		"--health-address=" + localAddr,
		"--address-file=" + o.addrFile,
		"--agent-tls-cert-file=" + e.operatorTLS.CertFile,
		"--agent-tls-key-file=" + e.operatorTLS.KeyFile,
		"--agent-tls-ca-file=" + e.operatorTLS.CAFile,
		"--agent-tls-server-name=" + AgentTLSServerName,
		"--leader-elect=true",
	}
	if len(e.opts.Namespaces) > 0 {
		args = append(args, "--namespace="+strings.Join(e.opts.Namespaces, ","))
	}
	args = append(args, e.opts.OperatorArgs...)
	env := append([]string{"POD_NAMESPACE=" + SystemNamespace}, e.opts.OperatorEnv...)
	o.cfg = localcluster.ProcessConfig{
		Name:          "diskpool-operator",
		Path:          e.operatorBinary,
		Args:          args,
		Env:           env,
		LogPath:       filepath.Join(e.logDir(), "operator.log"),
		StopTimeout:   e.opts.StopTimeout,
		SurviveParent: e.opts.SurviveParent,
	}
	return o
}

// StartOperator starts the operator (again, after StopOperator or
// KillOperator, with the same flags, on new ports) and waits until its /readyz
// answers 200. It does nothing if the operator is running.
func (e *Env) StartOperator(ctx context.Context) error {
	e.mu.Lock()
	o := e.operator
	e.mu.Unlock()
	if o == nil {
		o = e.newOperator()
		e.mu.Lock()
		e.operator = o
		e.mu.Unlock()
	}
	e.mu.Lock()
	running := o.proc != nil && !o.proc.Exited()
	e.mu.Unlock()
	if running {
		return nil
	}
	began := time.Now()
	if err := removeStale(o.addrFile); err != nil {
		return err
	}
	p, err := localcluster.StartProcess(o.cfg)
	if err != nil {
		return err
	}
	e.mu.Lock()
	o.proc = p
	o.metricsAddr, o.healthAddr = "", ""
	e.mu.Unlock()
	fail := func(err error) error {
		return fmt.Errorf("operator: %w\n---- %s ----\n%s", err, p.LogPath(), p.LogTail(logTailLines))
	}
	addrs, err := WaitAddresses(ctx, p, o.addrFile, e.opts.StartTimeout, "metrics", "health")
	if err != nil {
		return fail(err)
	}
	e.mu.Lock()
	o.metricsAddr, o.healthAddr = addrs["metrics"], addrs["health"]
	e.mu.Unlock()
	if err := waitHTTP200(ctx, httpURL(addrs["health"], "/readyz"), p, e.opts.StartTimeout); err != nil {
		return fail(err)
	}
	e.progressf("Operator ready in %s", time.Since(began).Round(10*time.Millisecond))
	return nil
}

func (e *Env) operatorProcess() *localcluster.Process {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.operator == nil {
		return nil
	}
	return e.operator.proc
}

// Operator returns the current operator process (nil before it started;
// the exited process after StopOperator or KillOperator).
func (e *Env) Operator() *localcluster.Process { return e.operatorProcess() }

// StopOperator stops the operator gracefully (SIGTERM: it releases its
// leader Lease).
func (e *Env) StopOperator() error {
	if p := e.operatorProcess(); p != nil {
		return p.Stop()
	}
	return nil
}

// KillOperator kills the operator with SIGKILL, as a crash would.
func (e *Env) KillOperator() error {
	if p := e.operatorProcess(); p != nil {
		return p.Kill()
	}
	return nil
}

// OperatorMetricsURL returns the URL of the operator's /metrics, of the
// process StartOperator last started ("" before that).
func (e *Env) OperatorMetricsURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.operator == nil {
		return ""
	}
	return httpURL(e.operator.metricsAddr, "/metrics")
}

// OperatorHealthURL returns the base URL of the operator's /healthz and
// /readyz, of the process StartOperator last started.
func (e *Env) OperatorHealthURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.operator == nil {
		return ""
	}
	return httpURL(e.operator.healthAddr, "")
}

// OperatorKubeconfig returns the kubeconfig of the diskpool-operator
// ServiceAccount.
func (e *Env) OperatorKubeconfig() string { return e.operatorKubeconfig }

// AgentKubeconfig returns the kubeconfig node's agent runs with: the
// diskpool-agent ServiceAccount, with a token bound to the Pod object
// AgentPod(node) on node.
func (e *Env) AgentKubeconfig(node string) string {
	return filepath.Join(e.workDir, "diskpool-agent-"+node+".kubeconfig")
}

// AgentPod returns the name of the Pod object (in SystemNamespace, on node,
// never run) that node's agent token is bound to.
func (e *Env) AgentPod(node string) string { return agentPodName(node) }

func agentPodName(node string) string { return AgentServiceAccount + "-" + node }
