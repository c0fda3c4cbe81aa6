package manifests

import (
	"io/fs"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

func loadCRD(t *testing.T, file string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	raw, err := fs.ReadFile(CRDs, "crds/"+file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict([]byte(strings.TrimPrefix(string(raw), "---\n")), &crd); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return &crd
}

func version(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition, name string) *apiextensionsv1.CustomResourceDefinitionVersion {
	t.Helper()
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == name {
			return &crd.Spec.Versions[i]
		}
	}
	t.Fatalf("%s has no version %s", crd.Name, name)
	return nil
}

func TestDiskPoolCRDNamesAndVersions(t *testing.T) {
	crd := loadCRD(t, "openebs.io_diskpools.yaml")
	if crd.Spec.Group != "openebs.io" || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("group/scope = %s/%s, want openebs.io/Namespaced", crd.Spec.Group, crd.Spec.Scope)
	}
	if got := crd.Spec.Names; got.Plural != "diskpools" || strings.Join(got.ShortNames, ",") != "dsp" {
		t.Errorf("names = %+v, want plural diskpools, short name dsp", got)
	}
	if got := strings.Join(crd.Spec.Names.Categories, ","); got != "openebs,storage" {
		t.Errorf("categories = %q", got)
	}
	tests := []struct {
		name       string
		storage    bool
		deprecated bool
	}{
		{"v1beta1", false, true},
		{"v1beta2", false, true},
		{"v1beta3", true, false},
	}
	storage := version(t, crd, "v1beta3")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := version(t, crd, tt.name)
			if !v.Served || v.Storage != tt.storage || v.Deprecated != tt.deprecated {
				t.Errorf("served=%v storage=%v deprecated=%v, want true/%v/%v", v.Served, v.Storage, v.Deprecated, tt.storage, tt.deprecated)
			}
			if tt.deprecated && (v.DeprecationWarning == nil || !strings.Contains(*v.DeprecationWarning, "v1beta3")) {
				t.Errorf("deprecation warning %v does not name v1beta3", v.DeprecationWarning)
			}
			if v.Subresources == nil || v.Subresources.Status == nil {
				t.Error("status subresource missing")
			}
			// Conversion strategy None needs identical schemas to be lossless.
			if !equalJSON(t, v.Schema, storage.Schema) {
				t.Error("schema differs from v1beta3")
			}
		})
	}
}

func TestDiskPoolCRDSchema(t *testing.T) {
	crd := loadCRD(t, "openebs.io_diskpools.yaml")
	schema := version(t, crd, "v1beta3").Schema.OpenAPIV3Schema
	spec := schema.Properties["spec"]
	if got := strings.Join(spec.Required, ","); got != "disks,node" {
		t.Errorf("spec.required = %q, want disks,node", got)
	}
	disks := spec.Properties["disks"]
	if disks.MinItems == nil || *disks.MinItems != 1 || disks.MaxItems == nil || *disks.MaxItems != 1 {
		t.Errorf("disks items bounds = %v..%v, want exactly 1", disks.MinItems, disks.MaxItems)
	}
	for _, field := range []string{"node", "disks"} {
		t.Run("immutable "+field, func(t *testing.T) {
			rules := spec.Properties[field].XValidations
			found := false
			for _, r := range rules {
				if r.Rule == "self == oldSelf" {
					found = true
					if !strings.Contains(r.Message, "immutable") || !strings.Contains(r.Message, "delete this DiskPool and create a new one") {
						t.Errorf("message %q does not say what to do", r.Message)
					}
				}
			}
			if !found {
				t.Errorf("no self == oldSelf rule on spec.%s: %+v", field, rules)
			}
		})
	}
	status := schema.Properties["status"]
	for _, field := range []string{"cr_state", "pool_status", "capacity", "used", "available", "committed", "node", "disks", "observedGeneration", "conditions",
		"capacity_q", "used_q", "available_q", "cluster_size", "encrypted", "diskCapacity", "maxExpandableSize"} {
		if _, ok := status.Properties[field]; !ok {
			t.Errorf("status.%s missing", field)
		}
	}
	if got := enumStrings(status.Properties["cr_state"]); got != "Creating,Created,Terminating,Error" {
		t.Errorf("cr_state enum = %s", got)
	}
	if got := enumStrings(status.Properties["pool_status"]); got != "Unknown,Online,Degraded,Faulted,Offline,Suspected" {
		t.Errorf("pool_status enum = %s", got)
	}
	assertDescribed(t, "spec", spec)
	assertDescribed(t, "status", status)
}

func TestDiskPoolPrinterColumns(t *testing.T) {
	crd := loadCRD(t, "openebs.io_diskpools.yaml")
	var normal, wide []string
	for _, c := range version(t, crd, "v1beta3").AdditionalPrinterColumns {
		if c.Priority == 0 {
			normal = append(normal, c.Name)
		} else {
			wide = append(wide, c.Name)
		}
	}
	if got := strings.Join(normal, ","); got != "NODE,STATE,POOL_STATUS,CAPACITY,USED,AVAILABLE,AGE" {
		t.Errorf("columns = %s", got)
	}
	if got := strings.Join(wide, ","); got != "DISKS,READY,ENCRYPTED,DISK_CAPACITY,MAX_EXPANDABLE_SIZE" {
		t.Errorf("wide columns = %s", got)
	}
	// The sizes people read are the quantity strings; scripts keep the
	// byte fields.
	for _, c := range version(t, crd, "v1beta3").AdditionalPrinterColumns {
		want, ok := map[string]string{"CAPACITY": ".status.capacity_q", "USED": ".status.used_q", "AVAILABLE": ".status.available_q"}[c.Name]
		if ok && (c.JSONPath != want || c.Type != "string") {
			t.Errorf("column %s shows %s (%s), want %s (string)", c.Name, c.JSONPath, c.Type, want)
		}
	}
}

func TestMayastorPoolCRD(t *testing.T) {
	crd := loadCRD(t, "openebs.io_mayastorpools.yaml")
	if got := crd.Spec.Names; got.Plural != "mayastorpools" || strings.Join(got.ShortNames, ",") != "msp" {
		t.Errorf("names = %+v", got)
	}
	v := version(t, crd, "v1alpha1")
	if !v.Served || !v.Storage || len(crd.Spec.Versions) != 1 {
		t.Errorf("want v1alpha1 as the only, served, storage version")
	}
	var cols []string
	for _, c := range v.AdditionalPrinterColumns {
		cols = append(cols, c.Name)
	}
	if got := strings.Join(cols, ","); got != "Node,State,Age" {
		t.Errorf("columns = %s", got)
	}
	schema := v.Schema.OpenAPIV3Schema
	if got := strings.Join(schema.Properties["spec"].Required, ","); got != "disks,node" {
		t.Errorf("spec.required = %q", got)
	}
	status := schema.Properties["status"]
	if got := enumStrings(status.Properties["state"]); got != "pending,online,degraded,faulted,offline" {
		t.Errorf("state enum = %s", got)
	}
	for _, field := range []string{"node", "disks", "reason", "capacity", "used"} {
		if _, ok := status.Properties[field]; !ok {
			t.Errorf("status.%s missing", field)
		}
	}
	assertDescribed(t, "spec", schema.Properties["spec"])
	assertDescribed(t, "status", status)
}

// assertDescribed walks a schema: every field must have a description, so
// `kubectl explain` is useful.
func assertDescribed(t *testing.T, path string, s apiextensionsv1.JSONSchemaProps) {
	t.Helper()
	if s.Description == "" {
		t.Errorf("%s has no description", path)
	}
	if path == "status.conditions" {
		return // metav1.Condition documents itself
	}
	for name, p := range s.Properties {
		assertDescribed(t, path+"."+name, p)
	}
}

func enumStrings(s apiextensionsv1.JSONSchemaProps) string {
	var out []string
	for _, e := range s.Enum {
		out = append(out, strings.Trim(string(e.Raw), `"`))
	}
	return strings.Join(out, ",")
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := yaml.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
