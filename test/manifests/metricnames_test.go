package manifests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	diskpoolName = regexp.MustCompile(`\bdiskpool_[a-z0-9_]*[a-z0-9]\b`)
	metricRow    = regexp.MustCompile("(?m)^\\| `(diskpool_[a-z0-9_]+)` \\|")
	goString     = regexp.MustCompile(`"(diskpool_[a-z0-9_]+)"`)
)

// TestDocumentedMetricNamesExist: every diskpool_ name README.md and
// docs/*.md use is a row of docs/metrics.md (whose rows test/metricslint
// checks against real scrapes: name, type, labels) or a string of the Go
// source (such as the diskpool_label signature name).
func TestDocumentedMetricNamesExist(t *testing.T) {
	rows := map[string]bool{}
	for _, m := range metricRow.FindAllStringSubmatch(readDoc(t, "docs/metrics.md"), -1) {
		rows[m[1]] = true
	}
	if len(rows) < 20 {
		t.Fatalf("docs/metrics.md: %d metric rows; the pattern is broken", len(rows))
	}
	code := map[string]bool{}
	for _, dir := range []string{"pkg", "cmd"} {
		err := filepath.WalkDir(filepath.Join(Root(t), dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, err := os.ReadFile(p)
			for _, m := range goString.FindAllSubmatch(b, -1) {
				code[string(m[1])] = true
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range docFiles(t) {
		for _, n := range diskpoolName.FindAllString(readDoc(t, name), -1) {
			if !rows[n] && !code[n] {
				t.Errorf("%s names %s, which is neither a docs/metrics.md row nor in the Go source", name, n)
			}
		}
	}
}
