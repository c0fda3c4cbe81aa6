package localenv

import (
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
	} {
		if !got[want] {
			t.Errorf("manifests/base lacks %s (have %v)", want, got)
		}
	}
}
