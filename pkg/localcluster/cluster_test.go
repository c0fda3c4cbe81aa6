package localcluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
)

// testTimeout bounds each test that runs a cluster.
const testTimeout = 3 * time.Minute

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls f every 100 ms until it returns nil, failing t after
// timeout with f's last error.
func eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCluster(t *testing.T) {
	ctx := testContext(t)
	began := time.Now()
	c := localclustertest.Start(t, localcluster.Options{UnsafeNoFsync: true})
	t.Logf("etcd and kube-apiserver ready in %s at %s", time.Since(began).Round(time.Millisecond), c.APIServerURL())

	t.Run("Version", func(t *testing.T) { testVersion(t, c) })
	t.Run("KubectlVersion", func(t *testing.T) { testKubectlVersion(ctx, t, c) })
	t.Run("RBAC", func(t *testing.T) { testRBAC(ctx, t, c) })
	t.Run("PodBoundToken", func(t *testing.T) { testPodBoundToken(ctx, t, c) })
	t.Run("CreateNodes", func(t *testing.T) { testCreateNodes(ctx, t, c) })
	t.Run("ApplySurvivesRestarts", func(t *testing.T) { testApplySurvivesRestarts(ctx, t, c) })
}

func testVersion(t *testing.T, c *localcluster.Cluster) {
	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != localcluster.KubeVersion || v.Major != "1" || v.Minor != "37" {
		t.Errorf("/version = %s (major %q, minor %q), want %s", v.GitVersion, v.Major, v.Minor, localcluster.KubeVersion)
	}
}

func testKubectlVersion(ctx context.Context, t *testing.T, c *localcluster.Cluster) {
	out, err := c.KubectlCommand(ctx, "version", "-o", "json").Output()
	if err != nil {
		t.Fatalf("kubectl version: %v", err)
	}
	var v struct {
		Client struct{ GitVersion string } `json:"clientVersion"`
		Server struct{ GitVersion string } `json:"serverVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("kubectl version output %q: %v", out, err)
	}
	if v.Client.GitVersion != localcluster.KubeVersion || v.Server.GitVersion != localcluster.KubeVersion {
		t.Errorf("kubectl version: client %q, server %q, want %s for both", v.Client.GitVersion, v.Server.GitVersion, localcluster.KubeVersion)
	}
}

func testRBAC(ctx context.Context, t *testing.T, c *localcluster.Cluster) {
	path := filepath.Join(t.TempDir(), "nobody.kubeconfig")
	if err := c.ServiceAccountKubeconfig(ctx, "rbac-test", "nobody", path); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)

	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("self subject review: %v", err)
	}
	if got, want := review.Status.UserInfo.Username, "system:serviceaccount:rbac-test:nobody"; got != want {
		t.Errorf("token authenticates as %q, want %q", got, want)
	}

	if _, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("list nodes without a binding: %v, want 403 Forbidden", err)
	}

	rbac := filepath.Join(t.TempDir(), "rbac.yaml")
	writeFile(t, rbac, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: node-reader
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: nobody-reads-nodes
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: node-reader
subjects:
- kind: ServiceAccount
  name: nobody
  namespace: rbac-test
`)
	if err := c.Apply(ctx, rbac); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		_, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		return err
	})
	if _, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list namespaces with only node-reader: %v, want 403 Forbidden", err)
	}
}

func testCreateNodes(ctx context.Context, t *testing.T, c *localcluster.Cluster) {
	for range 2 { // the second call finds the nodes and leaves them alone
		if err := c.CreateNodes(ctx, "node-a", "node-b"); err != nil {
			t.Fatal(err)
		}
	}
	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
	for _, name := range []string{"node-a", "node-b"} {
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready := false
		for _, cond := range n.Status.Conditions {
			ready = ready || (cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue)
		}
		if !ready || n.Labels[corev1.LabelHostname] != name {
			t.Errorf("node %s: conditions %v, labels %v; want Ready and hostname label", name, n.Status.Conditions, n.Labels)
		}
	}
}

const widgetManifest = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
---
apiVersion: v1
kind: Namespace
metadata:
  name: apply-test
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: apply-test
spec:
  size: 3
`

func testApplySurvivesRestarts(ctx context.Context, t *testing.T, c *localcluster.Cluster) {
	// The Widget comes before its CRD and Namespace: Apply orders them.
	dir := t.TempDir()
	parts := strings.SplitN(widgetManifest, "---\n", 2)
	writeFile(t, filepath.Join(dir, "1-widget.yaml"), strings.Split(parts[1], "---\n")[1])
	writeFile(t, filepath.Join(dir, "2-crd-and-ns.yaml"), parts[0]+"---\n"+strings.Split(parts[1], "---\n")[0])
	for range 2 { // applying again changes nothing and succeeds
		if err := c.Apply(ctx, dir); err != nil {
			t.Fatal(err)
		}
	}

	dyn := dynamic.NewForConfigOrDie(c.RESTConfig())
	widgets := dyn.Resource(schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}).Namespace("apply-test")
	getWidget := func() error {
		w, err := widgets.Get(ctx, "w1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if size, _, _ := unstructured.NestedInt64(w.Object, "spec", "size"); size != 3 {
			return errors.New("widget w1 has lost spec.size")
		}
		return nil
	}
	if err := getWidget(); err != nil {
		t.Fatal(err)
	}

	oldPID := c.APIServer().PID()
	began := time.Now()
	if err := c.RestartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver restarted in %s", time.Since(began).Round(time.Millisecond))
	if c.APIServer().PID() == oldPID {
		t.Error("RestartAPIServer kept the same process")
	}
	if err := getWidget(); err != nil {
		t.Fatalf("after kube-apiserver restart: %v", err)
	}

	oldPID = c.Etcd().PID()
	began = time.Now()
	if err := c.RestartEtcd(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("etcd restarted in %s", time.Since(began).Round(time.Millisecond))
	if c.Etcd().PID() == oldPID {
		t.Error("RestartEtcd kept the same process")
	}
	// kube-apiserver reconnects to etcd on its own schedule.
	eventually(t, 30*time.Second, getWidget)
	t.Logf("kube-apiserver served from the restarted etcd %s after the restart began", time.Since(began).Round(time.Millisecond))
}

func TestStopLeavesNoProcess(t *testing.T) {
	ctx := testContext(t)
	bins := localclustertest.Binaries(t)
	c, err := localcluster.Start(ctx, localcluster.Options{Binaries: &bins}) // fsync on, a temporary work dir
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{c.Etcd().PID(), c.APIServer().PID()}
	workDir := c.WorkDir()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after Stop (kill -0: %v)", pid, err)
		}
	}
	if _, err := os.Stat(workDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work dir %s still exists after Stop: %v", workDir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
