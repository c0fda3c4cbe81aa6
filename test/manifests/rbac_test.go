package manifests

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// EffectivePermissions computes what the rendered bindings grant to whom.
func EffectivePermissions(t testing.TB, objs []*unstructured.Unstructured) []Permission {
	t.Helper()
	roles := map[string][]rbacv1.PolicyRule{} // "ClusterRole/name" or "Role/ns/name"
	for _, u := range objs {
		switch u.GetKind() {
		case "ClusterRole":
			r := MustConvert[rbacv1.ClusterRole](t, u)
			if r.AggregationRule != nil {
				t.Errorf("ClusterRole %s aggregates other roles; its rules cannot be checked here", r.Name)
			}
			roles["ClusterRole/"+r.Name] = r.Rules
		case "Role":
			r := MustConvert[rbacv1.Role](t, u)
			roles["Role/"+r.Namespace+"/"+r.Name] = r.Rules
		}
	}
	var out []Permission
	bind := func(kind, name, ns string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
		key := ref.Kind + "/" + ref.Name
		if ref.Kind == "Role" {
			key = "Role/" + ns + "/" + ref.Name
		}
		rules, ok := roles[key]
		if !ok {
			t.Errorf("%s %s binds %s, which the manifests do not define", kind, name, key)
			return
		}
		scope := ns
		if kind == "ClusterRoleBinding" {
			scope = "*"
		}
		for _, s := range subjects {
			if s.Kind != rbacv1.ServiceAccountKind {
				t.Errorf("%s %s: subject %s %s: only ServiceAccounts may be bound", kind, name, s.Kind, s.Name)
				continue
			}
			subject := "system:serviceaccount:" + s.Namespace + ":" + s.Name
			for _, r := range rules {
				if len(r.NonResourceURLs) > 0 {
					t.Errorf("%s: nonResourceURLs %v", key, r.NonResourceURLs)
				}
				if len(r.ResourceNames) > 0 {
					t.Errorf("%s: resourceNames %v: extend Permission before using them", key, r.ResourceNames)
				}
				for _, g := range r.APIGroups {
					for _, res := range r.Resources {
						for _, v := range r.Verbs {
							out = append(out, Permission{subject, scope, g, res, v})
						}
					}
				}
			}
		}
	}
	for _, u := range objs {
		switch u.GetKind() {
		case "ClusterRoleBinding":
			b := MustConvert[rbacv1.ClusterRoleBinding](t, u)
			bind(u.GetKind(), b.Name, "", b.RoleRef, b.Subjects)
		case "RoleBinding":
			b := MustConvert[rbacv1.RoleBinding](t, u)
			bind(u.GetKind(), b.Name, b.Namespace, b.RoleRef, b.Subjects)
		}
	}
	return SortedUnique(out)
}

// TestRBACExactRules: the rendered RBAC grants exactly ExpectedPermissions:
// no wildcard, nothing on ServiceAccounts, ConfigMaps and Secrets only as
// ExpectedPermissions says (ConfigMaps in the operator namespace; the
// operator's list/watch of Secrets for spec.encryptionConfig), nothing
// extra, nothing missing.
func TestRBACExactRules(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		for _, u := range slices.Concat(Of(objs, "ClusterRole"), Of(objs, "Role")) {
			rules, _, _ := unstructured.NestedSlice(u.Object, "rules")
			for i, r := range rules {
				for _, field := range []string{"apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"} {
					vals, _, _ := unstructured.NestedStringSlice(r.(map[string]any), field)
					for _, v := range vals {
						if strings.Contains(v, "*") {
							t.Errorf("%s rule %d: wildcard %q in %s", Key(u), i, v, field)
						}
						// ConfigMaps (operator namespace) and Secrets (list/watch)
						// are granted as ExpectedPermissions pins.
						if field == "resources" && strings.HasPrefix(v, "serviceaccounts") {
							t.Errorf("%s rule %d: %s: neither binary reads these", Key(u), i, v)
						}
						if field == "verbs" && (v == "escalate" || v == "bind" || v == "impersonate") {
							t.Errorf("%s rule %d: verb %s", Key(u), i, v)
						}
					}
				}
			}
		}
		got := EffectivePermissions(t, objs)
		extra, missing := Diff(got, ExpectedPermissions)
		for _, p := range extra {
			t.Errorf("granted but not expected: %s", p)
		}
		for _, p := range missing {
			t.Errorf("expected but not granted: %s", p)
		}
	})
}

// TestServiceAccounts: each workload runs as its own ServiceAccount, which
// the manifests create.
func TestServiceAccounts(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		for key, tmpl := range podTemplates(t, objs) {
			sa := tmpl.Spec.ServiceAccountName
			if sa == "" || sa == "default" {
				t.Errorf("%s: runs as ServiceAccount %q", key, sa)
				continue
			}
			if Find(objs, "ServiceAccount", sa) == nil {
				t.Errorf("%s: ServiceAccount %s is not in the manifests", key, sa)
			}
		}
	})
}
