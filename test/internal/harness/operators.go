package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/addrfile"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

// OperatorArgs are the flags of an operator a suite starts itself, as
// localenv starts its own: e's kubeconfig and agent mTLS identity, both
// servers on port 0 named in addrFile, leader election under leaderID,
// watching namespace ns.
func OperatorArgs(e *localenv.Env, ns, leaderID, addrFile string) []string {
	tls := e.OperatorTLS()
	return []string{
		"--kubeconfig=" + e.OperatorKubeconfig(),
		"--operator-namespace=" + localenv.SystemNamespace,
		"--namespace=" + ns,
		"--metrics-address=127.0.0.1:0",
		"--health-address=127.0.0.1:0",
		"--address-file=" + addrFile,
		"--agent-tls-cert-file=" + tls.CertFile,
		"--agent-tls-key-file=" + tls.KeyFile,
		"--agent-tls-ca-file=" + tls.CAFile,
		"--agent-tls-server-name=" + localenv.AgentTLSServerName,
		"--leader-elect=true",
		"--leader-elect-id=" + leaderID,
	}
}

// OperatorSpec is an operator process a suite starts itself.
type OperatorSpec struct {
	// NS is the namespace it watches; LeaderID its leader election id.
	NS, LeaderID string
	// Index numbers the suite's operators of NS, in the process name and
	// the log file name.
	Index int
	// AddrFile is where it names its ports.
	AddrFile string
	// Args come after OperatorArgs; Env after POD_NAMESPACE.
	Args, Env   []string
	StopTimeout time.Duration
}

// Process is the process config of s in e, its log beside e's logs.
func (s OperatorSpec) Process(e *localenv.Env) localcluster.ProcessConfig {
	return localcluster.ProcessConfig{
		Name:        fmt.Sprintf("operator %s #%d", s.NS, s.Index),
		Path:        e.OperatorBinary(),
		Args:        append(OperatorArgs(e, s.NS, s.LeaderID, s.AddrFile), s.Args...),
		Env:         append([]string{"POD_NAMESPACE=" + localenv.SystemNamespace}, s.Env...),
		LogPath:     filepath.Join(e.LogDir(), fmt.Sprintf("%s.operator-%d.log", s.NS, s.Index)),
		StopTimeout: s.StopTimeout,
	}
}

// Operator is an operator process a suite started itself, found through
// the ports it names in its address file.
type Operator struct {
	Process *localcluster.Process
	// Config started Process; a supervisor starts it again.
	Config localcluster.ProcessConfig
	// AddrFile is where each of its processes names its ports (a
	// restart binds new ones).
	AddrFile string
}

// StartOperator starts s in e.
func StartOperator(e *localenv.Env, s OperatorSpec) (*Operator, error) {
	cfg := s.Process(e)
	p, err := localcluster.StartProcess(cfg)
	if err != nil {
		return nil, err
	}
	return &Operator{Process: p, Config: cfg, AddrFile: s.AddrFile}, nil
}

// URL is http://<address of server>path of the operator's current
// process, or "" while it has not named its ports.
func (o *Operator) URL(server, path string) string {
	addrs, err := addrfile.Read(o.AddrFile)
	if err != nil || addrs[server] == "" {
		return ""
	}
	return "http://" + addrs[server] + path
}

// Scrape scrapes the current process's /metrics, bounded by
// metrics.Timeout (a stopped process never answers).
func (o *Operator) Scrape(ctx context.Context) (metrics.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, metrics.Timeout)
	defer cancel()
	return metrics.Scrape(ctx, o.URL("metrics", "/metrics"))
}

// Leading reports whether the operator says it leads (diskpool_leader).
func (o *Operator) Leading(ctx context.Context) bool {
	m, err := o.Scrape(ctx)
	return err == nil && m.Sum("diskpool_leader") == 1
}

// Ready reports whether /readyz answers 200 within metrics.Timeout.
func (o *Operator) Ready(ctx context.Context) bool {
	u := o.URL("health", "/readyz")
	if u == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, metrics.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
