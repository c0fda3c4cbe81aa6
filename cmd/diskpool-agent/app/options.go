// Package app runs the diskpool-agent: flags, wiring and lifecycle. main
// only parses flags, builds the Kubernetes client and calls Run, so tests
// run the real agent in-process.
package app

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/agent"
	"github.com/diskpool/diskpool-operator/pkg/agent/transport"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
)

// Defaults of the flags.
const (
	DefaultListenAddress   = ":10124"
	DefaultMetricsAddress  = ":10125"
	DefaultDeviceDir       = "/dev"
	DefaultStateDir        = "/var/lib/diskpool-agent"
	DefaultShutdownTimeout = 10 * time.Second
)

// Options are the agent's flags.
type Options struct {
	Node              string
	ListenAddress     string
	AdvertiseAddress  string
	AllowedDeviceDirs []string
	Disks             []string
	StateDir          string

	Namespace          string
	Kubeconfig         string
	NoLease            bool
	LeaseDuration      time.Duration
	LeaseRenewInterval time.Duration

	TLS      transport.TLSFiles
	Insecure bool

	MetricsAddress  string
	AddressFile     string
	HealthInterval  time.Duration
	FaultThreshold  int
	ShutdownTimeout time.Duration
}

// NewOptions returns Options with defaults.
func NewOptions() *Options {
	return &Options{
		ListenAddress:      DefaultListenAddress,
		StateDir:           DefaultStateDir,
		Namespace:          agentlease.DefaultNamespace,
		LeaseDuration:      agentlease.DefaultLeaseDuration,
		LeaseRenewInterval: agentlease.DefaultRenewInterval,
		MetricsAddress:     DefaultMetricsAddress,
		HealthInterval:     agent.DefaultHealthInterval,
		FaultThreshold:     agent.DefaultFaultThreshold,
		ShutdownTimeout:    DefaultShutdownTimeout,
	}
}

// AddFlags registers the flags on fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Node, "node", o.Node, "Name of the Kubernetes node this agent serves (required; in a DaemonSet, spec.nodeName).")
	fs.StringVar(&o.ListenAddress, "listen-address", o.ListenAddress, "host:port the gRPC PoolService listens on; the bound address is logged.")
	fs.StringVar(&o.AdvertiseAddress, "advertise-address", o.AdvertiseAddress, "host[:port] published in the Lease for the operator to dial (default: the listen address; required when listening on all interfaces). Without a port, the bound port is used.")
	fs.Var((*stringList)(&o.AllowedDeviceDirs), "allowed-device-dir", "Directory disks must resolve under (repeatable; default "+DefaultDeviceDir+"). Nothing outside is ever opened.")
	fs.Var((*stringList)(&o.Disks), "disk", "Disk path or glob scanned for pool labels at start (repeatable), besides the disks recorded in --state-dir.")
	fs.StringVar(&o.StateDir, "state-dir", o.StateDir, "Directory for the list of known pool disks (a hint; labels on the disks are the truth). Empty disables it.")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "Namespace of the agent Lease.")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Kubeconfig for the Lease; empty means in-cluster configuration.")
	fs.BoolVar(&o.NoLease, "no-lease", o.NoLease, "Run without a Lease (local use: the operator cannot discover this agent).")
	fs.DurationVar(&o.LeaseDuration, "lease-duration", o.LeaseDuration, "How long the Lease stays live after a renewal.")
	fs.DurationVar(&o.LeaseRenewInterval, "lease-renew-interval", o.LeaseRenewInterval, "How often the Lease is renewed.")
	fs.StringVar(&o.TLS.CertFile, "tls-cert-file", o.TLS.CertFile, "PEM server certificate for mTLS.")
	fs.StringVar(&o.TLS.KeyFile, "tls-key-file", o.TLS.KeyFile, "PEM server key for mTLS.")
	fs.StringVar(&o.TLS.ClientCAFile, "tls-client-ca-file", o.TLS.ClientCAFile, "PEM CA bundle client certificates must chain to.")
	fs.BoolVar(&o.Insecure, "insecure", o.Insecure, "Serve plaintext gRPC without TLS (local use only).")
	fs.StringVar(&o.MetricsAddress, "metrics-address", o.MetricsAddress, "host:port for /metrics and /healthz; empty disables.")
	fs.StringVar(&o.AddressFile, "address-file", o.AddressFile, "File the bound addresses are written to once both servers listen, one \"name host:port\" line each (grpc, metrics), replaced whole; for tests that pass port 0. Empty: none.")
	fs.DurationVar(&o.HealthInterval, "disk-check-interval", o.HealthInterval, "How often the pool disks are checked.")
	fs.IntVar(&o.FaultThreshold, "disk-fault-threshold", o.FaultThreshold, "Consecutive failed disk checks that make a pool Faulted (fewer make it Degraded).")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "How long a graceful shutdown waits for in-flight calls.")
}

// Complete fills defaults that depend on other flags.
func (o *Options) Complete() {
	if len(o.AllowedDeviceDirs) == 0 {
		o.AllowedDeviceDirs = []string{DefaultDeviceDir}
	}
}

// Validate checks the options; it does not touch the system.
func (o *Options) Validate() error {
	var errs []error
	if o.Node == "" {
		errs = append(errs, errors.New("--node is required"))
	}
	switch {
	case o.Insecure && o.TLS.Any():
		errs = append(errs, errors.New("--insecure and --tls-* flags are exclusive"))
	case !o.Insecure && !o.TLS.Complete():
		errs = append(errs, errors.New("set --tls-cert-file, --tls-key-file and --tls-client-ca-file for mTLS, or --insecure for plaintext (local use only)"))
	}
	if _, _, err := net.SplitHostPort(o.ListenAddress); err != nil {
		errs = append(errs, fmt.Errorf("--listen-address %q: %w", o.ListenAddress, err))
	}
	if !o.NoLease {
		if o.LeaseRenewInterval <= 0 || o.LeaseRenewInterval >= o.LeaseDuration || o.LeaseDuration < time.Second {
			errs = append(errs, fmt.Errorf("--lease-renew-interval %v must be positive and shorter than --lease-duration %v (at least 1s)", o.LeaseRenewInterval, o.LeaseDuration))
		}
		if o.AdvertiseAddress == "" && unspecifiedHost(o.ListenAddress) {
			errs = append(errs, fmt.Errorf("--advertise-address is required when --listen-address %q listens on all interfaces (in a DaemonSet: the pod IP)", o.ListenAddress))
		}
		if o.Namespace == "" {
			errs = append(errs, errors.New("--namespace is empty"))
		}
	}
	if o.HealthInterval <= 0 || o.FaultThreshold <= 0 || o.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--disk-check-interval, --disk-fault-threshold and --shutdown-timeout must be positive"))
	}
	return errors.Join(errs...)
}

// endpoint returns the address published in the Lease for a server bound
// to bound.
func (o *Options) endpoint(bound net.Addr) string {
	_, port, _ := net.SplitHostPort(bound.String())
	adv := o.AdvertiseAddress
	if adv == "" {
		return bound.String()
	}
	if _, _, err := net.SplitHostPort(adv); err != nil {
		return net.JoinHostPort(strings.Trim(adv, "[]"), port)
	}
	return adv
}

func unspecifiedHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
