package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// SamplesDir holds the sample pool templates for the local environment,
// relative to the repository root.
const SamplesDir = "manifests/samples/local"

// Render replaces ${NAME} and $NAME in a template with vars[NAME]. A name
// not in vars is an error, so nothing is applied half-rendered.
func Render(template []byte, vars map[string]string) ([]byte, error) {
	var missing []string
	out := os.Expand(string(template), func(name string) string {
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("template variables without a value: %s", strings.Join(slices.Compact(missing), ", "))
	}
	return []byte(out), nil
}

// SampleVars are the template variables of the samples for e: NAMESPACE
// (namespace), DISK_ROOT and NODES (space-separated).
func (e *Env) SampleVars(namespace string) map[string]string {
	return map[string]string{
		"NAMESPACE": namespace,
		"DISK_ROOT": e.DiskRoot(),
		"NODES":     strings.Join(e.opts.Nodes, " "),
	}
}

// RenderSamples renders every *.yaml template of SamplesDir with vars into
// outDir and returns the written files, in name order.
func RenderSamples(root, outDir string, vars map[string]string) ([]string, error) {
	dir := filepath.Join(root, SamplesDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("render samples: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("render samples: %w", err)
	}
	var files []string
	for _, ent := range entries {
		if ent.IsDir() || !strings.HasSuffix(ent.Name(), ".yaml") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			return nil, fmt.Errorf("render samples: %w", err)
		}
		out, err := Render(data, vars)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", ent.Name(), err)
		}
		path := filepath.Join(outDir, ent.Name())
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return nil, fmt.Errorf("render samples: %w", err)
		}
		files = append(files, path)
	}
	if len(files) == 0 {
		return nil, errors.New("render samples: no *.yaml in " + dir)
	}
	slices.Sort(files)
	return files, nil
}

// ApplySamples renders the samples for namespace into <WorkDir>/samples,
// applies them as the admin user, and returns the objects and the rendered
// files.
func (e *Env) ApplySamples(ctx context.Context, namespace string) ([]*unstructured.Unstructured, []string, error) {
	files, err := RenderSamples(e.root, filepath.Join(e.workDir, "samples"), e.SampleVars(namespace))
	if err != nil {
		return nil, nil, err
	}
	objs, err := localcluster.ReadManifests(files...)
	if err != nil {
		return nil, nil, err
	}
	if err := localcluster.ApplyObjects(ctx, e.RESTConfig(), objs...); err != nil {
		return nil, nil, err
	}
	return objs, files, nil
}
