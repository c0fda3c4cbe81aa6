package localcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
)

// BuildBinary builds the main package pkg of this module (an import path such
// as ModulePath+"/cmd/diskpool-agent", or a path relative to the repository
// root such as "./cmd/diskpool-agent") into outDir and returns the path of
// the executable, named after the package's last element. Extra go build
// flags (for example "-race") come before the package.
func BuildBinary(ctx context.Context, pkg, outDir string, flags ...string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	out, err := filepath.Abs(filepath.Join(outDir, path.Base(pkg)))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", pkg, err, output.Bytes())
	}
	return out, nil
}
