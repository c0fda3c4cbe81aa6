// Package build checks that the shipped binaries build as the images need
// them (static, CGO_ENABLED=0, for linux/amd64 and linux/arm64), and that every
// flag the manifests pass exists in the binary that receives it. The images
// themselves are tested in images_test.go.
package build

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/diskpool/diskpool-operator/test/manifests"
)

// Binaries are the commands the images ship, by package directory.
var Binaries = []string{"diskpool-operator", "diskpool-agent"}

// Platforms the images are built for.
var Platforms = []struct{ OS, Arch string }{{"linux", "amd64"}, {"linux", "arm64"}}

var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

type result struct {
	dir string
	err error
}

var (
	buildMu sync.Mutex
	builds  = map[string]*result{}
)

// buildFor builds binary for goos/goarch, as scripts/build-images.sh does,
// once per test binary, into a directory shared by its tests.
func buildFor(t *testing.T, goos, goarch, binary string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("Skipping: compiles the binaries per platform, not run with -short")
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	key := goos + "/" + goarch + "/" + binary
	if r, ok := builds[key]; ok {
		if r.err != nil {
			t.Fatal(r.err)
		}
		return filepath.Join(r.dir, binary)
	}
	dir, err := os.MkdirTemp("", "diskpool-build-")
	if err != nil {
		t.Fatal(err)
	}
	r := &result{dir: dir}
	builds[key] = r
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, binary), "./cmd/" + binary}
	cmd := exec.Command("go", args...)
	cmd.Dir = manifests.Root(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOWORK=off")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.err = fmt.Errorf("CGO_ENABLED=0 GOOS=%s GOARCH=%s go %s: %w\n%s", goos, goarch, strings.Join(args, " "), err, out)
		t.Fatal(r.err)
	}
	t.Logf("built %s in %v", key, time.Since(start).Round(time.Millisecond))
	return filepath.Join(dir, binary)
}

// TestMain removes the shared build directories.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, r := range builds {
		_ = os.RemoveAll(r.dir)
	}
	os.Exit(code)
}

// TestCrossCompile: both binaries build with CGO_ENABLED=0 for every
// platform, for the right machine, statically linked (distroless/static has
// no libc).
func TestCrossCompile(t *testing.T) {
	for _, p := range Platforms {
		for _, b := range Binaries {
			t.Run(p.OS+"/"+p.Arch+"/"+b, func(t *testing.T) {
				checkStatic(t, buildFor(t, p.OS, p.Arch, b), elfMachine[p.Arch])
			})
		}
	}
}

func checkStatic(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if f.Machine != machine {
		t.Errorf("%s: machine %v, want %v", path, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s: dynamically linked (%v program header)", path, p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s: needs shared libraries %v", path, libs)
	}
	if fi, err := os.Stat(path); err == nil {
		t.Logf("%s: %.1f MiB, static", filepath.Base(path), float64(fi.Size())/(1<<20))
	}
}

var flagLine = regexp.MustCompile(`(?m)^\s+--?([A-Za-z0-9][A-Za-z0-9_.-]*)`)

// definedFlags runs bin -h and returns the flag names it lists.
func definedFlags(t *testing.T, bin string) []string {
	t.Helper()
	// -h exits 0 or 2 depending on the flag library; only the output counts.
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	var names []string
	for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Fatalf("%s -h lists no flags:\n%s", bin, out)
	}
	return names
}

// TestManifestFlagsExist: every --flag the rendered overlays pass to a
// binary is one it defines, so a renamed flag cannot leave the manifests
// with a crash-looping pod.
func TestManifestFlagsExist(t *testing.T) {
	kubectl := manifests.Kubectl(t)
	// Which binary each container runs.
	containerBinary := map[string]string{"operator": "diskpool-operator", "agent": "diskpool-agent"}
	for _, bin := range Binaries {
		t.Run(bin, func(t *testing.T) {
			defined := definedFlags(t, buildFor(t, runtime.GOOS, runtime.GOARCH, bin))
			for _, overlay := range manifests.Overlays {
				for _, u := range manifests.Render(t, kubectl, "manifests/overlays/"+overlay) {
					for _, c := range containers(t, u) {
						b, ok := containerBinary[c.Name]
						if !ok {
							t.Errorf("%s: container %s runs an unknown binary", manifests.Key(u), c.Name)
						}
						if b != bin {
							continue
						}
						checkArgs(t, overlay+": "+manifests.Key(u), bin, slices.Concat(c.Command, c.Args), defined)
					}
				}
			}
		})
	}
}

// checkArgs fails t for each --flag in args that defined lacks.
func checkArgs(t *testing.T, where, bin string, args, defined []string) {
	t.Helper()
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(defined, name) {
			t.Errorf("%s passes %s, which %s does not define", where, a, bin)
		}
	}
}

func containers(t *testing.T, u *unstructured.Unstructured) []corev1.Container {
	t.Helper()
	raw, found, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if err != nil || !found {
		return nil
	}
	var out []corev1.Container
	for _, r := range raw {
		var c corev1.Container
		if err := manifests.Convert(&unstructured.Unstructured{Object: r.(map[string]any)}, &c); err != nil {
			// Convert reports the object key; this is a container map.
			t.Fatalf("%s: container: %v", manifests.Key(u), err)
		}
		out = append(out, c)
	}
	return out
}
