package manifests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// EnvPromtool overrides the promtool binary (otherwise scripts/promtool.sh
// builds it once into _output/tools).
const EnvPromtool = "DISKPOOL_PROMTOOL"

// Promtool returns Prometheus's promtool, building it with
// scripts/promtool.sh when needed (minutes the first time, then cached). It
// skips t in -short mode.
func Promtool(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvPromtool); p != "" {
		return p
	}
	if testing.Short() {
		t.Skip("Skipping: needs promtool (built by scripts/promtool.sh), not run with -short")
	}
	cmd := exec.Command(filepath.Join(Root(t), "scripts", "promtool.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/promtool.sh: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// RunPromtool runs promtool with args in dir (stdin optional) and fails t,
// showing its output, when it exits non-zero. It returns the output.
func RunPromtool(t testing.TB, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command(Promtool(t), args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// CheckMetrics runs `promtool check metrics` (Prometheus's linter for
// metric names, help, units and types) on a /metrics exposition.
func CheckMetrics(t testing.TB, exposition []byte) {
	t.Helper()
	RunPromtool(t, "", exposition, "check", "metrics")
}
