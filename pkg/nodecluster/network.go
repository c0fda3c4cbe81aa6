package nodecluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// The node's network. The bridge has no uplink: its gateway address is the
// node's address, reachable from the host and its pods only.
const (
	BridgeName  = "dpnode0"
	NodeIP      = "10.244.0.1"
	PodCIDR     = "10.244.0.0/24"
	ServiceCIDR = "10.0.0.0/24"
	// KubernetesServiceIP is the first address of ServiceCIDR, which the
	// kubernetes Service gets.
	KubernetesServiceIP = "10.0.0.1"
	// CNINetworkName names the CNI network (and its cached results).
	CNINetworkName = "diskpool-node"
)

// run runs a host command, returning its output in the error.
func run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// bridgeExists reports whether the bridge is there (another cluster, or a
// leftover of one).
func bridgeExists() bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", BridgeName))
	return err == nil
}

// createBridge creates the bridge with the node's address, before
// kube-apiserver binds it; the CNI bridge plugin then adopts it.
func createBridge(ctx context.Context) error {
	if bridgeExists() {
		return fmt.Errorf("bridge %s exists: another single-node cluster is running (or a stopped one left it: `ip link del %s`)", BridgeName, BridgeName)
	}
	for _, args := range [][]string{
		{"link", "add", BridgeName, "type", "bridge"},
		{"addr", "add", NodeIP + "/24", "dev", BridgeName},
		{"link", "set", BridgeName, "up"},
	} {
		if _, err := run(ctx, "ip", args...); err != nil {
			return fmt.Errorf("create bridge: %w", err)
		}
	}
	return nil
}

// deleteBridge removes the bridge; a veth still attached goes with it.
func deleteBridge(ctx context.Context) error {
	if !bridgeExists() {
		return nil
	}
	if _, err := run(ctx, "ip", "link", "del", BridgeName); err != nil {
		return fmt.Errorf("delete bridge: %w", err)
	}
	return nil
}

// writeCNIConfig writes the network containerd's CRI plugin sets up for
// every pod: a veth on the bridge, an address from PodCIDR (host-local, its
// state under ipamDir), a default route through the node. No masquerading:
// nothing leaves the machine.
func writeCNIConfig(confDir, ipamDir string) error {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       CNINetworkName,
		"plugins": []any{map[string]any{
			"type":        "bridge",
			"bridge":      BridgeName,
			"isGateway":   true,
			"ipMasq":      false,
			"hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": PodCIDR, "gateway": NodeIP}}},
				"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
				"dataDir": ipamDir,
			},
		}},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(confDir, "10-"+CNINetworkName+".conflist"), data, 0o644)
}

// cniResultsDir is where libcni caches results; containerd 1.6 keeps them
// there whatever its configuration.
const cniResultsDir = "/var/lib/cni/results"

// cniResults lists the cached results of this cluster's networks: its own
// and the loopback one containerd sets up in every pod.
func cniResults() ([]string, error) {
	var out []string
	for _, net := range []string{CNINetworkName, "cni-loopback"} {
		m, err := filepath.Glob(filepath.Join(cniResultsDir, net+"-*"))
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	return out, nil
}

// removeCNIResults removes the results that were not there before, and the
// directories libcni created if there were none.
func removeCNIResults(before []string, dirsExisted bool) error {
	now, err := cniResults()
	if err != nil {
		return err
	}
	for _, m := range now {
		if slices.Contains(before, m) {
			continue
		}
		if err := os.Remove(m); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if !dirsExisted {
		// Only removes them if empty.
		_ = os.Remove(cniResultsDir)
		_ = os.Remove(filepath.Dir(cniResultsDir))
	}
	return nil
}
