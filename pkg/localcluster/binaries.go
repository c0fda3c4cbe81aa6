package localcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Versions of the control plane binaries; they must match the wrapper
// modules under scripts/controlplane, which the build script reads.
const (
	EtcdVersion = "v3.7.3"
	KubeVersion = "v1.37.2"
)

// ModulePath is the module path of this repository, used to find its root.
const ModulePath = "github.com/diskpool/diskpool-operator"

// Environment variables that override where the binaries are found.
const (
	EnvEtcd          = "DISKPOOL_ETCD"
	EnvKubeAPIServer = "DISKPOOL_KUBE_APISERVER"
	EnvKubectl       = "DISKPOOL_KUBECTL"
)

// ErrBinaryNotFound is wrapped by the errors FindBinaries returns when a
// control plane binary has not been built yet.
var ErrBinaryNotFound = errors.New("control plane binary not found")

// Binaries holds the paths of the control plane executables.
type Binaries struct {
	Etcd          string
	KubeAPIServer string
	Kubectl       string
}

// FindBinaries locates etcd, kube-apiserver and kubectl: the paths in
// DISKPOOL_ETCD, DISKPOOL_KUBE_APISERVER and DISKPOOL_KUBECTL when set,
// otherwise the versioned files under <repo>/bin built by
// scripts/build-controlplane.sh.
func FindBinaries() (Binaries, error) {
	var binDir string
	needBinDir := os.Getenv(EnvEtcd) == "" || os.Getenv(EnvKubeAPIServer) == "" || os.Getenv(EnvKubectl) == ""
	if needBinDir {
		root, err := RepoRoot()
		if err != nil {
			return Binaries{}, fmt.Errorf("find control plane binaries: %w", err)
		}
		binDir = filepath.Join(root, "bin")
	}
	var b Binaries
	var errs []error
	for _, f := range []struct {
		dst     *string
		env     string
		name    string
		version string
	}{
		{&b.Etcd, EnvEtcd, "etcd", EtcdVersion},
		{&b.KubeAPIServer, EnvKubeAPIServer, "kube-apiserver", KubeVersion},
		{&b.Kubectl, EnvKubectl, "kubectl", KubeVersion},
	} {
		path, err := findBinary(binDir, f.env, f.name, f.version)
		*f.dst = path
		errs = append(errs, err)
	}
	return b, errors.Join(errs...)
}

func findBinary(binDir, env, name, version string) (string, error) {
	path, fromEnv := os.LookupEnv(env)
	if !fromEnv || path == "" {
		path = filepath.Join(binDir, name+"-"+version)
	}
	info, err := os.Stat(path)
	switch {
	case err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0:
		return path, nil
	case fromEnv && path != "":
		return "", fmt.Errorf("%s %s from $%s: %w: %s is not an executable file", name, version, env, ErrBinaryNotFound, path)
	default:
		return "", fmt.Errorf("%s %s: %w at %s: run `make controlplane` (or scripts/build-controlplane.sh) once to build it, or set $%s",
			name, version, ErrBinaryNotFound, path, env)
	}
}

// RepoRoot returns the root of this repository: the closest directory, from
// the working directory up, holding a go.mod whose module path is ModulePath.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if isRepoRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.mod with module %s above the working directory", ModulePath)
		}
		dir = parent
	}
}

func isRepoRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == ModulePath
		}
	}
	return false
}
