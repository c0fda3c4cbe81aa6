package nodecluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// Process names, also the keys of Cluster.procs.
const (
	procControllerManager = "kube-controller-manager"
	procScheduler         = "kube-scheduler"
	procContainerd        = "containerd"
	procKubelet           = "kubelet"
	procKubeProxy         = "kube-proxy"
)

// stopOrder stops the node before the control plane, the kubelet before
// the runtime it talks to.
var stopOrder = []string{procKubeProxy, procKubelet, procContainerd, procScheduler, procControllerManager}

func (c *Cluster) startControllerManager(ctx context.Context) error {
	files := c.control.PKIFiles()
	port := c.ports.controllerManager.Port()
	return c.startComponent(ctx, procControllerManager, c.bins.ControllerManager, []string{
		"--kubeconfig=" + c.control.KubeconfigPath(),
		"--authentication-kubeconfig=" + c.control.KubeconfigPath(),
		"--authorization-kubeconfig=" + c.control.KubeconfigPath(),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--permit-port-sharing=true", // the held port (heldPorts)
		"--cert-dir=" + filepath.Join(c.dirs.root, "kcm-certs"),
		// Published as the kube-root-ca.crt ConfigMap every pod's service
		// account volume mounts.
		"--root-ca-file=" + files.CACert,
		"--service-account-private-key-file=" + files.ServiceAccountKey,
		"--use-service-account-credentials=true",
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--leader-elect=false",
		"--controllers=*",
	}, "https://127.0.0.1:"+strconv.Itoa(port)+"/healthz")
}

func (c *Cluster) startScheduler(ctx context.Context) error {
	port := c.ports.scheduler.Port()
	return c.startComponent(ctx, procScheduler, c.bins.Scheduler, []string{
		"--kubeconfig=" + c.control.KubeconfigPath(),
		"--authentication-kubeconfig=" + c.control.KubeconfigPath(),
		"--authorization-kubeconfig=" + c.control.KubeconfigPath(),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--permit-port-sharing=true", // the held port (heldPorts)
		"--cert-dir=" + filepath.Join(c.dirs.root, "scheduler-certs"),
		"--leader-elect=false",
	}, "https://127.0.0.1:"+strconv.Itoa(port)+"/healthz")
}

func (c *Cluster) startKubeProxy(ctx context.Context) error {
	cfg := filepath.Join(c.dirs.root, "kube-proxy.yaml")
	if err := os.WriteFile(cfg, []byte(kubeProxyConfig(c.control.KubeconfigPath(), c.opts.NodeName)), 0o644); err != nil {
		return err
	}
	return c.startComponent(ctx, procKubeProxy, c.bins.KubeProxy, []string{"--config=" + cfg},
		"http://"+net.JoinHostPort(NodeIP, strconv.Itoa(proxyHealthzPort))+"/healthz")
}

// kubeProxyConfig: iptables mode, servers on the node address, no sysctl
// it could leave changed (conntrack sizing, localhost node ports).
func kubeProxyConfig(kubeconfig, node string) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: %q
hostnameOverride: %q
bindAddress: 127.0.0.1
healthzBindAddress: %s:%d
metricsBindAddress: %s:%d
clusterCIDR: %q
nodePortAddresses: ["%s/32"]
iptables:
  localhostNodePorts: false
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, kubeconfig, node, NodeIP, proxyHealthzPort, NodeIP, proxyMetricsPort, PodCIDR, NodeIP)
}

// startComponent starts a process and waits until healthURL answers 200.
func (c *Cluster) startComponent(ctx context.Context, name, path string, args []string, healthURL string) error {
	p, err := localcluster.StartProcess(localcluster.ProcessConfig{
		Name:          name,
		Path:          path,
		Args:          args,
		LogPath:       filepath.Join(c.dirs.logs, name+".log"),
		SurviveParent: c.opts.SurviveParent,
	})
	if err != nil {
		return err
	}
	c.setProc(name, p)
	return waitFor(ctx, p, c.opts.StartTimeout, func(ctx context.Context) error { return httpOK(ctx, healthURL) })
}

// healthClient reads the components' /healthz: their serving certificates
// are self-signed, and /healthz carries nothing secret.
var healthClient = &http.Client{
	Timeout: 5 * time.Second,
	Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // health checks of self-signed local servers
		DisableKeepAlives: true,
	},
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := healthClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return nil
}

// waitFor polls check every 200ms until it succeeds, p exits, or timeout.
func waitFor(ctx context.Context, p *localcluster.Process, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%s exited before it was ready (last check: %w); log tail:\n%s", p.Name(), last, p.LogTail(30))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w; log tail:\n%s", p.Name(), timeout, last, p.LogTail(30))
		case <-tick.C:
		}
	}
}
