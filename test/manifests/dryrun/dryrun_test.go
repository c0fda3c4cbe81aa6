// Package dryrun sends every object of every shipped overlay, and the
// sample pools, to a real kube-apiserver (pkg/localcluster) with a
// server-side dry-run and strict field validation, and checks the effective
// permissions of the install's ServiceAccounts with `kubectl auth can-i
// --list` against the expected table.
//
// The local control plane has no cert-manager or Prometheus Operator, so
// their CRDs are installed as stubs that accept any content: for Issuer,
// Certificate, ServiceMonitor, PodMonitor and PrometheusRule the dry-run
// proves the kind, version and namespace are right, not the fields. Their
// content is checked elsewhere: promtool (rules), test/manifests
// (Certificates, ServiceMonitor selectors and ports).
package dryrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
	"github.com/diskpool/diskpool-operator/test/manifests"
)

// testTimeout bounds everything after the cluster is up.
const testTimeout = 3 * time.Minute

// stubCRDs are the third-party kinds the overlays use.
var stubCRDs = []struct{ group, version, kind, plural string }{
	{"cert-manager.io", "v1", "Issuer", "issuers"},
	{"cert-manager.io", "v1", "Certificate", "certificates"},
	{"monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"},
	{"monitoring.coreos.com", "v1", "PodMonitor", "podmonitors"},
	{"monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules"},
}

func stubCRD(group, version, kind, plural string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": plural + "." + group},
		"spec": map[string]any{
			"group": group,
			"scope": "Namespaced",
			"names": map[string]any{"kind": kind, "listKind": kind + "List", "plural": plural, "singular": strings.ToLower(kind)},
			"versions": []any{map[string]any{
				"name": version, "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}}
}

func namespace(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
}

// cluster starts a local control plane with our CRDs, the stub CRDs and the
// namespaces the manifests and samples use (a dry-run create of a namespaced
// object needs its namespace to exist).
func cluster(t *testing.T) (*localcluster.Cluster, context.Context) {
	t.Helper()
	c := localclustertest.Start(t, localcluster.Options{
		UnsafeNoFsync: true,
		// The agent is privileged (block devices). kube-apiserver refuses
		// privileged containers unless allowed, as kubeadm and managed
		// clusters do.
		ExtraAPIServerArgs: []string{"--allow-privileged=true"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	objs := []*unstructured.Unstructured{namespace(manifests.Namespace), namespace("mayastor")}
	for _, s := range stubCRDs {
		objs = append(objs, stubCRD(s.group, s.version, s.kind, s.plural))
	}
	crds, err := localcluster.ReadManifests(filepath.Join(manifests.Root(t), "manifests", "crds"))
	if err != nil {
		t.Fatal(err)
	}
	if err := localcluster.ApplyObjects(ctx, c.RESTConfig(), append(objs, crds...)...); err != nil {
		t.Fatal(err)
	}
	return c, ctx
}

// kubectl runs the cluster's kubectl with stdin and returns stdout and
// stderr, failing t when it exits non-zero unless allowFail.
func kubectl(t *testing.T, ctx context.Context, c *localcluster.Cluster, stdin []byte, allowFail bool, args ...string) (string, string, error) {
	t.Helper()
	cmd := c.KubectlCommand(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && !allowFail {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String(), err
}

var dryRunArgs = []string{"apply", "--server-side", "--force-conflicts", "--field-manager=diskpool-dryrun",
	"--dry-run=server", "--validate=strict", "-f", "-"}

func TestServerSideDryRun(t *testing.T) {
	c, ctx := cluster(t)
	kc := c.Binaries().Kubectl
	t.Run("overlays", func(t *testing.T) {
		for _, overlay := range manifests.Overlays {
			t.Run(overlay, func(t *testing.T) {
				rendered := manifests.RenderYAML(t, kc, "manifests/overlays/"+overlay)
				objs, err := manifests.Decode(rendered)
				if err != nil {
					t.Fatal(err)
				}
				out, stderr, _ := kubectl(t, ctx, c, rendered, false, dryRunArgs...)
				lines := strings.Split(strings.TrimSpace(out), "\n")
				accepted := 0
				for _, l := range lines {
					if strings.HasSuffix(l, "serverside-applied (server dry run)") {
						accepted++
					}
				}
				if accepted != len(objs) {
					t.Errorf("%d of %d objects accepted:\n%s", accepted, len(objs), out)
				}
				if strings.TrimSpace(stderr) != "" {
					t.Errorf("warnings:\n%s", stderr)
				}
				t.Logf("%d objects accepted by a server-side dry-run", accepted)
			})
		}
	})
	// The command docs/operations.md gives (client-side apply), dry-run.
	t.Run("kubectl apply -k", func(t *testing.T) {
		for _, overlay := range manifests.Overlays {
			t.Run(overlay, func(t *testing.T) {
				dir := filepath.Join(manifests.Root(t), "manifests", "overlays", overlay)
				out, stderr, _ := kubectl(t, ctx, c, nil, false, "apply", "-k", dir, "--dry-run=server", "--validate=strict")
				if n := strings.Count(out, "(server dry run)"); n < 17 {
					t.Errorf("only %d objects applied:\n%s", n, out)
				}
				for _, w := range strings.Split(strings.TrimSpace(stderr), "\n") {
					// The namespace and CRDs this test installed itself.
					if w != "" && !strings.Contains(w, "is missing the kubectl.kubernetes.io/last-applied-configuration annotation") {
						t.Errorf("warning: %s", w)
					}
				}
			})
		}
	})
	t.Run("samples", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(manifests.Root(t), "manifests", "samples", "*.yaml"))
		if err != nil || len(files) < 3 {
			t.Fatalf("samples: %v %v", files, err)
		}
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				out, stderr, _ := kubectl(t, ctx, c, data, false, dryRunArgs...)
				if !strings.Contains(out, "serverside-applied (server dry run)") {
					t.Errorf("not accepted:\n%s", out)
				}
				// Deprecated versions warn and name the replacement.
				if strings.Contains(string(data), "openebs.io/v1beta2") && !strings.Contains(stderr, "v1beta3") {
					t.Errorf("v1beta2 sample: no deprecation warning naming v1beta3: %q", stderr)
				}
			})
		}
	})
	// The dry-run is not a rubber stamp: the CRD's validation runs.
	t.Run("rejects an invalid DiskPool", func(t *testing.T) {
		bad := []byte(`apiVersion: openebs.io/v1beta3
kind: DiskPool
metadata: {name: two-disks, namespace: diskpool-system}
spec: {node: node-1, disks: [/dev/sdb, /dev/sdc]}
`)
		_, stderr, err := kubectl(t, ctx, c, bad, true, dryRunArgs...)
		if err == nil || !strings.Contains(stderr, "disks") {
			t.Errorf("a DiskPool with two disks was accepted (err %v): %s", err, stderr)
		}
	})
	t.Run("rejects an unknown field", func(t *testing.T) {
		bad := []byte(`apiVersion: v1
kind: Service
metadata: {name: typo, namespace: diskpool-system}
spec: {selectr: {app: x}, ports: [{port: 80}]}
`)
		_, stderr, err := kubectl(t, ctx, c, bad, true, dryRunArgs...)
		if err == nil || !strings.Contains(stderr, "selectr") {
			t.Errorf("an unknown field was accepted (err %v): %s", err, stderr)
		}
	})
}

// TestEffectivePermissions installs the default overlay's RBAC for real and
// asks the API server what each ServiceAccount may do (`kubectl auth can-i
// --list`, which resolves bindings as the authorizer does), minus what any
// authenticated ServiceAccount may do. The result must equal
// manifests.ExpectedPermissions.
func TestEffectivePermissions(t *testing.T) {
	c, ctx := cluster(t)
	var rbac []*unstructured.Unstructured
	for _, o := range manifests.Render(t, c.Binaries().Kubectl, "manifests/overlays/default") {
		switch o.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			rbac = append(rbac, o)
		}
	}
	if err := localcluster.ApplyObjects(ctx, c.RESTConfig(), rbac...); err != nil {
		t.Fatal(err)
	}
	// rules lists what user may do in ns.
	rules := func(user, ns string) map[[3]string]bool {
		_, name, _ := strings.Cut(strings.TrimPrefix(user, "system:serviceaccount:"), ":")
		out, _, _ := kubectl(t, ctx, c, nil, false, "auth", "can-i", "--list", "--no-headers", "-n", ns,
			"--as="+user, "--as-group=system:serviceaccounts", "--as-group=system:serviceaccounts:"+manifests.Namespace,
			"--as-group=system:authenticated")
		got := parseCanIList(t, out)
		if len(got) == 0 {
			t.Fatalf("can-i --list for %s (%s) in %s returned nothing:\n%s", user, name, ns, out)
		}
		return got
	}
	// A ServiceAccount nobody bound: what every ServiceAccount gets.
	nobody := manifests.ServiceAccount("nobody")
	baseline := map[string]map[[3]string]bool{"default": rules(nobody, "default"), manifests.Namespace: rules(nobody, manifests.Namespace)}
	var got []manifests.Permission
	for _, sa := range []string{manifests.OperatorName, manifests.AgentName} {
		user := manifests.ServiceAccount(sa)
		cluster := rules(user, "default")
		for k := range cluster {
			if !baseline["default"][k] {
				got = append(got, manifests.Permission{Subject: user, Namespace: "*", Group: k[0], Resource: k[1], Verb: k[2]})
			}
		}
		for k := range rules(user, manifests.Namespace) {
			if !baseline[manifests.Namespace][k] && !cluster[k] {
				got = append(got, manifests.Permission{Subject: user, Namespace: manifests.Namespace, Group: k[0], Resource: k[1], Verb: k[2]})
			}
		}
	}
	got = manifests.SortedUnique(got)
	extra, missing := manifests.Diff(got, manifests.ExpectedPermissions)
	for _, p := range extra {
		t.Errorf("the API server grants, unexpected: %s", p)
	}
	for _, p := range missing {
		t.Errorf("expected, but the API server does not grant: %s", p)
	}
	if !t.Failed() {
		t.Logf("effective permissions (%d) equal the expected table", len(got))
	}
}

// parseCanIList parses `kubectl auth can-i --list --no-headers` rows
// ("diskpools.openebs.io/status   []   []   [update patch]") into
// (group, resource, verb) keys. Non-resource URL rows are skipped.
func parseCanIList(t *testing.T, out string) map[[3]string]bool {
	t.Helper()
	got := map[[3]string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, " ") {
			continue
		}
		fields := strings.Fields(line)
		rest := strings.Join(fields[1:], " ")
		i := strings.LastIndex(rest, "[")
		if i < 0 || !strings.HasSuffix(rest, "]") {
			t.Fatalf("cannot parse can-i row %q", line)
		}
		verbs := strings.Fields(strings.Trim(rest[i:], "[]"))
		if names := strings.TrimSpace(rest[:i]); names != "[] []" && names != "[]" {
			t.Errorf("row %q names resources or URLs: extend the parser first", line)
		}
		res, sub, _ := strings.Cut(fields[0], "/")
		resource, group, _ := strings.Cut(res, ".")
		if sub != "" {
			resource += "/" + sub
		}
		for _, v := range verbs {
			got[[3]string{group, resource, v}] = true
		}
	}
	return got
}
