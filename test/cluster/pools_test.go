package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
)

const ns = "diskpool-system"

// applyPool creates a DiskPool on the node with the given disk.
func applyPool(t *testing.T, name, disk string) {
	t.Helper()
	manifest := fmt.Sprintf(`apiVersion: openebs.io/v1beta3
kind: DiskPool
metadata:
  name: %s
  namespace: %s
spec:
  node: %s
  disks:
  - %s
`, name, ns, node.NodeName(), disk)
	kubectlStdin(t, manifest, "apply", "-f", "-")
}

func kubectlStdin(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := node.Control().KubectlCommand(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func getPool(t *testing.T, name string) v1beta3.DiskPool {
	t.Helper()
	var p v1beta3.DiskPool
	if err := json.Unmarshal([]byte(kubectl(t, "-n", ns, "get", "diskpool", name, "-o", "json")), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitPoolReason waits until the pool's Ready condition has reason.
func waitPoolReason(t *testing.T, name, reason string, timeout time.Duration) {
	t.Helper()
	kubectl(t, "-n", ns, "wait", "diskpool/"+name, "--timeout="+timeout.String(),
		`--for=jsonpath={.status.conditions[?(@.type=="Ready")].reason}=`+reason)
}

// waitPoolOnline waits for Ready=True the way the docs tell a user to.
func waitPoolOnline(t *testing.T, name string, timeout time.Duration) v1beta3.DiskPool {
	t.Helper()
	kubectl(t, "-n", ns, "wait", "diskpool/"+name, "--for=condition=Ready", "--timeout="+timeout.String())
	p := getPool(t, name)
	if p.Status.CRState != v1beta3.CRStateCreated || p.Status.PoolStatus != v1beta3.PoolStatusOnline {
		t.Fatalf("pool %s: cr_state %q pool_status %q, want Created/Online", name, p.Status.CRState, p.Status.PoolStatus)
	}
	return p
}

// poolEvents lists the reasons of events.k8s.io Events about a pool.
func poolEvents(t *testing.T, name string) []string {
	t.Helper()
	var list struct {
		Items []struct {
			Reason    string `json:"reason"`
			Regarding struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"regarding"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(kubectl(t, "-n", ns, "get", "events.events.k8s.io", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "DiskPool" && e.Regarding.Name == name {
			out = append(out, e.Reason)
		}
	}
	return out
}

// podsOf returns the names and IPs of the Running pods with label
// app.kubernetes.io/name=app.
func podsOf(t *testing.T, app string) map[string]string {
	t.Helper()
	out := kubectl(t, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name="+app,
		"--field-selector=status.phase=Running", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.podIP}{"\n"}{end}`)
	pods := map[string]string{}
	for line := range strings.Lines(out) {
		if name, ip, ok := strings.Cut(strings.TrimSpace(line), "="); ok && ip != "" {
			pods[name] = ip
		}
	}
	return pods
}

// agentCalls reads the agent's count of completed gRPC calls of a method
// from its /metrics, scraped from the host over the pod network.
func agentCalls(t *testing.T, podIP, method string) int {
	t.Helper()
	return int(scrape(t, "http://"+podIP+":10125/metrics").Sum(metrics.AgentCallsFamily, "grpc_method="+method))
}

// scrape reads url's metrics.
func scrape(t *testing.T, url string) metrics.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := metrics.Scrape(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// onlyAgent returns the one agent pod's name and IP.
func onlyAgent(t *testing.T) (string, string) {
	t.Helper()
	pods := podsOf(t, "diskpool-agent")
	if len(pods) != 1 {
		t.Fatalf("agent pods %v, want one", pods)
	}
	for n, ip := range pods {
		return n, ip
	}
	return "", ""
}
