package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// serviceMonitor is the part of a monitoring.coreos.com/v1 ServiceMonitor
// that decides what is scraped.
type serviceMonitor struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// scrapeConfigs turns the shipped ServiceMonitors into the scrape configs
// the Prometheus Operator generates for them (endpoints discovery, keep by
// Service labels and port name, job = Service name).
func scrapeConfigs(t *testing.T, kubeconfig string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "manifests", "components", "monitoring", "servicemonitors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var sm serviceMonitor
		if err := yaml.Unmarshal([]byte(doc), &sm); err != nil {
			t.Fatal(err)
		}
		keys := make([]string, 0, len(sm.Spec.Selector.MatchLabels))
		for k := range sm.Spec.Selector.MatchLabels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, ep := range sm.Spec.Endpoints {
			var relabel []map[string]any
			for _, k := range keys {
				relabel = append(relabel, map[string]any{"action": "keep",
					"source_labels": []string{"__meta_kubernetes_service_label_" + labelName(k)},
					"regex":         regexp.QuoteMeta(sm.Spec.Selector.MatchLabels[k])})
			}
			relabel = append(relabel,
				map[string]any{"action": "keep", "source_labels": []string{"__meta_kubernetes_endpoint_port_name"}, "regex": ep.Port},
				map[string]any{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
				map[string]any{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
				map[string]any{"source_labels": []string{"__meta_kubernetes_service_name"}, "target_label": "service"},
				map[string]any{"source_labels": []string{"__meta_kubernetes_service_name"}, "target_label": "job"},
				map[string]any{"target_label": "endpoint", "replacement": ep.Port})
			out = append(out, map[string]any{
				"job_name":        fmt.Sprintf("serviceMonitor/%s/%s/%d", sm.Metadata.Namespace, sm.Metadata.Name, i),
				"scrape_interval": ep.Interval,
				"metrics_path":    ep.Path,
				"kubernetes_sd_configs": []map[string]any{{
					"role":            "endpoints",
					"kubeconfig_file": kubeconfig,
					"namespaces":      map[string]any{"names": []string{sm.Metadata.Namespace}},
				}},
				"relabel_configs": relabel,
			})
		}
	}
	return out
}

var nonLabelChar = regexp.MustCompile(`[^a-zA-Z0-9_]`)

func labelName(k string) string { return nonLabelChar.ReplaceAllString(k, "_") }

// forScale rewrites every `for: <N>m` of the rules to `for: <N>s`: the
// alerts are those of docs/alerts/rules.yaml, expressions and labels
// verbatim, firing within a test instead of after minutes.
var forMinutes = regexp.MustCompile(`(?m)^(\s+for:\s+)(\d+)m\s*$`)

func scaledRules(t *testing.T, dir string) (string, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "alerts", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s+- alert:\s+(\S+)`).FindAllStringSubmatch(string(data), -1) {
		names = append(names, m[1])
	}
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, forMinutes.ReplaceAll(data, []byte("${1}${2}s")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, names
}

// prometheus is a running Prometheus server on 127.0.0.1.
type prometheus struct {
	url  string
	proc *localcluster.Process
}

func startPrometheus(t *testing.T) (*prometheus, []string) {
	t.Helper()
	bin := buildPrometheus(t)
	dir := t.TempDir()
	rules, names := scaledRules(t, dir)
	cfg := map[string]any{
		"global":         map[string]any{"evaluation_interval": "5s", "scrape_timeout": "10s"},
		"rule_files":     []string{rules},
		"scrape_configs": scrapeConfigs(t, node.KubeconfigPath()),
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	p, err := localcluster.StartProcess(localcluster.ProcessConfig{
		Name: "prometheus",
		Path: bin,
		Args: []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr},
		LogPath: filepath.Join(dir, "prometheus.log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stop prometheus: %v", err)
		}
	})
	prom := &prometheus{url: "http://" + addr, proc: p}
	poll(t, time.Minute, "prometheus ready", func() (bool, string) {
		_, err := prom.get("/-/ready", nil)
		return err == nil, fmt.Sprint(err, p.LogTail(5))
	})
	return prom, names
}

func buildPrometheus(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", "prometheus.sh")).Output()
	if err != nil {
		t.Fatalf("scripts/prometheus.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func (p *prometheus) get(path string, q url.Values) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := p.url + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	return body, nil
}

// api GETs an /api/v1 endpoint and decodes its data field into v.
func (p *prometheus) api(t *testing.T, path string, q url.Values, v any) {
	t.Helper()
	body, err := p.get("/api/v1/"+path, q)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("%s: %v %s", path, err, body)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatal(err)
	}
}

type target struct {
	Labels    map[string]string `json:"labels"`
	Health    string            `json:"health"`
	LastError string            `json:"lastError"`
}

func (p *prometheus) targets(t *testing.T) []target {
	var d struct {
		ActiveTargets []target `json:"activeTargets"`
	}
	p.api(t, "targets", url.Values{"state": {"active"}}, &d)
	return d.ActiveTargets
}

// seriesJobs returns the jobs that have diskpool_ series.
func (p *prometheus) seriesJobs(t *testing.T) []string {
	var d struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
		} `json:"result"`
	}
	p.api(t, "query", url.Values{"query": {`count by (job) ({__name__=~"diskpool_.+"})`}}, &d)
	var jobs []string
	for _, r := range d.Result {
		jobs = append(jobs, r.Metric["job"])
	}
	sort.Strings(jobs)
	return jobs
}

func (p *prometheus) ruleNames(t *testing.T) []string {
	var d struct {
		Groups []struct {
			Rules []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"rules"`
		} `json:"groups"`
	}
	p.api(t, "rules", nil, &d)
	var names []string
	for _, g := range d.Groups {
		for _, r := range g.Rules {
			if r.Type == "alerting" {
				names = append(names, r.Name)
			}
		}
	}
	return names
}

// alertStates maps each active alert to its state (pending, firing).
func (p *prometheus) alertStates(t *testing.T) map[string]string {
	var d struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	}
	p.api(t, "alerts", nil, &d)
	out := map[string]string{}
	for _, a := range d.Alerts {
		out[a.Labels["alertname"]] = a.State
	}
	return out
}

// poll checks cond every second until it holds or timeout passes.
func poll(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, timeout, true, func(context.Context) (bool, error) {
		ok, s := cond()
		last = s
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %s", what, timeout, last)
	}
}

// offlineAlert is the alert of docs/alerts/rules.yaml for a node without a
// running agent.
const offlineAlert = "DiskPoolOffline"

func testPrometheus(t *testing.T, s *suite) {
	prom, names := startPrometheus(t)
	poll(t, 2*time.Minute, "every target up", func() (bool, string) {
		ts := prom.targets(t)
		jobs := map[string]int{}
		for _, tg := range ts {
			if tg.Health != "up" {
				return false, fmt.Sprintf("%s %s: %s %s", tg.Labels["job"], tg.Labels["instance"], tg.Health, tg.LastError)
			}
			jobs[tg.Labels["job"]]++
		}
		return jobs["diskpool-operator-metrics"] == 2 && jobs["diskpool-agent-metrics"] == 1, fmt.Sprint(jobs)
	})
	poll(t, time.Minute, "diskpool_ series of both jobs", func() (bool, string) {
		jobs := prom.seriesJobs(t)
		return slices.Equal(jobs, []string{"diskpool-agent-metrics", "diskpool-operator-metrics"}), fmt.Sprint(jobs)
	})
	loaded := prom.ruleNames(t)
	sort.Strings(loaded)
	sort.Strings(names)
	if !slices.Equal(loaded, names) {
		t.Fatalf("alerting rules loaded %v, want those of docs/alerts/rules.yaml %v", loaded, names)
	}
	// With `for` in seconds, DiskPoolOperatorDown fires before the first
	// scrape (absent(up)); it clears once the targets are up.
	poll(t, time.Minute, "no alert active before the agent is stopped", func() (bool, string) {
		a := prom.alertStates(t)
		return len(a) == 0, fmt.Sprint(a)
	})

	// Stop the node's agent the way an admin takes a node out of storage:
	// the DaemonSet leaves a node without the label.
	kubectl(t, "label", "node", node.NodeName(), "openebs.io/engine-")
	kubectl(t, "-n", ns, "wait", "pod", "-l", "app.kubernetes.io/name=diskpool-agent", "--for=delete", "--timeout=2m")
	poll(t, 3*time.Minute, offlineAlert+" firing", func() (bool, string) {
		a := prom.alertStates(t)
		return a[offlineAlert] == "firing", fmt.Sprint(a)
	})
	kubectl(t, "label", "node", node.NodeName(), "openebs.io/engine=mayastor")
	kubectl(t, "-n", ns, "rollout", "status", "ds/diskpool-agent", "--timeout=3m")
	waitPoolOnline(t, s.pool, 2*time.Minute)
	poll(t, 3*time.Minute, offlineAlert+" cleared", func() (bool, string) {
		a := prom.alertStates(t)
		_, active := a[offlineAlert]
		return !active, fmt.Sprint(a)
	})
	t.Logf("alerts after the agent is back: %v", prom.alertStates(t))
}
