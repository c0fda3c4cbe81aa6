package manifests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagName is a long flag as the docs write it: --name, --name=value.
var flagName = regexp.MustCompile(`(?:^|[\s\x60(\[])--([a-z][a-z0-9-]*[a-z0-9])`)

// helpFlag is a flag in --help output: pflag's "--name", flag's "-name".
var helpFlag = regexp.MustCompile(`(?m)^\s+(?:-[a-z], )?--?([a-z][a-z0-9-]*)`)

// helpOf runs a command with --help and returns the flags it lists.
func helpOf(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	return flagsOf(t, append(args, "--help")...)
}

// flagsOf runs a command and returns the flags its output lists.
func flagsOf(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	out, _ := exec.CommandContext(t.Context(), args[0], args[1:]...).CombinedOutput() // flag exits 0 or 2 on --help
	flags := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if len(flags) == 0 {
		t.Fatalf("%s --help lists no flags:\n%s", strings.Join(args, " "), out)
	}
	return flags
}

// projectFlags builds the project's binaries and returns the flags their
// --help lists: the operator, its migrate-mayastorpools command, the agent
// and each diskpool-localenv command.
func projectFlags(t *testing.T) map[string]bool {
	t.Helper()
	bin := t.TempDir()
	for _, cmd := range []string{"diskpool-operator", "diskpool-agent", "diskpool-localenv", "kubectl-diskpool"} {
		build := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(bin, cmd), "./cmd/"+cmd)
		build.Dir = Root(t)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", cmd, err, out)
		}
	}
	all := map[string]bool{}
	for _, args := range [][]string{
		{"diskpool-operator"}, {"diskpool-operator", "migrate-mayastorpools"}, {"diskpool-operator", "recover"}, {"diskpool-agent"},
		{"kubectl-diskpool"},
		{"diskpool-localenv", "run"}, {"diskpool-localenv", "up"}, {"diskpool-localenv", "down"},
	} {
		args[0] = filepath.Join(bin, args[0])
		for f := range helpOf(t, args...) {
			all[f] = true
		}
	}
	return all
}

// kubectlWord is a command or resource word of a kubectl command line.
var kubectlWord = regexp.MustCompile(`^[a-z][a-z-]*$`)

// foreignFlags are the flags of the other tools the docs show: the
// kube-apiserver, blockdev, and each kubectl command a doc line runs.
func foreignFlags(t *testing.T, line string, kubectl string) map[string]bool {
	t.Helper()
	all := map[string]bool{}
	for rest := line; ; {
		i := strings.Index(rest, "kubectl ")
		if i < 0 {
			return all
		}
		rest = rest[i+len("kubectl "):]
		for f := range kubectlFlags(t, rest, kubectl) {
			all[f] = true
		}
	}
}

// kubectlFlags returns the flags of the kubectl command whose arguments
// start args.
func kubectlFlags(t *testing.T, args string, kubectl string) map[string]bool {
	t.Helper()
	var cmd []string
	fields := strings.Fields(args)
	for j := 0; j < len(fields) && len(cmd) < 3; j++ {
		f := strings.Trim(fields[j], "`")
		switch {
		case f == "-n" || f == "--namespace" || f == "-l":
			j++
		case strings.HasPrefix(f, "-"):
		case kubectlWord.MatchString(f):
			cmd = append(cmd, f)
		default:
			j = len(fields)
		}
	}
	if len(cmd) == 0 || cmd[0] == "diskpool" {
		// Prose about kubectl: its global options only; `kubectl diskpool`
		// is our plugin, whose flags projectFlags has.
		return map[string]bool{}
	}
	return helpOf(t, append([]string{kubectl}, cmd...)...)
}

// TestDocumentedFlagsExist: every --flag README.md and docs/*.md name is
// one that a project binary's --help lists, or, on a line that runs
// kubectl, one of that kubectl command, or one of kube-apiserver, etcd or
// blockdev (the other tools the docs show).
func TestDocumentedFlagsExist(t *testing.T) {
	if testing.Short() {
		t.Skip("Skipping: builds the binaries")
	}
	kubectl := Kubectl(t) // skips, as it does, without the control plane
	apiserver := filepath.Join(filepath.Dir(kubectl), "kube-apiserver")
	if !fileExists(apiserver) {
		t.Fatalf("%s is not built beside %s (make controlplane): its flags are named in the docs", apiserver, kubectl)
	}
	etcd := filepath.Join(filepath.Dir(kubectl), "etcd")
	if !fileExists(etcd) {
		t.Fatalf("%s is not built beside %s (make controlplane): its flags are named in the docs", etcd, kubectl)
	}
	ours := projectFlags(t)
	other := map[string]bool{}
	for _, bin := range []string{apiserver, etcd} {
		for f := range helpOf(t, bin) {
			other[f] = true
		}
	}
	if bd, err := exec.LookPath("blockdev"); err == nil {
		for f := range helpOf(t, bd) {
			other[f] = true
		}
	}
	global := flagsOf(t, kubectl, "options")
	checked := 0
	for _, name := range docFiles(t) {
		for n, line := range logicalLines(readDoc(t, name)) {
			ms := flagName.FindAllStringSubmatch(line, -1)
			if len(ms) == 0 {
				continue
			}
			var kube map[string]bool
			if strings.Contains(line, "kubectl ") {
				kube = foreignFlags(t, line, kubectl)
			}
			for _, m := range ms {
				f := m[1]
				checked++
				if ours[f] || other[f] || kube[f] || kube != nil && global[f] {
					continue
				}
				if strings.HasSuffix(line[strings.Index(line, "--"+f)+len(f)+2:], "*") || strings.HasPrefix(line[strings.Index(line, "--"+f)+len(f)+2:], "-*") {
					continue // a family, like --agent-tls-*
				}
				t.Errorf("%s:%d names --%s, which no binary's --help lists: %s", name, n+1, f, strings.TrimSpace(line))
			}
		}
	}
	if checked < 30 {
		t.Fatalf("checked only %d flags; the pattern is broken", checked)
	}
}

// logicalLines maps the 0-based number of each line's first physical line
// to the line, with shell lines continued by a backslash joined into one.
func logicalLines(doc string) map[int]string {
	out := map[int]string{}
	start, cur := -1, ""
	for n, l := range strings.Split(doc, "\n") {
		if start < 0 {
			start = n
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		out[start] = cur + l
		start, cur = -1, ""
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// portMention is a port the docs name: ":10124", "port 10124".
var portMention = regexp.MustCompile(`(?:^|[\s\x60(])(?::|port )(\d{4,5})\b`)

// TestDocumentedPortsExist: every port the docs name is a default in a
// project binary's --help or a port of the rendered manifests.
func TestDocumentedPortsExist(t *testing.T) {
	known := map[string]bool{}
	yaml := RenderYAML(t, Kubectl(t), "manifests/overlays/monitoring")
	for _, m := range regexp.MustCompile(`(?:[Pp]ort: |:)(\d{4,5})\b`).FindAllSubmatch(yaml, -1) {
		known[string(m[1])] = true
	}
	if !known["10124"] || !known["8080"] {
		t.Fatalf("ports of the rendered manifests: %v; the pattern is broken", known)
	}
	checked := 0
	for _, name := range docFiles(t) {
		for n, line := range strings.Split(readDoc(t, name), "\n") {
			for _, m := range portMention.FindAllStringSubmatch(line, -1) {
				checked++
				if !known[m[1]] {
					t.Errorf("%s:%d names port %s, which the manifests do not use: %s", name, n+1, m[1], strings.TrimSpace(line))
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d ports; the pattern is broken", checked)
	}
}
