// Package app is the diskpool-operator command: its flags and the wiring
// from them to the controller. main only parses and calls Run, so the
// wiring is tested like any other code.
package app

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	logsapi "k8s.io/component-base/logs/api/v1"
	// Registers --logging-format=json before the flags are added.
	_ "k8s.io/component-base/logs/json/register"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/agentwatch"
	"github.com/diskpool/diskpool-operator/pkg/controller"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
)

// Options are the operator's flags.
type Options struct {
	Kubeconfig string
	// Namespaces to watch for pool objects; empty watches all.
	Namespaces []string
	// OperatorNamespace holds the agent Leases and the leader-election
	// Lease.
	OperatorNamespace string
	// MayastorPools serves the legacy MayastorPool kind besides DiskPool.
	MayastorPools bool

	Workers      int
	KubeAPIQPS   float32
	KubeAPIBurst int
	BackoffBase  time.Duration
	BackoffMax   time.Duration
	Resync       time.Duration

	MetricsAddress string
	// Profiling serves net/http/pprof on the metrics listener.
	Profiling     bool
	HealthAddress string
	// AddressFile receives the bound addresses (pkg/addrfile).
	AddressFile string

	AgentTLSCertFile   string
	AgentTLSKeyFile    string
	AgentTLSCAFile     string
	AgentTLSServerName string
	AgentInsecure      bool
	AgentCallTimeout   time.Duration
	// AgentReconnectGrace and AgentHeartbeatInterval: agentwatch.Options'
	// ReconnectGrace and HeartbeatInterval (0 heartbeat: none).
	AgentReconnectGrace    time.Duration
	AgentHeartbeatInterval time.Duration
	// DiskInventoryInterval between two disk inventories of a node.
	DiskInventoryInterval time.Duration

	LeaderElect              bool
	LeaderElectLeaseDuration time.Duration
	LeaderElectRenewDeadline time.Duration
	LeaderElectRetryPeriod   time.Duration
	LeaderElectID            string

	// ShutdownTimeout bounds the graceful stop after SIGTERM.
	ShutdownTimeout time.Duration

	Version bool
	Logs    *logsapi.LoggingConfiguration
}

// NewOptions returns the defaults. The operator namespace defaults to
// $POD_NAMESPACE (the downward API) when set.
func NewOptions() *Options {
	ns := agentlease.DefaultNamespace
	if v := os.Getenv("POD_NAMESPACE"); v != "" {
		ns = v
	}
	return &Options{
		OperatorNamespace: ns,
		MayastorPools:     true,
		// A worker is busy for a create's CreatePool and status write in a
		// row. With 16, make bench's 1000-pool burst spent seconds queued
		// while the client's rate limiter never waited: 32 keep up with the
		// burst (docs/benchmarks.md); the agents serialise their own disk
		// work, so more only queue there.
		Workers: 32,
		// client-go's 5 QPS / 10 burst would cap the operator at about
		// 2.5 pool creations a second (two writes each). A local API
		// server takes ~650 status updates a second; 200/400 leaves
		// room for everyone else.
		KubeAPIQPS:               200,
		KubeAPIBurst:             400,
		BackoffBase:              controller.DefaultBackoffBase,
		BackoffMax:               controller.DefaultBackoffMax,
		Resync:                   10 * time.Hour,
		DiskInventoryInterval:    inventory.DefaultInterval,
		AgentReconnectGrace:      agentwatch.DefaultReconnectGrace,
		AgentHeartbeatInterval:   agentwatch.DefaultHeartbeatInterval,
		MetricsAddress:           ":8080",
		HealthAddress:            ":8081",
		LeaderElect:              true,
		LeaderElectLeaseDuration: 15 * time.Second,
		LeaderElectRenewDeadline: 10 * time.Second,
		LeaderElectRetryPeriod:   2 * time.Second,
		LeaderElectID:            "diskpool-operator",
		ShutdownTimeout:          30 * time.Second,
		Logs:                     logsapi.NewLoggingConfiguration(),
	}
}

// AddFlags registers the flags on fs, the logging flags included.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig. Empty: the in-cluster config, else $KUBECONFIG or ~/.kube/config.")
	fs.StringSliceVar(&o.Namespaces, "namespace", o.Namespaces, "Namespace to watch for pool objects (DiskPools, and MayastorPools with --mayastorpools); repeat the flag or give a comma-separated list. Empty: all namespaces.")
	fs.BoolVar(&o.MayastorPools, "mayastorpools", o.MayastorPools, "Also serve the legacy MayastorPool (openebs.io/v1alpha1, msp) kind, in the same namespaces. Set to false when its CRD is not installed.")
	fs.StringVar(&o.OperatorNamespace, "operator-namespace", o.OperatorNamespace, "Namespace of the agent Leases and the leader-election Lease; $POD_NAMESPACE when set.")
	fs.IntVar(&o.Workers, "workers", o.Workers, "Pool objects reconciled concurrently.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Sustained requests per second to the Kubernetes API server.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of requests to the Kubernetes API server.")
	fs.DurationVar(&o.BackoffBase, "backoff-base", o.BackoffBase, "First retry delay of a failing pool object; doubled on each failure.")
	fs.DurationVar(&o.BackoffMax, "backoff-max", o.BackoffMax, "Maximum retry delay of a failing pool object.")
	fs.DurationVar(&o.Resync, "resync", o.Resync, "Period of the informers' full resync, a safety net only: changes arrive by watch and agent streams. 0 disables it.")
	fs.StringVar(&o.MetricsAddress, "metrics-address", o.MetricsAddress, "Address of /metrics. Empty disables it.")
	fs.BoolVar(&o.Profiling, "profiling", o.Profiling, "Serve net/http/pprof under /debug/pprof/ on the metrics listener (heap and CPU profiles; off by default, like kube-controller-manager's).")
	fs.StringVar(&o.HealthAddress, "health-address", o.HealthAddress, "Address of /healthz and /readyz. Empty disables them.")
	fs.StringVar(&o.AddressFile, "address-file", o.AddressFile, "File the bound addresses are written to once the servers listen, one \"name host:port\" line each (metrics, health), replaced whole; for tests that pass port 0. Empty: none.")
	fs.StringVar(&o.AgentTLSCertFile, "agent-tls-cert-file", o.AgentTLSCertFile, "Client certificate (PEM) the operator presents to agents.")
	fs.StringVar(&o.AgentTLSKeyFile, "agent-tls-key-file", o.AgentTLSKeyFile, "Key (PEM) of --agent-tls-cert-file.")
	fs.StringVar(&o.AgentTLSCAFile, "agent-tls-ca-file", o.AgentTLSCAFile, "CA certificates (PEM) that sign the agents' serving certificates.")
	fs.StringVar(&o.AgentTLSServerName, "agent-tls-server-name", o.AgentTLSServerName, "Name to verify in agents' certificates (agents are dialled by the address in their Lease). Empty: that address.")
	fs.BoolVar(&o.AgentInsecure, "agent-insecure", o.AgentInsecure, "Talk to agents without TLS (tests and trusted networks only).")
	fs.DurationVar(&o.DiskInventoryInterval, "disk-inventory-interval", o.DiskInventoryInterval, "How often each node's disks are listed (read-only) for its disk inventory and orphan report; a ConfigMap is written only when the report changes.")
	fs.DurationVar(&o.AgentCallTimeout, "agent-call-timeout", o.AgentCallTimeout, "Timeout of one CreatePool or DestroyPool call. 0: the client's default (30s).")
	fs.DurationVar(&o.AgentReconnectGrace, "agent-reconnect-grace", o.AgentReconnectGrace, "How long a node's agent whose pool stream broke (or is being opened) may take to answer again before the node's created pools are reported Offline. An agent back within it costs no status write.")
	fs.DurationVar(&o.AgentHeartbeatInterval, "agent-heartbeat-interval", o.AgentHeartbeatInterval, "Heartbeat asked of each agent's pool stream after that much silence (at least 500ms, the agent's minimum); three intervals without a message report the agent unreachable at once (a frozen agent, a silent node). 0: none, and only gRPC keepalive notices a silent node (over 40 s).")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Elect a leader through a Lease, so only one replica reconciles.")
	fs.DurationVar(&o.LeaderElectLeaseDuration, "leader-elect-lease-duration", o.LeaderElectLeaseDuration, "How long standbys wait before taking over a Lease that is not renewed (a leader that stops cleanly releases it at once).")
	fs.DurationVar(&o.LeaderElectRenewDeadline, "leader-elect-renew-deadline", o.LeaderElectRenewDeadline, "How long the leader keeps trying to renew before it stops leading.")
	fs.DurationVar(&o.LeaderElectRetryPeriod, "leader-elect-retry-period", o.LeaderElectRetryPeriod, "Interval between attempts to acquire or renew the Lease.")
	fs.StringVar(&o.LeaderElectID, "leader-elect-id", o.LeaderElectID, "Name of the leader-election Lease in --operator-namespace.")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "Bound on the graceful stop after SIGTERM.")
	fs.BoolVar(&o.Version, "version", o.Version, "Print the version and exit.")
	logsapi.AddFlags(o.Logs, fs)
}

// Complete normalises what the flags left loose.
func (o *Options) Complete() {
	var ns []string
	for _, n := range o.Namespaces {
		if n = strings.TrimSpace(n); n != "" {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	o.Namespaces = slices.Compact(ns)
}

// Validate reports every invalid option.
func (o *Options) Validate() error {
	var errs []error
	for _, n := range append(slices.Clone(o.Namespaces), o.OperatorNamespace) {
		if msgs := validation.IsDNS1123Label(n); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("namespace %q: %s", n, strings.Join(msgs, "; ")))
		}
	}
	if o.Workers < 1 {
		errs = append(errs, errors.New("--workers must be at least 1"))
	}
	if o.KubeAPIQPS <= 0 || o.KubeAPIBurst < 1 {
		errs = append(errs, errors.New("--kube-api-qps must be positive and --kube-api-burst at least 1"))
	}
	if o.BackoffBase <= 0 || o.BackoffMax < o.BackoffBase {
		errs = append(errs, errors.New("need 0 < --backoff-base <= --backoff-max"))
	}
	if o.DiskInventoryInterval <= 0 {
		errs = append(errs, errors.New("--disk-inventory-interval must be positive"))
	}
	if o.AgentReconnectGrace <= 0 || o.AgentHeartbeatInterval < 0 {
		errs = append(errs, errors.New("--agent-reconnect-grace must be positive and --agent-heartbeat-interval not negative"))
	}
	if o.Resync < 0 {
		errs = append(errs, errors.New("--resync must not be negative"))
	}
	tlsFiles := []string{o.AgentTLSCertFile, o.AgentTLSKeyFile, o.AgentTLSCAFile}
	someTLS := slices.ContainsFunc(tlsFiles, func(s string) bool { return s != "" })
	allTLS := !slices.Contains(tlsFiles, "")
	switch {
	case o.AgentInsecure && someTLS:
		errs = append(errs, errors.New("--agent-insecure excludes the --agent-tls-* files"))
	case !o.AgentInsecure && !allTLS:
		errs = append(errs, errors.New("agents need mutual TLS: set --agent-tls-cert-file, --agent-tls-key-file and --agent-tls-ca-file (or --agent-insecure for tests)"))
	}
	if o.LeaderElect {
		if o.LeaderElectRetryPeriod <= 0 || o.LeaderElectRenewDeadline <= o.LeaderElectRetryPeriod || o.LeaderElectLeaseDuration <= o.LeaderElectRenewDeadline {
			errs = append(errs, errors.New("leader election needs 0 < retry period < renew deadline < lease duration"))
		}
		if msgs := validation.IsDNS1123Subdomain(o.LeaderElectID); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--leader-elect-id %q: %s", o.LeaderElectID, strings.Join(msgs, "; ")))
		}
		// The agents' admission policy lets each write the Lease of its
		// node, named with this prefix: the leader Lease must be no such name.
		if strings.HasPrefix(o.LeaderElectID, agentlease.NamePrefix) {
			errs = append(errs, fmt.Errorf("--leader-elect-id %q: names starting with %q are agent Leases", o.LeaderElectID, agentlease.NamePrefix))
		}
	}
	if o.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	return errors.Join(errs...)
}
