package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubectl runs the cluster's kubectl as the admin and returns its stdout;
// it fails the test on error.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kubectlErr runs kubectl, bounded to 5 minutes, returning its stdout and
// an error with its stderr.
func kubectlErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := node.Control().KubectlCommand(ctx, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

// shell runs a bash script in dir with kubectl on PATH and KUBECONFIG set,
// as a user following the docs would.
func shell(t *testing.T, dir, script string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kubectlDir := filepath.Dir(node.Control().Binaries().Kubectl)
	link := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(link, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(node.Control().Binaries().Kubectl, filepath.Join(link, "kubectl")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+link+":"+kubectlDir+":"+os.Getenv("PATH"), "KUBECONFIG="+node.KubeconfigPath())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s\nscript:\n%s", err, out, script)
	}
}

// docBlocks returns the ```sh blocks of docs/operations.md that follow the
// marker, in order.
func docBlocks(t *testing.T, marker string, n int) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), marker)
	if !ok {
		t.Fatalf("docs/operations.md: no %q", marker)
	}
	var blocks []string
	for range n {
		var block string
		if _, rest, ok = strings.Cut(rest, "```sh\n"); ok {
			block, rest, ok = strings.Cut(rest, "```")
		}
		if !ok {
			t.Fatalf("docs/operations.md: fewer than %d ```sh blocks after %q", n, marker)
		}
		blocks = append(blocks, block)
	}
	return blocks
}

// run runs a host command bounded to a minute, failing the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
