package localcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, paths ...string) []string {
	t.Helper()
	objs, err := ReadManifests(paths...)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}

func TestReadManifests(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "b.yaml"), `---
apiVersion: v1
kind: Namespace
metadata:
  name: ns1
---
# only a comment
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa1
  namespace: ns1
---
`)
	writeFile(t, filepath.Join(dir, "a.json"), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"}}`)
	writeFile(t, filepath.Join(dir, "c.yml"), `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm2}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm3}
`)
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [b.yaml]\n")
	writeFile(t, filepath.Join(dir, "README.md"), "not a manifest\n")
	writeFile(t, filepath.Join(dir, "sub", "d.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nested}\n")

	got := strings.Join(names(t, dir), " ")
	want := "ConfigMap/cm1 Namespace/ns1 ServiceAccount/sa1 ConfigMap/cm2 ConfigMap/cm3"
	if got != want {
		t.Errorf("ReadManifests(dir) = %s, want %s", got, want)
	}
	got = strings.Join(names(t, filepath.Join(dir, "sub", "d.yaml"), filepath.Join(dir, "a.json")), " ")
	if want := "ConfigMap/nested ConfigMap/cm1"; got != want {
		t.Errorf("ReadManifests(files) = %s, want %s", got, want)
	}
}

func TestReadManifestsErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "nokind.yaml"), "apiVersion: v1\nmetadata: {name: x}\n")
	writeFile(t, filepath.Join(dir, "bad.yaml"), "apiVersion: v1\nkind: [\n")
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "nokind.yaml"), "apiVersion and kind are required"},
		{filepath.Join(dir, "bad.yaml"), "bad.yaml document 1"},
		{filepath.Join(dir, "missing.yaml"), "no such file"},
	} {
		_, err := ReadManifests(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadManifests(%s) = %v, want an error containing %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
