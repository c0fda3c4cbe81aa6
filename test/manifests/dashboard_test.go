package manifests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

const (
	dashboardFile = "manifests/components/monitoring/dashboard.json"
	metricsDoc    = "docs/metrics.md"
)

type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(t), dashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// queries returns every PromQL expression of the dashboard by panel title.
func (d dashboard) queries() map[string][]string {
	out := map[string][]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out[p.Title] = append(out[p.Title], tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// TestDashboard: the panels the issue asks for exist, each query panel
// uses the datasource variable, and ids are unique.
func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	if !slices.Contains(vars, "datasource") {
		t.Errorf("no datasource variable in %v", vars)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && (p.Datasource == nil || p.Datasource.UID != "${datasource}") {
			t.Errorf("panel %q: datasource must be ${datasource}", p.Title)
		}
	}
	q := d.queries()
	for _, want := range []struct{ title, metric string }{
		{"Pools by status", "diskpool_pools"},
		{"Capacity and used per node", "diskpool_pool_capacity_bytes"},
		{"Capacity and used per node", "diskpool_pool_used_bytes"},
		{"Capacity per pool", "diskpool_pool_capacity_bytes"},
		{"Used per pool", "diskpool_pool_used_bytes"},
		{"Reconcile rate by result", "diskpool_reconcile_total"},
		{"Reconcile latency", "diskpool_reconcile_duration_seconds_bucket"},
		{"Reconcile errors", `diskpool_reconcile_total{result="error"}`},
		{"Workqueue depth", "diskpool_workqueue_depth"},
	} {
		if !slices.ContainsFunc(q[want.title], func(e string) bool { return strings.Contains(e, want.metric) }) {
			t.Errorf("panel %q does not query %s (queries: %v)", want.title, want.metric, q[want.title])
		}
	}
}

// grafanaVars are the dashboard variables a query may use, with values that
// make it plain PromQL.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "5m",
	"$__interval", "1m",
	"$node", ".*",
)

// TestDashboardQueriesParse feeds every dashboard query to promtool as a
// recording rule, so Prometheus's own parser checks it.
func TestDashboardQueriesParse(t *testing.T) {
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for title, exprs := range readDashboard(t).queries() {
		for i, e := range exprs {
			plain := grafanaVars.Replace(e)
			if strings.Contains(plain, "$") {
				t.Errorf("panel %q: unknown variable in %s", title, e)
			}
			rules = append(rules, rule{fmt.Sprintf("dashboard:query_%d:%d", len(rules), i), plain})
		}
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.rules.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	RunPromtool(t, dir, nil, "check", "rules", "dashboard.rules.yaml")
}

var metricName = regexp.MustCompile(`\bdiskpool_[a-z0-9_]+`)

// TestMetricsDocumented: every diskpool_ metric an alert or the dashboard
// uses is listed in docs/metrics.md.
func TestMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(Root(t), metricsDoc))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`(diskpool_[a-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	var exprs []string
	for _, es := range readDashboard(t).queries() {
		exprs = append(exprs, es...)
	}
	var rules ruleFile
	readYAML(t, plainRulesFile, &rules)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if !documented[base] {
				t.Errorf("%s (in %q) is not documented in %s", base, e, metricsDoc)
			}
		}
	}
}
