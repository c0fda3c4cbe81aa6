package nodecluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// CgroupRoot is the cgroup under which the kubelet puts every pod, so Stop
// can remove them all (cgroups v1: in each hierarchy).
const CgroupRoot = "/diskpool-node"

// kubeletConfig: cgroupfs on cgroups v1 (refused since v1.35 unless
// failCgroupV1 is false), servers on the node address, no
// eviction or image garbage collection that could remove the imported
// images, pod logs under the work directory, and the kernel settings it
// would change left alone where a field allows it.
func kubeletConfig(d dirs, caFile string) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %q
port: %d
readOnlyPort: 0
healthzBindAddress: %q
healthzPort: %d
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %q
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupRoot: %q
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: %q
podLogsDir: %q
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%%"
  imagefs.available: "1%%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
resolvConf: /etc/resolv.conf
hairpinMode: hairpin-veth
makeIPTablesUtilChains: false
`, NodeIP, kubeletPort, NodeIP, kubeletHealthzPort, caFile, CgroupRoot, "unix://"+d.containerdSocket, d.podLogs)
}

func (c *Cluster) startKubelet(ctx context.Context) error {
	cfg := filepath.Join(c.dirs.root, "kubelet.yaml")
	if err := os.WriteFile(cfg, []byte(kubeletConfig(c.dirs, c.control.PKIFiles().CACert)), 0o644); err != nil {
		return err
	}
	if err := createCgroupRoot(); err != nil {
		return err
	}
	return c.startComponent(ctx, procKubelet, c.bins.Kubelet, []string{
		"--config=" + cfg,
		"--kubeconfig=" + c.control.KubeconfigPath(),
		"--root-dir=" + c.dirs.kubelet,
		"--cert-dir=" + filepath.Join(c.dirs.kubelet, "pki"),
		"--hostname-override=" + c.opts.NodeName,
		"--node-ip=" + NodeIP,
	}, "http://"+net.JoinHostPort(NodeIP, strconv.Itoa(kubeletHealthzPort))+"/healthz")
}
