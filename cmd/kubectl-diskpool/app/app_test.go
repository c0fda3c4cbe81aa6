package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned/fake"
	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/inventory"
)

const opNS = "diskpool-system"

func fixture(t *testing.T) (*kubefake.Clientset, *fake.Clientset) {
	t.Helper()
	label := func(path, name, uuid, uid string, replicas uint32) *agentv1.Disk {
		return &agentv1.Disk{Path: path, Kind: "block", SizeBytes: 10 << 30, Content: agentv1.DiskContent_DISK_CONTENT_POOL, ClaimedBy: name,
			PoolName: name, PoolUuid: uuid, OwnerUid: uid, OwnerKind: "DiskPool", OwnerNamespace: "storage", OwnerName: name,
			PoolReplicaCount: replicas, PoolDisks: []string{path}}
	}
	live := func(uid string) bool { return uid == "uid-live" }
	reports := []inventory.Report{
		inventory.BuildReport("node-a", []*agentv1.Disk{
			label("/dev/sdb", "pool-live", "u-live", "uid-live", 3),
			{Path: "/dev/sdc", Kind: "block", SizeBytes: 20 << 30, Content: agentv1.DiskContent_DISK_CONTENT_SIGNATURE, Signature: "ext4",
				Links: []string{"/dev/disk/by-id/wwn-0x1"}},
		}, live),
		inventory.BuildReport("node-b", []*agentv1.Disk{label("/dev/sdb", "pool-gone", "u-gone", "uid-gone", 2)}, live),
	}
	var objs []runtime.Object
	for _, r := range reports {
		cm, err := inventory.NewConfigMap(opNS, r)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, cm)
	}
	dp := &v1beta3.DiskPool{ObjectMeta: metav1.ObjectMeta{Name: "pool-live", Namespace: "storage", UID: "uid-live"},
		Status: v1beta3.DiskPoolStatus{CRState: v1beta3.CRStateCreated, PoolStatus: v1beta3.PoolStatusOnline, PoolUUID: "u-live", Capacity: 10 << 30}}
	return kubefake.NewClientset(objs...), fake.NewSimpleClientset(dp)
}

func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	kube, client := fixture(t)
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append(args, "--operator-namespace", opNS), &out, &errOut, kube, client)
	return out.String() + errOut.String(), code
}

func TestCommands(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"disks"}, ExitOK, []string{"node-a  /dev/sdb", "pool pool-live (uuid u-live, 3 replica(s), owner DiskPool storage/pool-live)",
			"/dev/sdc  20Gi  Signature  ext4", "/dev/disk/by-id/wwn-0x1", "node-b  /dev/sdb"}},
		{[]string{"disks", "node-b"}, ExitOK, []string{"node-b  /dev/sdb"}},
		{[]string{"disks", "node-x"}, ExitFailed, []string{"no report for node node-x"}},
		{[]string{"orphans"}, ExitOK, []string{"node-b  pool-gone  u-gone  2", "DiskPool storage/pool-gone  uid-gone   /dev/sdb"}},
		{[]string{"pools"}, ExitOK, []string{"pool pool-live  DiskPool storage/pool-live  Created/Online  capacity 10Gi  replicas 3",
			"pool pool-gone  orphan (was DiskPool storage/pool-gone)  -  capacity -  replicas 2"}},
		{[]string{"recover"}, ExitUsage, []string{"--namespace is required"}},
		{[]string{"recover", "-n", "storage", "--dry-run"}, ExitOK, []string{"node-b/pool-gone (uuid u-gone, 2 replica(s)): would create DiskPool storage/pool-gone"}},
		{[]string{"frobnicate"}, ExitUsage, []string{"unknown command"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, code := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	out, _ := run(t, "disks", "node-b")
	if strings.Contains(out, "node-a") {
		t.Errorf("disks node-b shows node-a:\n%s", out)
	}
}
