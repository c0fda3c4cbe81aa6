package localcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// ReadManifests reads Kubernetes objects from YAML or JSON files. A file may
// hold several documents, and a List is expanded into its items. A directory
// contributes its *.yaml, *.yml and *.json files in name order, not
// recursively and without kustomization files, like `kubectl apply -f dir`.
func ReadManifests(paths ...string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		files, err := manifestFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			got, err := readManifestFile(f)
			if err != nil {
				return nil, err
			}
			objs = append(objs, got...)
		}
	}
	return objs, nil
}

func manifestFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") || isKustomization(name) {
			continue
		}
		files = append(files, filepath.Join(path, name))
	}
	slices.Sort(files)
	return files, nil
}

func isKustomization(name string) bool {
	switch name {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

func readManifestFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		var content map[string]any
		if err := dec.Decode(&content); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("read manifests: %s document %d: %w", path, doc, err)
		}
		if len(content) == 0 {
			continue // an empty document, e.g. after a trailing "---"
		}
		u := &unstructured.Unstructured{Object: content}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, fmt.Errorf("read manifests: %s document %d: apiVersion and kind are required", path, doc)
		}
		if !u.IsList() {
			objs = append(objs, u)
			continue
		}
		list, err := u.ToList()
		if err != nil {
			return nil, fmt.Errorf("read manifests: %s document %d: %w", path, doc, err)
		}
		for i := range list.Items {
			objs = append(objs, &list.Items[i])
		}
	}
}
