package localenv

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// Manifest directories, relative to the repository root.
const (
	CRDDir  = "manifests/crds"
	BaseDir = "manifests/base"
)

// baseKinds are the kinds of manifests/base that apply without a kubelet:
// the namespace, identities, RBAC, the admission policies (the agents'
// own-Lease rule; the finalizer on create) and the Leases' FlowSchemas. The operator Deployment and the agent
// DaemonSet (and their Services and PodDisruptionBudget) need images and
// nodes that run pods; here the same binaries run as local processes.
var baseKinds = map[schema.GroupKind]bool{
	{Kind: "Namespace"}:      true,
	{Kind: "ServiceAccount"}: true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: true,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               true,
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:              true,
	// The agents' own-Lease policy: without it an agent could write any
	// agent's Lease here, unlike in a cluster.
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
	// The Leases' API priority (lease-priority.yaml).
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}: true,
}

// BaseObjects reads manifests/base under root and returns the objects
// Start applies: those of baseKinds.
func BaseObjects(root string) ([]*unstructured.Unstructured, error) {
	objs, err := localcluster.ReadManifests(filepath.Join(root, BaseDir))
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if baseKinds[o.GroupVersionKind().GroupKind()] {
			out = append(out, o)
		}
	}
	return out, nil
}

// withoutFinalizerPolicy drops the finalizer's MutatingAdmissionPolicy and
// its binding (Options.NoFinalizerPolicy), keeping every other object.
func withoutFinalizerPolicy(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	return slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool {
		gk := o.GroupVersionKind().GroupKind()
		return gk.Group == "admissionregistration.k8s.io" && strings.HasPrefix(gk.Kind, "MutatingAdmissionPolicy")
	})
}

// applyProject applies the CRDs (waiting until they are served), the base
// objects (the finalizer policy only withPolicy, then waiting until it
// takes effect), and a Namespace for each of namespaces, as the admin user.
func applyProject(ctx context.Context, cfg *rest.Config, root string, namespaces []string, withPolicy bool) error {
	crds, err := localcluster.ReadManifests(filepath.Join(root, CRDDir))
	if err != nil {
		return fmt.Errorf("apply CRDs: %w", err)
	}
	base, err := BaseObjects(root)
	if err != nil {
		return fmt.Errorf("apply %s: %w", BaseDir, err)
	}
	if !withPolicy {
		base = withoutFinalizerPolicy(base)
	}
	objs := append(crds, base...)
	for _, ns := range namespaces {
		objs = append(objs, namespaceObject(ns))
	}
	if err := localcluster.ApplyObjects(ctx, cfg, objs...); err != nil {
		return fmt.Errorf("apply the project's CRDs and RBAC: %w", err)
	}
	if !withPolicy {
		return nil
	}
	if err := WaitFinalizerPolicy(ctx, cfg, SystemNamespace); err != nil {
		return fmt.Errorf("apply %s: %w", BaseDir, err)
	}
	return nil
}

func namespaceObject(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Namespace")
	u.SetName(name)
	return u
}
