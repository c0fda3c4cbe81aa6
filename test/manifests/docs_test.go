package manifests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func readDoc(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		out[strings.ReplaceAll(drop.ReplaceAllString(h, ""), " ", "-")] = true
	}
	return out
}

// TestRunbooks: every alert's runbook_url points at a heading that exists.
func TestRunbooks(t *testing.T) {
	const prefix = "https://github.com/diskpool/diskpool-operator/blob/main/"
	var rules ruleFile
	readYAML(t, plainRulesFile, &rules)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			url := r.Annotations["runbook_url"]
			if r.Alert == "" {
				continue
			}
			file, anchor, ok := strings.Cut(strings.TrimPrefix(url, prefix), "#")
			if !strings.HasPrefix(url, prefix) || !ok {
				t.Errorf("%s: runbook_url %q is not %s<file>#<anchor>", r.Alert, url, prefix)
				continue
			}
			if !anchors(readDoc(t, file))[anchor] {
				t.Errorf("%s: %s has no heading for #%s", r.Alert, file, anchor)
			}
		}
	}
}
