package manifests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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

// conditionReasons returns the Ready condition reasons of pkg/reconcile
// (the constants of reasons.go before the "Event-only reasons" group).
func conditionReasons(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(Root(t), "pkg", "reconcile", "reasons.go"), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if vs.Doc != nil && strings.Contains(vs.Doc.Text(), "Event-only") {
				return out
			}
			for i, name := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && strings.HasPrefix(name.Name, "Reason") {
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, v)
				}
			}
		}
	}
	t.Fatal("pkg/reconcile/reasons.go: no Event-only group; update conditionReasons")
	return nil
}

// TestConditionReasonsDocumented: every Ready condition reason the state
// machine can write has a row in docs/operations.md saying what to do.
func TestConditionReasonsDocumented(t *testing.T) {
	doc := readDoc(t, "docs/operations.md")
	reasons := conditionReasons(t)
	if len(reasons) < 14 {
		t.Fatalf("found only %d reasons: %v", len(reasons), reasons)
	}
	// Also the ones the issue names, in case reasons.go is reorganised.
	reasons = append(reasons, "NodeNotFound", "AgentUnavailable", "DiskNotFound", "DiskInUse", "ForeignPool",
		"DiskClaimed", "PoolNameTaken", "DiskNotAllowed", "InvalidSpec", "PoolInUse", "PoolMissing",
		"Terminating", "CreateFailed", "DestroyFailed")
	for _, r := range reasons {
		if !strings.Contains(doc, "\n| `"+r+"` |") {
			t.Errorf("docs/operations.md: no table row for reason %s", r)
		}
	}
}
