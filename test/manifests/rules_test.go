package manifests

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/alerts/rules.yaml) instead of comparing")

const (
	prometheusRuleFile = "manifests/components/monitoring/prometheusrule.yaml"
	plainRulesFile     = "docs/alerts/rules.yaml"
	rulesTestFile      = "docs/alerts/rules_test.yaml"
)

const plainRulesHeader = `# Generated from manifests/components/monitoring/prometheusrule.yaml (its
# spec.groups) by test/manifests; do not edit. Regenerate with
#   go test ./test/manifests -run TestPlainRulesFile -update
# A plain Prometheus rules file for Prometheus without the Prometheus
# Operator (rule_files:). Unit tests: rules_test.yaml (promtool test rules).
`

// plainRules returns the PrometheusRule's spec.groups as a rules file,
// keeping key order and comments.
func plainRules(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(t), prometheusRuleFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", prometheusRuleFile, err)
	}
	spec := lookup(doc.Content[0], "spec")
	if spec == nil || lookup(spec, "groups") == nil || len(spec.Content) != 2 {
		t.Fatalf("%s: want spec with exactly one key, groups", prometheusRuleFile)
	}
	var buf bytes.Buffer
	buf.WriteString(plainRulesHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(spec); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// TestPlainRulesFile: docs/alerts/rules.yaml is exactly the PrometheusRule's
// groups.
func TestPlainRulesFile(t *testing.T) {
	want := plainRules(t)
	path := filepath.Join(Root(t), plainRulesFile)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is stale (err %v): run go test ./test/manifests -run TestPlainRulesFile -update", plainRulesFile, err)
	}
}

// TestAlertRules runs Prometheus's own checks: `promtool check rules` (syntax,
// PromQL, templates) and `promtool test rules` (every alert fires, and does
// not fire, when it should).
func TestAlertRules(t *testing.T) {
	dir := filepath.Join(Root(t), "docs", "alerts")
	out := RunPromtool(t, dir, nil, "check", "rules", "--lint=all", "--lint-fatal", "rules.yaml")
	t.Logf("promtool check rules:\n%s", out)
	out = RunPromtool(t, dir, nil, "test", "rules", "rules_test.yaml")
	t.Logf("promtool test rules:\n%s", out)
}

type ruleFile struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Alert       string
			Record      string
			Expr        string
			For         string
			Labels      map[string]string
			Annotations map[string]string
		}
	}
}

type ruleTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	}
}

func readYAML(t *testing.T, rel string, into any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// TestEveryAlertTested: each alert has a unit test where it fires and one
// where it does not; each has a severity, a summary, a description and a
// runbook.
func TestEveryAlertTested(t *testing.T) {
	var rules ruleFile
	readYAML(t, plainRulesFile, &rules)
	var tests ruleTests
	readYAML(t, rulesTestFile, &tests)
	firing, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts = append(alerts, r.Alert)
			if !firing[r.Alert] || !silent[r.Alert] {
				t.Errorf("%s: tested firing %v, not firing %v; want both in %s", r.Alert, firing[r.Alert], silent[r.Alert], rulesTestFile)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[a] == "" {
					t.Errorf("%s: no %s annotation", r.Alert, a)
				}
			}
		}
	}
	// The list: operator down, reconcile errors, pool
	// Degraded/Faulted/Offline, nearly full, workqueue backing up.
	for _, want := range []string{"DiskPoolOperatorDown", "DiskPoolReconcileErrors", "DiskPoolDegraded", "DiskPoolFaulted",
		"DiskPoolOffline", "DiskPoolNearlyFull", "DiskPoolWorkqueueBacklog"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
	for name := range firing {
		if !slices.Contains(alerts, name) {
			t.Errorf("%s tests alert %s, which does not exist", rulesTestFile, name)
		}
	}
}
