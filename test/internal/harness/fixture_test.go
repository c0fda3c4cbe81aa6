package harness

import (
	"regexp"
	"strings"
	"testing"
)

func TestUniqueName(t *testing.T) {
	label := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	for _, prefix := range []string{"e2e-TestCreate/sub_test", "a", strings.Repeat("x", 80), "--Weird Name--", "abc-" + strings.Repeat("y", 36) + "-z"} {
		a, b := UniqueName(prefix), UniqueName(prefix)
		if a == b {
			t.Errorf("UniqueName(%q) twice gave %q", prefix, a)
		}
		if len(a) > 63 || !label.MatchString(a) {
			t.Errorf("UniqueName(%q) = %q, not a DNS label", prefix, a)
		}
	}
	if got := UniqueName("e2e-TestCreate/sub"); !strings.HasPrefix(got, "e2e-testcreate-sub-") {
		t.Errorf("UniqueName kept nothing of its prefix: %q", got)
	}
}
