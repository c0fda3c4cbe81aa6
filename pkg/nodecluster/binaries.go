package nodecluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// Binaries are the node's executables: the control plane of
// pkg/localcluster, the node components built by
// scripts/build-controlplane.sh, and the container runtime from the
// distribution.
type Binaries struct {
	localcluster.Binaries
	ControllerManager, Scheduler, Kubelet, KubeProxy string
	Containerd, Ctr, Runc                            string
	// CNIDir holds the bridge, host-local and loopback plugins.
	CNIDir string
}

// ErrMissing is wrapped by FindBinaries when a prerequisite is missing.
var ErrMissing = errors.New("single-node cluster prerequisite missing")

// CNIPluginDir is where Debian's containernetworking-plugins installs.
const CNIPluginDir = "/usr/lib/cni"

// FindBinaries locates every executable the cluster runs.
func FindBinaries() (Binaries, error) {
	var b Binaries
	var errs []error
	var err error
	if b.Binaries, err = localcluster.FindBinaries(); err != nil {
		errs = append(errs, err)
	}
	root, err := localcluster.RepoRoot()
	if err != nil {
		return b, err
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{
		{&b.ControllerManager, "kube-controller-manager"},
		{&b.Scheduler, "kube-scheduler"},
		{&b.Kubelet, "kubelet"},
		{&b.KubeProxy, "kube-proxy"},
	} {
		*f.dst = filepath.Join(root, "bin", f.name+"-"+localcluster.KubeVersion)
		if _, err := os.Stat(*f.dst); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: run `make controlplane`", f.name, ErrMissing))
		}
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&b.Containerd, "containerd"}, {&b.Ctr, "ctr"}, {&b.Runc, "runc"}} {
		if *f.dst, err = exec.LookPath(f.name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: run scripts/install-node-prereqs.sh", f.name, ErrMissing))
		}
	}
	b.CNIDir = CNIPluginDir
	for _, p := range []string{"bridge", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(b.CNIDir, p)); err != nil {
			errs = append(errs, fmt.Errorf("CNI plugin %s: %w: run scripts/install-node-prereqs.sh", p, ErrMissing))
		}
	}
	for _, tool := range []string{"ip", "iptables-save", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: run scripts/install-node-prereqs.sh", tool, ErrMissing))
		}
	}
	return b, errors.Join(errs...)
}
