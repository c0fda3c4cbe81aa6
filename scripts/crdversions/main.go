// Command crdversions adds the deprecated, still-served DiskPool versions
// v1beta1 and v1beta2 to the CRD that controller-gen generates for v1beta3.
// They share v1beta3's schema, so Mayastor manifests apply unchanged and the
// API server converts between them with the None strategy.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

const storageVersion = "v1beta3"

var deprecatedVersions = []string{"v1beta1", "v1beta2"}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdversions <diskpools CRD YAML file>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crdversions:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// controller-gen writes a leading "---" document separator.
	body := bytes.TrimPrefix(raw, []byte("---\n"))
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(body, &crd); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	if err := addDeprecatedVersions(&crd); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out, err := marshalWithoutStatus(&crd)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}

func addDeprecatedVersions(crd *apiextensionsv1.CustomResourceDefinition) error {
	var storage *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == storageVersion {
			storage = &crd.Spec.Versions[i]
		}
	}
	if storage == nil || len(crd.Spec.Versions) != 1 {
		return fmt.Errorf("want exactly version %s, found %d versions", storageVersion, len(crd.Spec.Versions))
	}
	versions := make([]apiextensionsv1.CustomResourceDefinitionVersion, 0, len(deprecatedVersions)+1)
	for _, name := range deprecatedVersions {
		v := *storage.DeepCopy()
		v.Name = name
		v.Storage = false
		v.Deprecated = true
		warning := fmt.Sprintf("openebs.io/%s DiskPool is deprecated; use openebs.io/%s DiskPool (same fields)", name, storageVersion)
		v.DeprecationWarning = &warning
		versions = append(versions, v)
	}
	crd.Spec.Versions = append(versions, *storage)
	return nil
}

// marshalWithoutStatus renders the CRD as YAML without its status, which
// the API server owns (a struct field cannot be omitted by tags alone).
func marshalWithoutStatus(crd *apiextensionsv1.CustomResourceDefinition) ([]byte, error) {
	asJSON, err := json.Marshal(crd)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := json.Unmarshal(asJSON, &fields); err != nil {
		return nil, err
	}
	delete(fields, "status")
	return yaml.Marshal(fields)
}
