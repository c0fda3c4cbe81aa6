package manifests

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// TestDiskPoolCRDUpstreamSpecFields checks the spec fields of Mayastor's
// v1beta3 beyond node/disks/topology: present, described, immutable once
// set with a message that says to re-create, and their presence fixed.
func TestDiskPoolCRDUpstreamSpecFields(t *testing.T) {
	spec := version(t, loadCRD(t, "openebs.io_diskpools.yaml"), "v1beta3").Schema.OpenAPIV3Schema.Properties["spec"]
	for _, field := range []string{"maxExpansion", "clusterSize", "cluster_size", "encryptionConfig"} {
		t.Run(field, func(t *testing.T) {
			p, ok := spec.Properties[field]
			if !ok {
				t.Fatalf("spec.%s missing", field)
			}
			assertDescribed(t, "spec."+field, p)
			if r := findRule(p.XValidations, "self == oldSelf"); r == nil || !strings.Contains(r.Message, "immutable") || !strings.Contains(r.Message, "create a new one") {
				t.Errorf("spec.%s: immutability rule %+v", field, r)
			}
			presence := false
			for _, r := range spec.XValidations {
				if strings.Contains(r.Rule, "has(oldSelf."+field+") == has(self."+field+")") && strings.Contains(r.Message, "create a new one") {
					presence = true
				}
			}
			if !presence {
				t.Errorf("no rule keeps spec.%s from being added or removed: %+v", field, spec.XValidations)
			}
		})
	}
	if findRule(spec.XValidations, "!(has(self.clusterSize) && has(self.cluster_size))") == nil {
		t.Errorf("no rule refuses both cluster size spellings: %+v", spec.XValidations)
	}
	secret := spec.Properties["encryptionConfig"].Properties["source"].Properties["secret"]
	if got := strings.Join(secret.Required, ","); got != "name" {
		t.Errorf("encryptionConfig.source.secret.required = %q", got)
	}
}

// TestDiskPoolCRDSizeRulesMatchTheParsers runs the CRD's own regular
// expressions (CEL's matches() is RE2, as Go's regexp) against the
// parsers the operator uses, so admission and the operator never disagree
// on what a value means.
func TestDiskPoolCRDSizeRulesMatchTheParsers(t *testing.T) {
	spec := version(t, loadCRD(t, "openebs.io_diskpools.yaml"), "v1beta3").Schema.OpenAPIV3Schema.Properties["spec"]
	inputs := []string{"", "1x", "5x", "20x", "1.5x", "0.5x", "0x", "x", "1.2345x", "999999x", "1000000x",
		"4MiB", "4Mi", "1MiB", "64MiB", "128MiB", "67108864", "1GiB", "1Gi", "2GiB", "3MiB", "512KiB", "1024KiB", "4096Ki", "1048576", "1048576B",
		"4194304", "6291456", "04MiB", "4 MiB", "4MB", "200GiB", "200Gi", "3.5TiB", "1073741824B", "0B", "200GB", "abc", "-2x", "5X"}
	for _, tc := range []struct {
		field string
		parse func(string) error
	}{
		{"maxExpansion", func(s string) error { _, err := v1beta3.ParseMaxExpansion(s); return err }},
		{"clusterSize", func(s string) error { _, err := v1beta3.ParseClusterSize(s); return err }},
		{"cluster_size", func(s string) error { _, err := v1beta3.ParseClusterSize(s); return err }},
	} {
		re := matchesPattern(t, spec.Properties[tc.field])
		for _, in := range inputs {
			if in == "" {
				continue // an unset field is not validated
			}
			err := tc.parse(in)
			if err != nil && !errors.Is(err, v1beta3.ErrInvalidSize) {
				t.Fatalf("%s %q: %v", tc.field, in, err)
			}
			if admitted := re.MatchString(in); admitted != (err == nil) {
				t.Errorf("%s %q: admission accepts=%v, parser error=%v", tc.field, in, admitted, err)
			}
		}
	}
}

func findRule(rules apiextensionsv1.ValidationRules, rule string) *apiextensionsv1.ValidationRule {
	for i := range rules {
		if rules[i].Rule == rule {
			return &rules[i]
		}
	}
	return nil
}

var matchesCall = regexp.MustCompile(`^self\.matches\('(.*)'\)$`)

func matchesPattern(t *testing.T, p apiextensionsv1.JSONSchemaProps) *regexp.Regexp {
	t.Helper()
	for _, r := range p.XValidations {
		if m := matchesCall.FindStringSubmatch(r.Rule); m != nil {
			if strings.Contains(m[1], `\`) {
				t.Fatalf("pattern %q has escapes; this test reads it literally", m[1])
			}
			return regexp.MustCompile(m[1])
		}
	}
	t.Fatalf("no self.matches rule in %+v", p.XValidations)
	return nil
}
