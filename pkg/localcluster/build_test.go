package localcluster

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuildBinaryAndRun(t *testing.T) {
	if testing.Short() {
		t.Skip("Skipping: runs go build")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin, err := BuildBinary(ctx, "./pkg/localcluster/testdata/hello", dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "hello"); bin != want {
		t.Errorf("BuildBinary = %s, want %s", bin, want)
	}
	p, err := StartProcess(ProcessConfig{
		Name:    "hello",
		Path:    bin,
		Args:    []string{"local", "cluster"},
		Env:     []string{"HELLO_GREETING=hi"},
		LogPath: filepath.Join(dir, "hello.log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("hello: %v\n%s", err, p.LogTail(10))
	}
	if got := p.LogTail(1); got != "hi local cluster" {
		t.Errorf("hello printed %q, want %q", got, "hi local cluster")
	}
}

func TestBuildBinaryReportsCompileErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("Skipping: runs go build")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := BuildBinary(ctx, "./pkg/localcluster/testdata/missing", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "build ./pkg/localcluster/testdata/missing") {
		t.Errorf("BuildBinary(missing) = %v, want an error naming the package", err)
	}
}
