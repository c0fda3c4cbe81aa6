package localenv

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// Defaults of Options.
const (
	// SystemNamespace holds the operator's and the agents' ServiceAccounts,
	// the agents' Leases and the leader-election Lease (manifests/base).
	SystemNamespace = "diskpool-system"
	// OperatorServiceAccount and AgentServiceAccount are the identities of
	// the two processes, bound by the RBAC in manifests/base.
	OperatorServiceAccount = "diskpool-operator"
	AgentServiceAccount    = "diskpool-agent"
	// AgentTLSServerName is the name in every agent's serving certificate
	// that the operator checks (the shipped manifests dial agents by IP and
	// check this name; see manifests/components/tls-secret).
	AgentTLSServerName  = "diskpool-agent"
	DefaultDisksPerNode = 4
	DefaultDiskSize     = 1 << 30
	// DefaultStartTimeout bounds each wait of Start: the control plane, an
	// agent's first Lease renewal, the operator's /readyz.
	DefaultStartTimeout = 60 * time.Second
	// DefaultStopTimeout is the grace period of each process after SIGTERM.
	DefaultStopTimeout = 10 * time.Second
)

// DefaultNodes are the simulated nodes when Options.Nodes is empty.
var DefaultNodes = []string{"node-a", "node-b"}

// Options configure Start. The zero value starts two nodes with four 1 GiB
// disks each, fsync on, the operator watching every namespace.
type Options struct {
	// WorkDir holds the control plane's data, certificates, kubeconfigs and
	// every process log. Empty means a new temporary directory, removed by
	// Stop unless KeepWorkDir is set. A given WorkDir is never removed by
	// Stop (cmd/diskpool-localenv down removes it itself).
	WorkDir     string
	KeepWorkDir bool
	// DiskRoot holds each node's disks, <DiskRoot>/<node>/disk-<i>. Empty
	// means <WorkDir>/disks. Stop removes the node directories it created
	// (and DiskRoot when it created it and it is then empty) unless
	// KeepDisks is set.
	DiskRoot  string
	KeepDisks bool
	// Nodes are the simulated nodes: a Node object, a disk directory and an
	// agent each. Empty means DefaultNodes.
	Nodes []string
	// DisksPerNode sparse files of DiskSize bytes are created per node.
	DisksPerNode int
	DiskSize     int64
	// Namespaces are the namespaces the operator watches for pools; Start
	// creates them. Empty means every namespace.
	Namespaces []string

	// UnsafeNoFsync runs etcd without fsync: for tests only.
	UnsafeNoFsync bool
	// SurviveParent lets every process outlive the one that started it
	// (`make up`). Without it, the kernel kills them when it dies.
	SurviveParent bool
	// ControlPlane overrides the control plane options; WorkDir,
	// UnsafeNoFsync and SurviveParent above take precedence.
	ControlPlane localcluster.Options

	// BinDir receives the operator and agent binaries. Empty means
	// <repo>/_output/bin, plus a sub-directory named after BuildTags when
	// set, so a tagged build never replaces the plain one.
	BinDir string
	// BuildTags and BuildFlags are passed to go build for both binaries
	// (e.g. BuildTags: []string{"faultinject"}, BuildFlags: []string{"-race"}).
	BuildTags  []string
	BuildFlags []string
	// OperatorBinary and AgentBinary, when set, are used as they are and
	// nothing is built.
	OperatorBinary string
	AgentBinary    string

	// AgentLeaseDuration and AgentRenewInterval, when set, are passed to
	// every agent (--lease-duration, --lease-renew-interval); zero keeps the
	// agent's defaults (agentlease.DefaultLeaseDuration, 40 s).
	AgentLeaseDuration time.Duration
	AgentRenewInterval time.Duration
	// AgentArgs and AgentEnv are added to every agent's command line and
	// environment; later flags override earlier ones.
	AgentArgs []string
	AgentEnv  []string
	// OperatorArgs and OperatorEnv are added to the operator's command line
	// and environment (a fault-injection build takes its faults from there).
	OperatorArgs []string
	OperatorEnv  []string
	// NoOperator starts everything but the operator; StartOperator starts it
	// later.
	NoOperator bool
	// NoFinalizerPolicy leaves out manifests/base/finalizer-policy.yaml: a
	// cluster without the admission policy, where the operator adds the
	// finalizer itself (the fault suite's crash points are on that path).
	NoFinalizerPolicy bool
	// NoAgents creates the nodes and their disks but starts no agent
	// processes: the caller serves the nodes itself (the benchmark's fleet,
	// many nodes in one process, with AgentServerTLS and AgentKubeconfig).
	NoAgents bool

	// StartTimeout bounds each wait of Start; StopTimeout is each process's
	// grace period after SIGTERM.
	StartTimeout time.Duration
	StopTimeout  time.Duration
	// Progress, when set, receives one line per step of Start and Stop
	// (building, starting, ready), for a human watching `make run`.
	Progress io.Writer
}

func (o *Options) setDefaults() {
	if len(o.Nodes) == 0 {
		o.Nodes = append([]string(nil), DefaultNodes...)
	}
	if o.DisksPerNode == 0 {
		o.DisksPerNode = DefaultDisksPerNode
	}
	if o.DiskSize == 0 {
		o.DiskSize = DefaultDiskSize
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
}

func (o *Options) validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, n := range o.Nodes {
		if n == "" || n == "." || n == ".." || containsSlash(n) {
			errs = append(errs, fmt.Errorf("node name %q is not usable as a directory name", n))
		}
		if seen[n] {
			errs = append(errs, fmt.Errorf("node %q listed twice", n))
		}
		seen[n] = true
	}
	if o.DisksPerNode < 0 {
		errs = append(errs, errors.New("DisksPerNode must not be negative"))
	}
	if o.DiskSize < 0 {
		errs = append(errs, errors.New("DiskSize must not be negative"))
	}
	if o.AgentLeaseDuration > 0 && o.AgentRenewInterval >= o.AgentLeaseDuration {
		errs = append(errs, errors.New("AgentRenewInterval must be shorter than AgentLeaseDuration"))
	}
	return errors.Join(errs...)
}

func containsSlash(s string) bool {
	for _, r := range s {
		if r == '/' || r == 0 {
			return true
		}
	}
	return false
}
