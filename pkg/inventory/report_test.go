package inventory

import (
	"reflect"
	"testing"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

const (
	liveUID = "11111111-aaaa-4aaa-8aaa-000000000001"
	goneUID = "22222222-bbbb-4bbb-8bbb-000000000002"
)

func pooled(path, name, uuid, owner string, replicas uint32, claimed bool) *agentv1.Disk {
	d := &agentv1.Disk{Path: path, Kind: "block", SizeBytes: 1 << 30, Content: agentv1.DiskContent_DISK_CONTENT_POOL,
		PoolName: name, PoolUuid: uuid, OwnerUid: owner, OwnerKind: "DiskPool", OwnerNamespace: "openebs", OwnerName: name,
		PoolReplicaCount: replicas, PoolDisks: []string{"aio://" + path}}
	if claimed {
		d.ClaimedBy = name
	}
	return d
}

func twoDisk(path string) *agentv1.Disk {
	d := pooled(path, "pool-b", "u-b", goneUID, 0, false)
	d.PoolDisks = []string{"/dev/sdc", "/dev/sdb"}
	return d
}

func TestBuildReportOrphans(t *testing.T) {
	live := func(uid string) bool { return uid == liveUID }
	cases := []struct {
		name  string
		disks []*agentv1.Disk
		want  []Orphan
	}{
		{"no disks", nil, []Orphan{}},
		{"empty and foreign disks are no orphans", []*agentv1.Disk{
			{Path: "/dev/sda", Content: agentv1.DiskContent_DISK_CONTENT_EMPTY},
			{Path: "/dev/sdb", Content: agentv1.DiskContent_DISK_CONTENT_SIGNATURE, Signature: "ext4"},
		}, []Orphan{}},
		{"a live owner's pool is no orphan", []*agentv1.Disk{pooled("/dev/sda", "pool-a", "u-a", liveUID, 2, true)}, []Orphan{}},
		{"a gone owner's pool is one", []*agentv1.Disk{pooled("/dev/sda", "pool-a", "u-a", goneUID, 2, true)}, []Orphan{
			{Name: "pool-a", UUID: "u-a", Disks: []string{"aio:///dev/sda"}, Paths: []string{"/dev/sda"}, Replicas: 2, Imported: true,
				Owner: Owner{Kind: "DiskPool", Namespace: "openebs", Name: "pool-a", UID: goneUID}},
		}},
		{"one orphan per pool, its disks in label order, its paths sorted", []*agentv1.Disk{
			twoDisk("/dev/sdc"), twoDisk("/dev/sdb"),
			pooled("/dev/sda", "pool-a", "u-a", goneUID, 1, true),
		}, []Orphan{
			{Name: "pool-a", UUID: "u-a", Disks: []string{"aio:///dev/sda"}, Paths: []string{"/dev/sda"}, Replicas: 1, Imported: true, Owner: Owner{Kind: "DiskPool", Namespace: "openebs", Name: "pool-a", UID: goneUID}},
			{Name: "pool-b", UUID: "u-b", Disks: []string{"/dev/sdc", "/dev/sdb"}, Paths: []string{"/dev/sdb", "/dev/sdc"}, Owner: Owner{Kind: "DiskPool", Namespace: "openebs", Name: "pool-b", UID: goneUID}},
		}},
		{"an overwritten disk still names its orphan", []*agentv1.Disk{func() *agentv1.Disk {
			d := pooled("/dev/sda", "pool-a", "u-a", goneUID, 0, false)
			d.Content, d.Signature = agentv1.DiskContent_DISK_CONTENT_OVERWRITTEN, "ext4"
			return d
		}()}, []Orphan{{Name: "pool-a", UUID: "u-a", Disks: []string{"aio:///dev/sda"}, Paths: []string{"/dev/sda"}, Owner: Owner{Kind: "DiskPool", Namespace: "openebs", Name: "pool-a", UID: goneUID}}}},
		{"a damaged label has no uuid to adopt by", []*agentv1.Disk{
			{Path: "/dev/sda", Content: agentv1.DiskContent_DISK_CONTENT_DAMAGED_LABEL, PoolName: "pool-a", OwnerUid: goneUID},
		}, []Orphan{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := BuildReport("node-a", tc.disks, live)
			if !reflect.DeepEqual(r.Orphans, tc.want) {
				t.Errorf("orphans = %+v\nwant %+v", r.Orphans, tc.want)
			}
			if len(r.Disks) != len(tc.disks) || r.Node != "node-a" {
				t.Errorf("report = %+v", r)
			}
		})
	}
}

func TestBuildReportDisks(t *testing.T) {
	r := BuildReport("n", []*agentv1.Disk{
		{Path: "/dev/sdb", Content: agentv1.DiskContent_DISK_CONTENT_SIGNATURE, Signature: "LVM2_member", SizeBytes: 5},
		pooled("/dev/sda", "pool-a", "u-a", liveUID, 0, true),
	}, func(string) bool { return true })
	want := []Disk{
		{Path: "/dev/sda", Kind: "block", SizeBytes: 1 << 30, Content: "Pool", ClaimedBy: "pool-a",
			Pool: &PoolRef{Name: "pool-a", UUID: "u-a", Replicas: 0, Owner: Owner{Kind: "DiskPool", Namespace: "openebs", Name: "pool-a", UID: liveUID}}},
		{Path: "/dev/sdb", Content: "Signature", Signature: "LVM2_member", SizeBytes: 5},
	}
	if !reflect.DeepEqual(r.Disks, want) {
		t.Errorf("disks = %+v\nwant %+v", r.Disks, want)
	}
}

func TestNewOrphans(t *testing.T) {
	a, b, c := Orphan{UUID: "a"}, Orphan{UUID: "b"}, Orphan{UUID: "c"}
	if got := NewOrphans([]Orphan{a, b}, []Orphan{b, c}); !reflect.DeepEqual(got, []Orphan{c}) {
		t.Errorf("NewOrphans = %v", got)
	}
	if got := NewOrphans(nil, []Orphan{a}); !reflect.DeepEqual(got, []Orphan{a}) {
		t.Errorf("NewOrphans from nothing = %v", got)
	}
}

func TestConfigMapName(t *testing.T) {
	if got := ConfigMapName("worker-1"); got != "diskpool-node-worker-1" {
		t.Errorf("ConfigMapName = %q", got)
	}
	long := ""
	for len(long) < 253 {
		long += "a"
	}
	got, again := ConfigMapName(long), ConfigMapName(long[:252]+"b")
	if len(got) > 253 || got == again {
		t.Errorf("long names: %q (%d) and %q", got, len(got), again)
	}
}
