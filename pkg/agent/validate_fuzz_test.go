package agent

import (
	"strings"
	"testing"
	"unicode"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/util/validation"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

// FuzzValidateCreateRequest feeds arbitrary CreatePool requests to
// validateCreate, the agent's first line of defence before any disk is
// resolved: it never panics, every refusal is InvalidArgument with a
// message, and whatever it accepts meets each documented limit.
func FuzzValidateCreateRequest(f *testing.F) {
	f.Add("pool-a", "8c1a7f5e-0b7e-4a52-9b7e-2f1f3c1d0e9a", "", "/dev/sdb", "topology.kubernetes.io/zone=a")
	f.Add("", "uid", "", "", "")
	f.Add("Pool_A", "uid", "uid", "/dev/sdb\n/dev/sdb", "k=v\nk2=")
	f.Add("a.b.c", "u i d", "", "aio:///dev/sdb\n../etc/passwd", "=v")
	f.Add(strings.Repeat("a", 254), strings.Repeat("u", 129), "x", strings.Repeat("/d\n", 17), "a/b/c=v")
	f.Fuzz(func(t *testing.T, name, owner, adopt, disks, labels string) {
		req := &agentv1.CreatePoolRequest{Name: name, OwnerUid: owner, AdoptOwnerUid: adopt}
		if disks != "" {
			req.Disks = strings.Split(disks, "\n")
		}
		if labels != "" {
			req.Labels = map[string]string{}
			for _, kv := range strings.Split(labels, "\n") {
				k, v, _ := strings.Cut(kv, "=")
				req.Labels[k] = v
			}
		}
		err := validateCreate(req)
		if err != nil {
			st, ok := status.FromError(err)
			if !ok || st.Code() != codes.InvalidArgument || st.Message() == "" {
				t.Fatalf("refusal %v is not InvalidArgument with a message", err)
			}
			return
		}
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Fatalf("accepted invalid name %q: %v", name, errs)
		}
		for field, uid := range map[string]string{"owner_uid": owner, "adopt_owner_uid": adopt} {
			if len(uid) > maxOwnerLen || strings.IndexFunc(uid, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
				t.Fatalf("accepted %s %q", field, uid)
			}
		}
		if owner == "" || adopt == owner {
			t.Fatalf("accepted owner %q, adopt %q", owner, adopt)
		}
		if n := len(req.Disks); n == 0 || n > maxDisks {
			t.Fatalf("accepted %d disks", n)
		}
		seen := map[string]bool{}
		for _, d := range req.Disks {
			if seen[d] {
				t.Fatalf("accepted disk %q twice", d)
			}
			seen[d] = true
		}
		if len(req.Labels) > maxPoolLabels {
			t.Fatalf("accepted %d labels", len(req.Labels))
		}
		for k, v := range req.Labels {
			if len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(v)) > 0 {
				t.Fatalf("accepted label %q=%q", k, v)
			}
		}
	})
}
