package localenv

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

func TestWaitAddresses(t *testing.T) {
	dir := t.TempDir()
	start := func(script string) *localcluster.Process {
		t.Helper()
		p, err := localcluster.StartProcess(localcluster.ProcessConfig{
			Name: "sh", Path: "/bin/sh", Args: []string{"-c", script}, LogPath: filepath.Join(dir, "sh.log"),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Stop() })
		return p
	}

	path := filepath.Join(dir, "writes.addr")
	// Written the way addrfile.Write does: whole, by rename.
	p := start(`printf 'grpc 127.0.0.1:4001\nmetrics 127.0.0.1:4002\n' > "` + path + `.tmp" && mv "` + path + `.tmp" "` + path + `" && exec sleep 30`)
	got, err := WaitAddresses(t.Context(), p, path, 20*time.Second, "grpc", "metrics")
	if err != nil {
		t.Fatal(err)
	}
	if got["grpc"] != "127.0.0.1:4001" || got["metrics"] != "127.0.0.1:4002" {
		t.Errorf("WaitAddresses = %v", got)
	}

	p = start(`exit 3`)
	if _, err := WaitAddresses(t.Context(), p, filepath.Join(dir, "never.addr"), 20*time.Second, "grpc"); !errors.Is(err, errExited) {
		t.Errorf("a process that exits without writing: %v, want errExited", err)
	}

	missing := filepath.Join(dir, "partial.addr")
	p = start(`printf 'grpc 127.0.0.1:4001\n' > "` + missing + `" && exec sleep 30`)
	if _, err := WaitAddresses(t.Context(), p, missing, 20*time.Second, "grpc", "metrics"); err == nil {
		t.Error("a file without the metrics server was accepted")
	}
}
