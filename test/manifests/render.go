// Package manifests tests the shipped kustomize tree (manifests/): every
// overlay is rendered with the real kubectl (bin/kubectl, built by `make
// controlplane`) and checked in Go for the rules the project promises
// (security contexts, exact RBAC, replicas, probes, mutual TLS), and the
// alert rules and dashboard are checked with Prometheus's promtool.
// Subpackage dryrun sends every rendered object to a real kube-apiserver.
//
// This file holds the helpers both packages share.
package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Module is the root module path, which identifies the repository root.
const Module = "github.com/diskpool/diskpool-operator"

// EnvRequireControlPlane, when non-empty, turns a missing bin/kubectl into a
// test failure instead of a skip (make test sets it after building it).
const EnvRequireControlPlane = "DISKPOOL_REQUIRE_CONTROLPLANE"

// EnvKubectl overrides the kubectl binary (as in pkg/localcluster).
const EnvKubectl = "DISKPOOL_KUBECTL"

// Overlays are the installable trees under manifests/overlays.
var Overlays = []string{"default", "cert-manager", "monitoring"}

// RepoRoot returns the repository root: the nearest directory above the
// working directory whose go.mod declares Module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.HasPrefix(bytes.TrimSpace(data), []byte("module "+Module+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", Module)
		}
		dir = parent
	}
}

// Root is RepoRoot for tests.
func Root(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Kubectl returns the kubectl to render with: $DISKPOOL_KUBECTL, else
// <root>/bin/kubectl. When there is none it skips t, or fails it if
// $DISKPOOL_REQUIRE_CONTROLPLANE is set.
func Kubectl(t testing.TB) string {
	t.Helper()
	path := os.Getenv(EnvKubectl)
	if path == "" {
		path = filepath.Join(Root(t), "bin", "kubectl")
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("kubectl not found at %s (%v): run `make controlplane` to build it", path, err)
		if os.Getenv(EnvRequireControlPlane) != "" {
			t.Fatalf("%s (%s is set, so this is a failure)", msg, EnvRequireControlPlane)
		}
		t.Skipf("Skipping: %s (set %s=1 to make this a failure)", msg, EnvRequireControlPlane)
	}
	return path
}

// RenderYAML returns `kubectl kustomize <dir>` for a directory relative to
// the repository root.
func RenderYAML(t testing.TB, kubectl, dir string) []byte {
	t.Helper()
	cmd := exec.Command(kubectl, "kustomize", filepath.Join(Root(t), dir))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	return out
}

// Render renders dir (relative to the repository root) and decodes the
// objects.
func Render(t testing.TB, kubectl, dir string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := Decode(RenderYAML(t, kubectl, dir))
	if err != nil {
		t.Fatalf("decode %s: %v", dir, err)
	}
	return objs
}

// Decode splits multi-document YAML into objects.
func Decode(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for i := 1; ; i++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, fmt.Errorf("document %d: no apiVersion or kind", i)
		}
		objs = append(objs, u)
	}
}

// Key names an object as kind/namespace/name (namespace empty when
// cluster-scoped).
func Key(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}

// Find returns the one object of kind and name, or nil.
func Find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// Convert decodes u into a typed object; unknown fields are an error, so a
// typo in a manifest cannot hide from the checks.
func Convert(u *unstructured.Unstructured, into any) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
		return fmt.Errorf("%s: %w", Key(u), err)
	}
	return nil
}

// MustConvert decodes u (as Convert) into a new T, failing t on error.
func MustConvert[T any](t testing.TB, u *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := Convert(u, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// MustFind decodes the object of kind named name (see Find) into a new T,
// failing t when objs hold none.
func MustFind[T any](t testing.TB, objs []*unstructured.Unstructured, kind, name string) *T {
	t.Helper()
	u := Find(objs, kind, name)
	if u == nil {
		t.Fatalf("no %s %s", kind, name)
	}
	return MustConvert[T](t, u)
}

// Of returns the objects of the given kind.
func Of(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// HasPrefixArg reports whether args holds an argument starting with prefix.
func HasPrefixArg(args []string, prefix string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}
