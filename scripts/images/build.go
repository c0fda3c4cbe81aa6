package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageSpec is one image to build.
type imageSpec struct {
	name, out, entrypoint, arch string
	files                       []pair // dest in image, src on disk
	labels                      map[string]string
	ports                       []string
	created                     time.Time
}

// build writes the image as an OCI archive and returns its manifest digest.
func build(s imageSpec) (v1.Hash, error) {
	layerTar, err := rootfsTar(s.files, s.created)
	if err != nil {
		return v1.Hash{}, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return v1.Hash{}, fmt.Errorf("layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: s.created}, CreatedBy: "scripts/images", Comment: "static binaries"},
	})
	if err != nil {
		return v1.Hash{}, fmt.Errorf("append layer: %w", err)
	}
	if img, err = withConfig(img, s); err != nil {
		return v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("digest: %w", err)
	}
	return digest, writeArchive(img, s.name, s.out, s.created)
}

// withConfig sets the runtime configuration: nonroot user, entrypoint,
// labels, fixed creation time.
func withConfig(img v1.Image, s imageSpec) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = s.arch, "linux"
	cf.Created = v1.Time{Time: s.created}
	cf.Config.User = fmt.Sprintf("%d:%d", nonRootID, nonRootID)
	cf.Config.Entrypoint = []string{s.entrypoint}
	cf.Config.Env = []string{"PATH=/"}
	cf.Config.WorkingDir = "/"
	cf.Config.Labels = s.labels
	if len(s.ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range s.ports {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	return img, nil
}

// rootfsTar is the image's only layer, byte for byte the same for the same
// inputs.
func rootfsTar(files []pair, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := func(name string, mode int64, typ byte, size int64, uid int) *tar.Header {
		return &tar.Header{Name: name, Mode: mode, Typeflag: typ, Size: size, Uid: uid, Gid: uid,
			ModTime: mtime, AccessTime: mtime, ChangeTime: mtime, Format: tar.FormatPAX}
	}
	etc := map[string]string{
		"etc/passwd": fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonRootID, nonRootID),
		"etc/group":  fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonRootID),
	}
	dirs := map[string]int{"etc/": 0, "tmp/": 0, "home/": 0, "home/nonroot/": nonRootID}
	contents := map[string][]byte{}
	modes := map[string]int64{}
	for name, data := range etc {
		contents[name], modes[name] = []byte(data), 0o644
	}
	for _, f := range files {
		data, err := os.ReadFile(f.value)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.value, err)
		}
		name := strings.TrimPrefix(filepath.Clean(f.key), "/")
		for d := filepath.Dir(name); d != "."; d = filepath.Dir(d) {
			dirs[d+"/"] = 0
		}
		contents[name], modes[name] = data, 0o755
	}
	names := make([]string, 0, len(dirs)+len(contents))
	for d := range dirs {
		names = append(names, d)
	}
	for n := range contents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var err error
		if uid, isDir := dirs[n]; isDir {
			mode := int64(0o755)
			if n == "tmp/" {
				mode = 0o1777
			}
			err = tw.WriteHeader(hdr(n, mode, tar.TypeDir, 0, uid))
		} else if err = tw.WriteHeader(hdr(n, modes[n], tar.TypeReg, int64(len(contents[n])), 0)); err == nil {
			_, err = tw.Write(contents[n])
		}
		if err != nil {
			return nil, fmt.Errorf("layer tar %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer tar: %w", err)
	}
	return buf.Bytes(), nil
}

// writeArchive writes img as an OCI image layout and tars it into out. The
// index names the image twice: org.opencontainers.image.ref.name (OCI) and
// io.containerd.image.name, which `ctr images import` uses as the name.
func writeArchive(img v1.Image, name, out string, mtime time.Time) error {
	dir, err := os.MkdirTemp("", "oci-layout-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	err = p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": name,
		"io.containerd.image.name":          name,
	}))
	if err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	return tarDir(dir, out, mtime)
}

// tarDir writes the files under dir into the tar file out, sorted, with
// fixed owners and times.
func tarDir(dir, out string, mtime time.Time) error {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		names = append(names, path)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }()
	tw := tar.NewWriter(f)
	for _, path := range names {
		rel, _ := filepath.Rel(dir, path)
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: mtime, Typeflag: tar.TypeReg, Size: st.Size(), Format: tar.FormatPAX}
		if st.IsDir() {
			h.Name, h.Mode, h.Typeflag, h.Size = h.Name+"/", 0o755, tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !st.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if _, err := tw.Write(data); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
