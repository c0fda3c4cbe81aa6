package localcluster

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "pkg", "localcluster", "binaries.go")); err != nil {
		t.Errorf("RepoRoot() = %s, which does not hold this package: %v", root, err)
	}
}

// TestVersionsMatchWrapperModules keeps the version constants equal to the
// versions scripts/build-controlplane.sh builds.
func TestVersionsMatchWrapperModules(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gomod, module, want string
	}{
		{"scripts/controlplane/etcd/go.mod", "go.etcd.io/etcd/server/v3", EtcdVersion},
		{"scripts/controlplane/kube/go.mod", "k8s.io/kubernetes", KubeVersion},
	} {
		data, err := os.ReadFile(filepath.Join(root, tc.gomod))
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(tc.module) + `\s+(\S+)`)
		m := re.FindSubmatch(data)
		if m == nil {
			t.Errorf("%s does not require %s", tc.gomod, tc.module)
			continue
		}
		if got := string(m[1]); got != tc.want {
			t.Errorf("%s requires %s %s, but the package expects %s", tc.gomod, tc.module, got, tc.want)
		}
	}
}

func TestFindBinariesFromEnv(t *testing.T) {
	dir := t.TempDir()
	paths := map[string]string{}
	for _, env := range []string{EnvEtcd, EnvKubeAPIServer, EnvKubectl} {
		p := filepath.Join(dir, env)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv(env, p)
		paths[env] = p
	}
	b, err := FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	want := Binaries{Etcd: paths[EnvEtcd], KubeAPIServer: paths[EnvKubeAPIServer], Kubectl: paths[EnvKubectl]}
	if b != want {
		t.Errorf("FindBinaries() = %+v, want %+v", b, want)
	}
}

func TestFindBinariesMissing(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "etcd")
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvEtcd, notExec)
	t.Setenv(EnvKubeAPIServer, filepath.Join(dir, "missing"))
	t.Setenv(EnvKubectl, dir) // a directory
	_, err := FindBinaries()
	if !errors.Is(err, ErrBinaryNotFound) {
		t.Fatalf("FindBinaries() = %v, want ErrBinaryNotFound", err)
	}
	for _, want := range []string{"etcd " + EtcdVersion, "kube-apiserver " + KubeVersion, "kubectl " + KubeVersion, "$" + EnvEtcd} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestFindBinaryMissingSaysHowToBuild(t *testing.T) {
	_, err := findBinary(t.TempDir(), "LOCALCLUSTER_TEST_UNSET", "etcd", EtcdVersion)
	if !errors.Is(err, ErrBinaryNotFound) || !strings.Contains(err.Error(), "make controlplane") {
		t.Errorf("findBinary = %v, want ErrBinaryNotFound telling to run make controlplane", err)
	}
}
