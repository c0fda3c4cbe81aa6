// Package metricslint scrapes /metrics of a running operator and agent
// (pkg/localenv: real control plane, real processes, two pools created) and
// runs each scrape through Prometheus's own linter, `promtool check
// metrics`; every diskpool_ family they export must be listed in
// docs/metrics.md.
package metricslint

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster/localclustertest"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
	"github.com/diskpool/diskpool-operator/test/manifests"
)

var rows = flag.Bool("rows", false, "log a docs/metrics.md table row for every diskpool_ family scraped")

const (
	startTimeout = 4 * time.Minute // includes building both binaries on a cold cache
	poolTimeout  = 90 * time.Second
	namespace    = "diskpool-lint"
)

func scrape(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s %v", url, resp.Status, err)
	}
	return body
}

// family is what an exposition says about one metric family.
type family struct {
	typ, help string
	labels    map[string]bool
}

// families returns the metric families of an exposition.
func families(t *testing.T, body []byte) map[string]*family {
	t.Helper()
	parsed, err := metrics.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse the exposition: %v", err)
	}
	out := map[string]*family{}
	for name, mf := range parsed {
		f := &family{typ: strings.ToLower(mf.GetType().String()), help: mf.GetHelp(), labels: map[string]bool{}}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				f.labels[l.GetName()] = true
			}
		}
		out[name] = f
	}
	return out
}

func (f *family) labelList() string {
	var ls []string
	for l := range f.labels {
		ls = append(ls, "`"+l+"`")
	}
	sort.Strings(ls)
	return strings.Join(ls, ", ")
}

// docRow is what a docs/metrics.md table row says of a metric.
type docRow struct {
	typ    string
	labels string // as labelList writes them
}

var tableRow = regexp.MustCompile("(?m)^\\| `(diskpool_[a-z0-9_]+)` \\| ([a-z]+) \\|([^|]*)\\|")

// docRows returns the metric table rows of docs/metrics.md by name.
func docRows(doc string) map[string]docRow {
	out := map[string]docRow{}
	for _, m := range tableRow.FindAllStringSubmatch(doc, -1) {
		var ls []string
		for _, l := range strings.Split(m[3], ",") {
			if l = strings.TrimSpace(l); l != "" && l != "—" && l != "-" {
				ls = append(ls, l)
			}
		}
		sort.Strings(ls)
		out[m[1]] = docRow{typ: m[2], labels: strings.Join(ls, ", ")}
	}
	return out
}

// goStringLiterals returns the string literals of the non-test Go files
// under pkg/ and cmd/.
func goStringLiterals(t *testing.T) map[string]bool {
	t.Helper()
	lit := regexp.MustCompile(`"([a-z0-9_]+)"`)
	out := map[string]bool{}
	for _, dir := range []string{"pkg", "cmd"} {
		err := filepath.WalkDir(filepath.Join(manifests.Root(t), dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range lit.FindAllSubmatch(b, -1) {
				out[string(m[1])] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// literalWithSuffix reports whether fam is diskpool_<subsystem>_<name>
// with <name> a literal ending in last (metrics built from Namespace,
// Subsystem and Name options).
func literalWithSuffix(literals map[string]bool, fam, last string) bool {
	rest := strings.TrimPrefix(fam, "diskpool_")
	for i, c := range rest {
		if c == '_' && literals[rest[i+1:]] && strings.HasSuffix(rest[i+1:], last) {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// TestDocRows: the table parser reads the rows of docs/metrics.md, types
// and labels included, so the checks against scrapes below compare
// something.
func TestDocRows(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(manifests.Root(t), "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := docRows(string(doc))
	if len(rows) < 20 {
		t.Fatalf("parsed %d metric rows from docs/metrics.md, want at least 20: %v", len(rows), rows)
	}
	if got, want := rows["diskpool_reconcile_total"], (docRow{"counter", "`kind`, `result`"}); got != want {
		t.Errorf("diskpool_reconcile_total row = %+v, want %+v", got, want)
	}
}

func TestScrapedMetricsLint(t *testing.T) {
	localclustertest.Binaries(t) // skips in -short, or when the control plane is not built
	manifests.Promtool(t)        // build it before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout+poolTimeout)
	defer cancel()
	env, err := localenv.Start(ctx, localenv.Options{
		WorkDir:       t.TempDir(),
		UnsafeNoFsync: true,
		DisksPerNode:  1,
		DiskSize:      64 << 20,
		Namespaces:    []string{namespace},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	if _, _, err := env.ApplySamples(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	// Wait until the operator exports the per-pool series, so they are
	// linted too.
	var operator []byte
	deadline := time.Now().Add(poolTimeout)
	for {
		operator = scrape(t, ctx, env.OperatorMetricsURL())
		if strings.Count(string(operator), "\ndiskpool_pool_capacity_bytes{") >= len(env.Nodes()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no per-pool capacity after %v:\n%s", poolTimeout, operator)
		}
		time.Sleep(500 * time.Millisecond)
	}

	doc, err := os.ReadFile(filepath.Join(manifests.Root(t), "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := docRows(string(doc))
	targets := map[string][]byte{"operator": operator}
	for _, n := range env.Nodes() {
		targets["agent "+n] = scrape(t, ctx, env.AgentMetricsURL(n))
	}
	scraped := map[string]bool{}
	for _, body := range targets {
		for fam := range families(t, body) {
			scraped[fam] = true
		}
	}
	t.Run("every row exported", func(t *testing.T) {
		literals := goStringLiterals(t)
		for fam := range documented {
			if scraped[fam] {
				continue
			}
			// A vector with no series yet is not in a scrape: then the
			// code must at least name it.
			last := fam[strings.LastIndex(fam, "_")+1:]
			if !literals[fam] && !literalWithSuffix(literals, fam, last) {
				t.Errorf("docs/metrics.md lists %s, which neither the scrapes nor the Go source (pkg/, cmd/) contain", fam)
			}
		}
	})
	for name, body := range targets {
		t.Run(name, func(t *testing.T) {
			out := manifests.RunPromtool(t, "", body, "check", "metrics")
			if strings.TrimSpace(out) != "" {
				t.Logf("promtool check metrics:\n%s", out)
			}
			var ours []string
			for fam, f := range families(t, body) {
				if !strings.HasPrefix(fam, "diskpool_") {
					continue
				}
				ours = append(ours, fam+" ("+f.typ+")")
				if *rows {
					t.Logf("| `%s` | %s | %s | %s |", fam, f.typ, f.labelList(), f.help)
				}
				row, ok := documented[fam]
				if !ok {
					t.Errorf("%s exports %s, which docs/metrics.md does not list; its row would be:\n| `%s` | %s | %s | %s |",
						name, fam, fam, f.typ, f.labelList(), f.help)
					continue
				}
				if row.typ != f.typ {
					t.Errorf("%s exports %s as a %s; docs/metrics.md says %s", name, fam, f.typ, row.typ)
				}
				// A family with no series yet shows no labels.
				if len(f.labels) > 0 && f.labelList() != row.labels {
					t.Errorf("%s exports %s with labels %s; docs/metrics.md says %s", name, fam, orNone(f.labelList()), orNone(row.labels))
				}
			}
			sort.Strings(ours)
			t.Logf("%d diskpool_ families: %s", len(ours), strings.Join(ours, ", "))
		})
	}
}
