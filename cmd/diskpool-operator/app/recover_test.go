package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
)

func TestRunRecover(t *testing.T) {
	cm, err := inventory.NewConfigMap("diskpool-system", inventory.Report{Node: "node1", Orphans: []inventory.Orphan{{
		Name: "p1", UUID: "u1", Disks: []string{"/dev/sdb"}, Replicas: 4, Owner: inventory.Owner{Kind: "DiskPool", Namespace: "storage", Name: "p1", UID: "old"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, MigrateExitUsage, "--namespace"},
		{[]string{"-n", "storage", "extra"}, MigrateExitUsage, "unexpected arguments"},
		{[]string{"-n", "storage", "--dry-run"}, MigrateExitOK, "Done: 1 would be recovered, 0 skipped."},
		{[]string{"-n", "other", "--dry-run"}, MigrateExitOK, "Done: 0 would be recovered, 0 skipped."},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			client := fake.NewSimpleClientset()
			var out, errOut bytes.Buffer
			code := RunRecover(context.Background(), tc.args, &out, &errOut, kubefake.NewClientset(cm), client)
			if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
				t.Errorf("exit %d (want %d), output:\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			for _, a := range client.Actions() {
				if a.GetVerb() != "list" {
					t.Errorf("a dry run or refusal made a %s", a.GetVerb())
				}
			}
		})
	}
}
