package manifests

import (
	"fmt"
	"slices"
	"strings"
)

// Namespace is where the install lives; OperatorName and AgentName name
// their ServiceAccounts (and most of their objects).
const (
	Namespace    = "diskpool-system"
	OperatorName = "diskpool-operator"
	AgentName    = "diskpool-agent"
)

// Permission is one (namespace, API group, resource, verb) a subject holds;
// namespace "*" means every namespace (a ClusterRole bound cluster-wide).
type Permission struct {
	Subject   string
	Namespace string
	Group     string
	Resource  string
	Verb      string
}

func (p Permission) String() string {
	g := p.Group
	if g == "" {
		g = "core"
	}
	return fmt.Sprintf("%s in %s: %s %s/%s", p.Subject, p.Namespace, p.Verb, g, p.Resource)
}

// ExpectedPermissions is the complete RBAC of the install: any permission
// the manifests grant that is not here, or that is here but not granted,
// fails TestRBACExactRules and, against a real API server, the dryrun
// package's effective-permission test. Keep it equal to what the binaries use.
var ExpectedPermissions = expand([]grant{
	// The operator, cluster-wide.
	{OperatorName, "*", "openebs.io", []string{"diskpools", "mayastorpools"}, []string{"get", "list", "watch", "update"}},
	{OperatorName, "*", "openebs.io", []string{"diskpools/status", "mayastorpools/status"}, []string{"update", "patch"}},
	{OperatorName, "*", "", []string{"nodes"}, []string{"get", "list", "watch"}},
	// Secrets: whether the one spec.encryptionConfig names exists
	// (an informer: list and watch, no get; data never cached).
	{OperatorName, "*", "", []string{"secrets"}, []string{"list", "watch"}},
	// events.k8s.io only: the operator never records core/v1 events.
	{OperatorName, "*", "events.k8s.io", []string{"events"}, []string{"create", "patch"}},
	// The operator, in its namespace: agent Leases (read) and the leader
	// election Lease (written).
	{OperatorName, Namespace, "coordination.k8s.io", []string{"leases"}, []string{"get", "list", "watch", "create", "update"}},
	// The operator, in its namespace: one disk-inventory ConfigMap per
	// node (pkg/inventory), watched and written on change. No delete.
	{OperatorName, Namespace, "", []string{"configmaps"}, []string{"get", "list", "watch", "create", "update"}},
	// The agent: its own node's Lease.
	{AgentName, Namespace, "coordination.k8s.io", []string{"leases"}, []string{"get", "create", "update"}},
})

type grant struct {
	subject, namespace, group string
	resources, verbs          []string
}

func expand(gs []grant) []Permission {
	var out []Permission
	for _, g := range gs {
		for _, r := range g.resources {
			for _, v := range g.verbs {
				out = append(out, Permission{ServiceAccount(g.subject), g.namespace, g.group, r, v})
			}
		}
	}
	return SortedUnique(out)
}

// ServiceAccount returns the user name of one of the install's
// ServiceAccounts.
func ServiceAccount(name string) string {
	return "system:serviceaccount:" + Namespace + ":" + name
}

// Diff returns the permissions in got but not want (extra), and in want but
// not got (missing).
func Diff(got, want []Permission) (extra, missing []Permission) {
	for _, p := range got {
		if !slices.Contains(want, p) {
			extra = append(extra, p)
		}
	}
	for _, p := range want {
		if !slices.Contains(got, p) {
			missing = append(missing, p)
		}
	}
	return extra, missing
}

// SortedUnique sorts ps and drops duplicates.
func SortedUnique(ps []Permission) []Permission {
	slices.SortFunc(ps, func(a, b Permission) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(ps)
}
