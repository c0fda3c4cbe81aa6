package main

import (
	"fmt"
	"os"
	"path/filepath"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// operatorMemLimitEnv returns the GOMEMLIMIT the shipped Deployment gives
// the operator (its container's limits.memory, in bytes), so the bench's
// operator collects garbage as the deployed one does.
func operatorMemLimitEnv() (string, error) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "manifests", "base", "operator-deployment.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var d appsv1.Deployment
	if err := yaml.Unmarshal(data, &d); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "operator" {
			if lim, ok := c.Resources.Limits["memory"]; ok {
				return fmt.Sprintf("GOMEMLIMIT=%d", lim.Value()), nil
			}
		}
	}
	return "", fmt.Errorf("%s: no memory limit on the operator container", path)
}
