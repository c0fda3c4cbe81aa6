package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/test/manifests"
)

// ociArchive is an OCI image-layout tar read into memory.
type ociArchive map[string][]byte

func readArchive(t *testing.T, path string) ociArchive {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	a := ociArchive{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return a
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		a[h.Name] = data
	}
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
}

func (a ociArchive) blob(t *testing.T, digest string, v any) []byte {
	t.Helper()
	data, ok := a["blobs/"+strings.Replace(digest, ":", "/", 1)]
	if !ok {
		t.Fatalf("no blob %s", digest)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// image is what the tests read from an archive.
type image struct {
	name, digest string
	user         string
	entrypoint   []string
	labels       map[string]string
	files        map[string][]byte // regular files of the only layer
	entries      []string
}

func readImage(t *testing.T, path string) image {
	t.Helper()
	a := readArchive(t, path)
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(a["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v, %d manifests", err, len(index.Manifests))
	}
	m := index.Manifests[0]
	var manifest struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	a.blob(t, m.Digest, &manifest)
	var cfg struct {
		Config struct {
			User       string            `json:"User"`
			Entrypoint []string          `json:"Entrypoint"`
			Labels     map[string]string `json:"Labels"`
		} `json:"config"`
	}
	a.blob(t, manifest.Config.Digest, &cfg)
	if len(manifest.Layers) != 1 {
		t.Fatalf("%d layers, want 1", len(manifest.Layers))
	}
	img := image{name: m.Annotations["io.containerd.image.name"], digest: m.Digest, user: cfg.Config.User,
		entrypoint: cfg.Config.Entrypoint, labels: cfg.Config.Labels, files: map[string][]byte{}}
	zr, err := gzip.NewReader(bytes.NewReader(a.blob(t, manifest.Layers[0].Digest, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		img.entries = append(img.entries, h.Name)
		if h.Typeflag == tar.TypeReg {
			if img.files[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	return img
}

func buildImages(t *testing.T, out string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(manifests.Root(t), "scripts", "build-images.sh"))
	cmd.Env = append(os.Environ(), "IMAGES_OUT="+out, "IMAGE_TAG=test", "GIT_COMMIT=0123abc", "SOURCE_DATE_EPOCH=1700000000")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build-images.sh: %v\n%s", err, b)
	}
}

// TestImages builds the images twice, as `make images` does, and checks
// they are identical (reproducible digests) and what they hold: the static
// binary as entrypoint, the nonroot user, OCI labels, and no shell.
func TestImages(t *testing.T) {
	if testing.Short() {
		t.Skip("Skipping: builds the images, not run with -short")
	}
	a, b := t.TempDir(), t.TempDir()
	buildImages(t, a)
	buildImages(t, b)
	for _, bin := range append(slices.Clone(Binaries), "pause") {
		t.Run(bin, func(t *testing.T) {
			first := readImage(t, filepath.Join(a, bin+".tar"))
			second := readImage(t, filepath.Join(b, bin+".tar"))
			if first.digest != second.digest {
				t.Errorf("two builds, two digests: %s and %s", first.digest, second.digest)
			}
			if bin != "pause" && first.name != "ghcr.io/diskpool/"+bin+":test" {
				t.Errorf("image name %q", first.name)
			}
			if first.user != "65532:65532" {
				t.Errorf("user %q, want 65532:65532", first.user)
			}
			if !slices.Equal(first.entrypoint, []string{"/" + bin}) {
				t.Errorf("entrypoint %q", first.entrypoint)
			}
			for _, k := range []string{"title", "source", "version", "revision", "created"} {
				if first.labels["org.opencontainers.image."+k] == "" {
					t.Errorf("no label org.opencontainers.image.%s: %v", k, first.labels)
				}
			}
			if got := first.labels["org.opencontainers.image.revision"]; got != "0123abc" {
				t.Errorf("revision label %q", got)
			}
			for _, e := range first.entries {
				if base := filepath.Base(e); base == "sh" || base == "bash" || base == "busybox" {
					t.Errorf("the image has a shell: %s", e)
				}
			}
			f, err := elf.NewFile(bytes.NewReader(first.files[bin]))
			if err != nil {
				t.Fatalf("/%s: %v", bin, err)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("/%s is dynamically linked", bin)
				}
			}
		})
	}
}
