package localenv

import (
	"slices"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// TestBaseObjects checks the kinds taken from manifests/base: identities and
// RBAC, never a workload.
func TestBaseObjects(t *testing.T) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := BaseObjects(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, o := range objs {
		if !baseKinds[o.GroupVersionKind().GroupKind()] {
			t.Errorf("unexpected %s %s", o.GetKind(), o.GetName())
		}
		got[o.GetKind()+"/"+o.GetName()] = true
	}
	for _, want := range []string{
		"Namespace/" + SystemNamespace,
		"ServiceAccount/" + OperatorServiceAccount,
		"ServiceAccount/" + AgentServiceAccount,
		"ClusterRole/diskpool-operator",
		"ClusterRoleBinding/diskpool-operator",
		"ValidatingAdmissionPolicy/diskpool-agent-own-lease",
		"ValidatingAdmissionPolicyBinding/diskpool-agent-own-lease",
		"MutatingAdmissionPolicy/diskpool-protection-finalizer",
		"MutatingAdmissionPolicyBinding/diskpool-protection-finalizer",
		"FlowSchema/diskpool-agent-leases",
		"FlowSchema/diskpool-operator-leader-election",
	} {
		if !got[want] {
			t.Errorf("manifests/base lacks %s (have %v)", want, got)
		}
	}
}

// TestWithoutFinalizerPolicy: NoFinalizerPolicy drops the mutating policy
// and its binding, and nothing else (the agents' own-Lease policy stays).
func TestWithoutFinalizerPolicy(t *testing.T) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := BaseObjects(root)
	if err != nil {
		t.Fatal(err)
	}
	kept := withoutFinalizerPolicy(slices.Clone(objs))
	if len(kept) != len(objs)-2 {
		t.Errorf("kept %d of %d objects, want all but 2", len(kept), len(objs))
	}
	got := map[string]bool{}
	for _, o := range kept {
		got[o.GetKind()] = true
	}
	if got["MutatingAdmissionPolicy"] || got["MutatingAdmissionPolicyBinding"] {
		t.Errorf("the finalizer policy is still there: %v", got)
	}
	if !got["ValidatingAdmissionPolicy"] || !got["ValidatingAdmissionPolicyBinding"] || !got["ClusterRole"] {
		t.Errorf("other objects dropped: %v", got)
	}
}
