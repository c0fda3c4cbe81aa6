package badinput

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

func getPool(name string) *agentv1.GetPoolRequest { return &agentv1.GetPoolRequest{Name: name} }

// refusalCase is a disk the node must refuse: what the spec names, which
// file must stay byte-for-byte the same, and the Ready reason and message.
type refusalCase struct {
	name string
	// prepare returns the spec's disk path and the file to hash ("" for
	// none: it does not exist or is not a regular file).
	prepare func(t *testing.T, f *fixture) (disk, watch string)
	node    string
	reason  string
	want    []string
}

// outsideFile creates a sparse disk outside every agent's allow-list.
func outsideFile(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(env.WorkDir(), "outside")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	createSparse(t, p)
	return p
}

// TestNodeRefusals asks for pools the node must refuse: each is reported in
// the Ready condition (False, the reason, a message saying what is wrong
// and what to do) and a Warning event, the object is not Created, no agent
// has the pool, the disk is byte-for-byte unchanged, and deleting the
// object needs no destroy.
func TestNodeRefusals(t *testing.T) {
	f := setup(t)
	cases := []refusalCase{
		{name: "outside the allow-list", reason: reconcile.ReasonDiskNotAllowed,
			want: []string{"outside the allowed device directories", "--allowed-device-dir"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				p := outsideFile(t, harness.UniqueName("outside"))
				return p, p
			}},
		{name: "symlink escaping the allow-list", reason: reconcile.ReasonDiskNotAllowed,
			want: []string{"resolves to", "outside the allowed device directories"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				target := outsideFile(t, harness.UniqueName("target"))
				link := filepath.Join(nodeDir("node-a"), harness.UniqueName("escape"))
				if err := os.Symlink(target, link); err != nil {
					t.Fatal(err)
				}
				return link, target
			}},
		{name: "relative symlink escaping the allow-list", reason: reconcile.ReasonDiskNotAllowed,
			want: []string{"resolves to"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				target := outsideFile(t, harness.UniqueName("rtarget"))
				link := filepath.Join(nodeDir("node-a"), harness.UniqueName("rescape"))
				rel, err := filepath.Rel(nodeDir("node-a"), target)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(rel, link); err != nil {
					t.Fatal(err)
				}
				return link, target
			}},
		{name: "a directory", reason: reconcile.ReasonInvalidSpec,
			want: []string{"a directory", "a pool needs a block device"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				dir := filepath.Join(nodeDir("node-a"), harness.UniqueName("dir"))
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				return dir, ""
			}},
		{name: "/dev/null through a symlink inside the allow-list", reason: reconcile.ReasonDiskNotAllowed,
			want: []string{"resolves to /dev/null"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				link := filepath.Join(nodeDir("node-a"), harness.UniqueName("null"))
				if err := os.Symlink("/dev/null", link); err != nil {
					t.Fatal(err)
				}
				return link, ""
			}},
		{name: "a character device inside the allow-list", reason: reconcile.ReasonInvalidSpec,
			want: []string{"a character device", "a pool needs a block device"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				dev := filepath.Join(nodeDir("node-a"), harness.UniqueName("chr"))
				// The device numbers of /dev/null (1, 3); needs CAP_MKNOD.
				if err := syscall.Mknod(dev, syscall.S_IFCHR|0o600, 1<<8|3); err != nil {
					t.Skipf("Skipping: mknod: %v", err)
				}
				return dev, ""
			}},
		{name: "a disk that does not exist", reason: reconcile.ReasonDiskNotFound,
			want: []string{"does not exist on this node"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				return filepath.Join(nodeDir("node-a"), harness.UniqueName("missing")), ""
			}},
		{name: "a disk too small for a pool", reason: reconcile.ReasonInvalidSpec,
			want: []string{"a pool needs at least"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				p := filepath.Join(nodeDir("node-a"), harness.UniqueName("small"))
				if err := os.WriteFile(p, make([]byte, 1<<20), 0o644); err != nil {
					t.Fatal(err)
				}
				return p, p
			}},
		{name: "a node that does not exist", node: "no-such-node", reason: reconcile.ReasonNodeNotFound,
			want: []string{"node no-such-node does not exist"},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				p := f.NewDisk("node-a")
				return p, p
			}},
	}
	for _, typ := range sigtest.Types() {
		cases = append(cases, refusalCase{name: "signature " + typ, reason: reconcile.ReasonDiskInUse,
			want: []string{"signature at offset", "nothing was written", "dd if=/dev/zero of="},
			prepare: func(t *testing.T, f *fixture) (string, string) {
				p := f.NewDisk("node-a")
				fh, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := sigtest.Apply(fh, typ, diskSize); err != nil {
					t.Fatal(err)
				}
				if err := fh.Close(); err != nil {
					t.Fatal(err)
				}
				return p, p
			}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fixture{f.For(t)}
			disk, watch := tc.prepare(t, f)
			hash := ""
			if watch != "" {
				hash = harness.FileHash(t, watch)
			}
			node := tc.node
			if node == "" {
				node = "node-a"
			}
			name := harness.UniqueName("refuse")
			f.CreatePool(name, node, disk)
			msg := f.refused(name, tc.reason, tc.want...)
			t.Logf("%s: Ready=False %s: %s", tc.name, tc.reason, msg)
			f.noPool(name)
			if tc.node != "" {
				// The admitted finalizer keeps an object whose node is
				// unknown: only a purge lets it go (the message says so).
				patch := []byte(`{"metadata":{"annotations":{"` + v1beta3.DeleteOptsAnnotation + `":"` + v1beta3.DeleteOptsPurge + `"}}}`)
				if _, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Patch(f.Ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			f.DeletePool(name)
			f.WaitGone(name, f.Timeout)
			if watch != "" && harness.FileHash(t, watch) != hash {
				t.Errorf("%s changed", watch)
			}
		})
	}
}

// TestDiskClaimed asks for a second pool on a disk a Created pool uses,
// from the same namespace and from another: both are refused with
// DiskClaimed naming the pool that has it, the disk is unchanged, and the
// first pool is untouched.
func TestDiskClaimed(t *testing.T) {
	f := setup(t)
	owner, disk, first := f.CreatedPool("owner", "node-b")
	hash := harness.FileHash(t, disk)

	other := harness.UniqueName("other-ns")
	if _, err := f.Kube.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{f.NS, other} {
		name := harness.UniqueName("claim")
		p := f.Pool(name, "node-b", disk)
		p.Namespace = ns
		f.MustCreate(p)
		f.in(ns).refused(name, reconcile.ReasonDiskClaimed, owner)
		f.noPool(name)
		f.In(ns).DeletePool(name)
		f.In(ns).WaitGone(name, f.Timeout)
	}
	if harness.FileHash(t, disk) != hash {
		t.Errorf("claimed disk %s changed", disk)
	}
	if after := f.WaitCreated(owner); after.Status.PoolUUID != first.Status.PoolUUID {
		t.Errorf("first pool's uuid %s, was %s", after.Status.PoolUUID, first.Status.PoolUUID)
	}
}

// TestUnknownDeleteOption deletes a pool annotated with a value of
// openebs.io/delete-opts that does not parse ("Purge": keys are
// case-sensitive, as in Mayastor) while it holds a replica: the delete is
// blocked with InvalidDeleteOpts (nothing destroyed, nothing purged, the
// pool intact); once the annotation is removed the delete goes on as
// usual (PoolInUse while the replica exists), and when the replica goes,
// the pool is destroyed and the object goes.
func TestUnknownDeleteOption(t *testing.T) {
	f := setup(t)
	name, _, _ := f.CreatedPool("opts", "node-b")
	agent := harness.AgentClient(t, env, "node-b")
	replica := uuid.NewString()
	ctx, cancel := context.WithTimeout(f.Ctx, 10*time.Second)
	defer cancel()
	if _, err := agent.CreateReplica(ctx, &agentv1.CreateReplicaRequest{Pool: name, Uuid: replica, Size: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	f.annotate(name, `"Purge"`)
	f.WaitPool(name, "reporting its replica", f.Timeout, func(p *v1beta3.DiskPool) bool { return p.Status.Used > 0 })
	f.DeletePool(name)
	p := f.WaitPool(name, "blocked", f.Timeout, func(p *v1beta3.DiskPool) bool {
		c := harness.Ready(p)
		return c != nil && c.Reason == reconcile.ReasonInvalidDeleteOpts
	})
	f.WaitEvent(name, "Warning", reconcile.ReasonInvalidDeleteOpts)
	msg := harness.Ready(p).Message
	for _, w := range []string{`"Purge"`, "unknown key", "nothing was destroyed or purged"} {
		if !strings.Contains(msg, w) {
			t.Errorf("Ready message %q does not say %q", msg, w)
		}
	}
	if _, err := agent.GetPool(ctx, getPool(name)); err != nil {
		t.Errorf("pool %s gone although the delete option did not parse: %v", name, err)
	}
	f.annotate(name, "null")
	f.WaitPool(name, "in use", f.Timeout, func(p *v1beta3.DiskPool) bool {
		c := harness.Ready(p)
		return c != nil && c.Reason == reconcile.ReasonPoolInUse
	})
	if _, err := agent.DestroyReplica(ctx, &agentv1.DestroyReplicaRequest{Pool: name, Uuid: replica}); err != nil {
		t.Fatal(err)
	}
	f.WaitGone(name, f.Timeout)
	f.noPool(name)
}

// annotate sets openebs.io/delete-opts to the JSON value (null removes it).
func (f *fixture) annotate(name, jsonValue string) {
	f.T.Helper()
	patch := []byte(`{"metadata":{"annotations":{"` + v1beta3.DeleteOptsAnnotation + `":` + jsonValue + `}}}`)
	if _, err := f.Pools.OpenebsV1beta3().DiskPools(f.NS).Patch(f.Ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		f.T.Fatal(err)
	}
}
