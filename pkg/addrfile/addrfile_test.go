package addrfile

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "addr")
	if _, err := Read(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read before Write: %v, want fs.ErrNotExist", err)
	}
	want := map[string]string{"grpc": "127.0.0.1:40321", "metrics": "[::1]:36011"}
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "grpc 127.0.0.1:40321\nmetrics [::1]:36011\n" {
		t.Errorf("file:\n%s", data)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("Read = %v, want %v", got, want)
	}
	// A second Write replaces the file whole.
	if err := Write(path, map[string]string{"grpc": "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := Read(path); len(got) != 1 || got["grpc"] != "127.0.0.1:1" {
		t.Errorf("after rewrite: %v", got)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".addr.tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestWriteRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "addr")
	for _, addrs := range []map[string]string{{"": "127.0.0.1:1"}, {"a b": "127.0.0.1:1"}, {"grpc": "127.0.0.1:1\nx"}} {
		if err := Write(path, addrs); err == nil {
			t.Errorf("Write(%q) succeeded", addrs)
		}
	}
}

func TestReadRejects(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"no-space": "grpc\n", "no-port": "grpc 127.0.0.1\n"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := Read(path); err == nil {
			t.Errorf("Read(%q) = %v, want an error", content, got)
		}
	}
}
