package manifests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// reconcileCode is what pkg/reconcile's Go source (tests excluded) says
// about reasons: every Reason constant, and how each is used.
type reconcileCode struct {
	// values maps constant name to value.
	values map[string]string
	// ready maps a reason value to the Ready statuses of the condition
	// literals that name it directly.
	ready map[string]map[string]bool
	// eventOnly: every use of the reason is inside an Event literal.
	eventOnly map[string]bool
	// used: the reason is used outside its own declaration.
	used map[string]bool
	// viaVariable: the reason is returned, assigned, or passed to
	// failing, the ways a reason reaches a condition literal through a
	// variable.
	viaVariable map[string]bool
	// variableStatuses are the statuses of condition literals whose reason
	// is not a constant (a variable or a call).
	variableStatuses map[string]bool
}

func parseReconcile(t *testing.T) *reconcileCode {
	t.Helper()
	parsed := parsePackage(t, "pkg", "reconcile")
	rc := &reconcileCode{values: reasonConsts(t, parsed), ready: map[string]map[string]bool{},
		eventOnly: map[string]bool{}, used: map[string]bool{}, viaVariable: map[string]bool{}, variableStatuses: map[string]bool{}}
	inEvent := map[string]int{}
	uses := map[string]int{}
	for _, f := range parsed {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			switch x := n.(type) {
			case *ast.CompositeLit:
				if id, ok := x.Type.(*ast.Ident); ok && id.Name == "condition" && len(x.Elts) >= 2 {
					status := ""
					if sel, ok := x.Elts[0].(*ast.SelectorExpr); ok {
						status = strings.TrimPrefix(sel.Sel.Name, "Condition")
					}
					if r, ok := x.Elts[1].(*ast.Ident); ok && rc.values[r.Name] != "" {
						v := rc.values[r.Name]
						if rc.ready[v] == nil {
							rc.ready[v] = map[string]bool{}
						}
						rc.ready[v][status] = true
					} else {
						rc.variableStatuses[status] = true
					}
				}
			case *ast.Ident:
				v, ok := rc.values[x.Name]
				if !ok || x.Obj != nil && x.Obj.Kind == ast.Con && isDecl(stack) {
					return true
				}
				uses[v]++
				for _, s := range stack {
					if isEventLit(s) {
						inEvent[v]++
						break
					}
				}
				if len(stack) >= 2 && flowsToCondition(stack[len(stack)-2], x) || passedThrough(stack, x) {
					rc.viaVariable[v] = true
				}
			}
			return true
		})
	}
	for v, n := range uses {
		rc.used[v] = true
		rc.eventOnly[v] = inEvent[v] == n
	}
	return rc
}

// isEventLit reports whether n is an Event literal, written out or elided
// in a []Event.
func isEventLit(n ast.Node) bool {
	cl, ok := n.(*ast.CompositeLit)
	if !ok {
		return false
	}
	if at, ok := cl.Type.(*ast.ArrayType); ok {
		id, ok := at.Elt.(*ast.Ident)
		return ok && id.Name == "Event"
	}
	id, ok := cl.Type.(*ast.Ident)
	return ok && id.Name == "Event"
}

// flowsToCondition reports whether the reason constant id, a child of
// parent, is returned, assigned, or passed to failing.
func flowsToCondition(parent ast.Node, id *ast.Ident) bool {
	switch p := parent.(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.AssignStmt:
		return slices.ContainsFunc(p.Rhs, func(e ast.Expr) bool { return e == id })
	case *ast.CallExpr:
		if sel, ok := p.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "failing" {
			return len(p.Args) > 0 && p.Args[0] == id
		}
	}
	return false
}

// passedThrough reports whether id is a case of a switch on a variable
// whose clause returns that variable: `switch r { case ReasonX: return r }`.
func passedThrough(stack []ast.Node, id *ast.Ident) bool {
	if len(stack) < 4 {
		return false
	}
	cc, ok := stack[len(stack)-2].(*ast.CaseClause)
	if !ok || !slices.ContainsFunc(cc.List, func(e ast.Expr) bool { return e == id }) {
		return false
	}
	sw, ok := stack[len(stack)-4].(*ast.SwitchStmt)
	if !ok {
		return false
	}
	tag, ok := sw.Tag.(*ast.Ident)
	if !ok {
		return false
	}
	for _, st := range cc.Body {
		if ret, ok := st.(*ast.ReturnStmt); ok && len(ret.Results) == 1 {
			if r, ok := ret.Results[0].(*ast.Ident); ok && r.Name == tag.Name {
				return true
			}
		}
	}
	return false
}

// isDecl reports whether the innermost nodes are a constant declaration.
func isDecl(stack []ast.Node) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		if _, ok := stack[i].(*ast.ValueSpec); ok {
			return true
		}
	}
	return false
}

// conditionRow is a row of the reasons table in docs/operations.md.
var conditionRow = regexp.MustCompile("(?m)^\\| `([A-Za-z]+)` \\| ([^|]+) \\|")

// TestConditionTableMatchesCode: the reasons table of docs/operations.md
// has exactly one row per reason pkg/reconcile writes, no row for a reason
// it does not write, and its Ready column is what the code writes: the
// statuses of the condition literals naming the reason, False for a reason
// that reaches the condition only through a variable (every such literal
// is False), and "—" for a reason only ever used in events.
func TestConditionTableMatchesCode(t *testing.T) {
	rc := parseReconcile(t)
	if len(rc.values) < 20 {
		t.Fatalf("found only %d Reason constants in pkg/reconcile", len(rc.values))
	}
	if len(rc.variableStatuses) != 1 || !rc.variableStatuses["False"] {
		t.Fatalf("condition literals with a variable reason have statuses %v; this test assumes only False: extend it", rc.variableStatuses)
	}
	doc := readDoc(t, "docs/operations.md")
	rows := map[string]string{}
	for _, m := range conditionRow.FindAllStringSubmatch(doc, -1) {
		if m[1] == "reason" {
			continue
		}
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	known := map[string]bool{}
	for _, v := range rc.values {
		known[v] = true
	}
	for r, ready := range rows {
		if !known[r] {
			t.Errorf("docs/operations.md has a row for %s, which is no reason of pkg/reconcile", r)
			continue
		}
		if !rc.used[r] {
			t.Errorf("docs/operations.md has a row for %s, which pkg/reconcile never writes", r)
			continue
		}
		want := rc.statuses(r)
		if len(want) == 0 {
			if !strings.HasPrefix(ready, "—") {
				t.Errorf("docs/operations.md: %s is only an event reason in pkg/reconcile, but its Ready column says %q", r, ready)
			}
			continue
		}
		got := strings.Split(strings.ReplaceAll(ready, " ", ""), ",")
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("docs/operations.md: %s has Ready %q; pkg/reconcile writes %v", r, ready, want)
		}
	}
	for v := range rc.used {
		if len(rc.statuses(v)) == 0 {
			continue // event reasons: TestEventReasonsInDocsExist
		}
		if _, ok := rows[v]; !ok {
			t.Errorf("docs/operations.md: no table row for reason %s, which pkg/reconcile writes", v)
		}
	}
}

// statuses are the Ready statuses pkg/reconcile writes with reason v,
// sorted; none for a reason only used in events or compared against.
func (rc *reconcileCode) statuses(v string) []string {
	var out []string
	for s := range rc.ready[v] {
		out = append(out, s)
	}
	if rc.viaVariable[v] && !rc.eventOnly[v] {
		out = append(out, "False")
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// eventMention is a reason the docs name as an event: "`Purged` Warning
// event", "an `Adopted` event", "its `PoolReleased` event".
var eventMention = regexp.MustCompile("`([A-Z][A-Za-z]+)`(?: (?:Warning|Normal))? events?\\b")

// TestEventReasonsInDocsExist: every reason the docs name as an event is
// one pkg/reconcile writes.
func TestEventReasonsInDocsExist(t *testing.T) {
	rc := parseReconcile(t)
	inv := inventoryReasons(t)
	docs := docFiles(t)
	found := 0
	for _, name := range docs {
		for _, m := range eventMention.FindAllStringSubmatch(readDoc(t, name), -1) {
			found++
			if !rc.used[m[1]] && !inv[m[1]] {
				t.Errorf("%s names event %s, which neither pkg/reconcile nor pkg/inventory writes", name, m[1])
			}
		}
	}
	if found < 3 {
		t.Fatalf("found %d event mentions in %v; the pattern is broken", found, docs)
	}
}

// docFiles are README.md and docs/*.md, relative to the root.
func docFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(Root(t), "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, n := range names {
		out = append(out, filepath.Join("docs", filepath.Base(n)))
	}
	if _, err := os.Stat(filepath.Join(Root(t), "README.md")); err != nil {
		t.Fatal(err)
	}
	return out
}

// inventoryReasons are the values of the Reason constants of pkg/inventory
// (the OrphanPool event on a Node), which its publisher writes.
func inventoryReasons(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, v := range reasonConsts(t, parsePackage(t, "pkg", "inventory")) {
		out[v] = true
	}
	if !out["OrphanPool"] {
		t.Fatalf("no OrphanPool reason found in pkg/inventory: the parse is broken (%v)", out)
	}
	return out
}

// parsePackage parses the Go files, tests left out, of the directory at
// path below the repository root.
func parsePackage(t *testing.T, path ...string) []*ast.File {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(append([]string{Root(t)}, append(path, "*.go")...)...))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	return parsed
}

// reasonConsts maps the string constants named Reason* declared in files
// to their values.
func reasonConsts(t *testing.T, files []*ast.File) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) || !strings.HasPrefix(n.Name, "Reason") {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, err := strconv.Unquote(lit.Value)
						if err != nil {
							t.Fatal(err)
						}
						out[n.Name] = v
					}
				}
			}
		}
	}
	return out
}
