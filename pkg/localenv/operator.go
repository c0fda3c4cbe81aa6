package localenv

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// operatorProc is the operator: fixed ports and command line, current
// process.
type operatorProc struct {
	metricsPort int
	healthPort  int
	cfg         localcluster.ProcessConfig
	proc        *localcluster.Process
}

func (e *Env) newOperator() (*operatorProc, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	o := &operatorProc{metricsPort: ports[0], healthPort: ports[1]}
	args := []string{
		"--kubeconfig=" + e.operatorKubeconfig,
		"--operator-namespace=" + SystemNamespace,
		"--metrics-address=" + hostPort(o.metricsPort),
		"--health-address=" + hostPort(o.healthPort),
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
	return o, nil
}

// StartOperator starts the operator (again, after StopOperator or
// KillOperator, with the same ports and flags) and waits until its /readyz
// answers 200. It does nothing if the operator is running.
func (e *Env) StartOperator(ctx context.Context) error {
	e.mu.Lock()
	o := e.operator
	e.mu.Unlock()
	if o == nil {
		var err error
		if o, err = e.newOperator(); err != nil {
			return err
		}
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
	p, err := localcluster.StartProcess(o.cfg)
	if err != nil {
		return err
	}
	e.mu.Lock()
	o.proc = p
	e.mu.Unlock()
	url := "http://" + hostPort(o.healthPort) + "/readyz"
	if err := waitHTTP200(ctx, url, p, e.opts.StartTimeout); err != nil {
		return fmt.Errorf("operator: %w\n---- %s ----\n%s", err, p.LogPath(), p.LogTail(logTailLines))
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

// OperatorMetricsURL returns the URL of the operator's /metrics ("" before
// the operator was first started).
func (e *Env) OperatorMetricsURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.operator == nil {
		return ""
	}
	return "http://" + hostPort(e.operator.metricsPort) + "/metrics"
}

// OperatorHealthURL returns the base URL of the operator's /healthz and
// /readyz.
func (e *Env) OperatorHealthURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.operator == nil {
		return ""
	}
	return "http://" + hostPort(e.operator.healthPort)
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
