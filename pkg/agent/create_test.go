package agent

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

func TestCreatePool(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	p := h.mustCreate("pool-a", ownerA, d)
	if p.GetName() != "pool-a" || p.GetOwnerUid() != ownerA || p.GetNode() != "node-a" ||
		p.GetState() != agentv1.PoolState_POOL_STATE_ONLINE || p.GetUuid() == "" ||
		p.GetCapacity() != label.Capacity(gib, label.DefaultClusterSize) || p.GetUsed() != 0 ||
		p.GetClusterSize() != label.DefaultClusterSize || len(p.GetDisks()) != 1 || p.GetDisks()[0] != d {
		t.Fatalf("CreatePool = %v", p)
	}

	// Idempotent: the same request, or the same disk by URI, returns the
	// same pool and writes nothing.
	before := fileHash(t, d)
	for _, disk := range []string{d, "aio://" + d, "uring://" + d} {
		again := h.mustCreate("pool-a", ownerA, disk)
		if again.GetUuid() != p.GetUuid() {
			t.Errorf("CreatePool(%s) again: uuid %s, want %s", disk, again.GetUuid(), p.GetUuid())
		}
	}
	if fileHash(t, d) != before {
		t.Error("an idempotent CreatePool wrote to the disk")
	}
}

// TestCreateRefusesSignatures: a disk with a filesystem, partition table,
// LVM, RAID, LUKS or ZFS signature is refused and left byte-for-byte as it
// was.
func TestCreateRefusesSignatures(t *testing.T) {
	h := newHarness(t)
	for _, typ := range sigtest.Types() {
		t.Run(typ, func(t *testing.T) {
			d := h.disk("disk-"+typ, gib)
			f, err := os.OpenFile(d, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := sigtest.Apply(f, typ, gib); err != nil {
				t.Fatal(err)
			}
			_ = f.Close()
			before := fileHash(t, d)

			_, err = h.create("pool-"+strings.ToLower(strings.ReplaceAll(typ, "_", "-")), ownerA, d)
			wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
			if md := poolerr.Metadata(err); md[poolerr.MetaSignature] != typ || md[poolerr.MetaDisk] != d {
				t.Errorf("metadata = %v, want signature %s disk %s", md, typ, d)
			}
			if !strings.Contains(err.Error(), "dd if=/dev/zero of="+d+" ") || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("message does not say what to do: %v", err)
			}
			if after := fileHash(t, d); after != before {
				t.Fatal("disk changed after a refused CreatePool")
			}
		})
	}
}

func TestCreateRefusals(t *testing.T) {
	h := newHarness(t)
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(outside, gib); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(outside, filepath.Join(h.dir, "link-out")))
	must(os.Mkdir(filepath.Join(h.dir, "subdir"), 0o755))
	junk := h.disk("junk", gib)
	f, err := os.OpenFile(junk, os.O_RDWR, 0)
	must(err)
	_, err = f.WriteAt([]byte("hello"), gib-300)
	must(err)
	_ = f.Close()
	small := h.disk("small", 8<<20)

	// A foreign pool: created by this agent, then the agent forgets it (a
	// new agent on a fresh state, scanning nothing).
	foreignDisk := h.disk("foreign", gib)
	sameNameDisk := h.disk("same-name", gib)
	h.mustCreate("other-pool", ownerB, foreignDisk)
	h.mustCreate("pool-x", ownerB, sameNameDisk)
	h.cfg.Disks, h.cfg.StateDir = nil, ""
	h.restart()

	claimed := h.disk("claimed", gib)
	h.mustCreate("holder", ownerA, claimed)

	tests := []struct {
		name   string
		pool   string
		owner  string
		disks  []string
		code   codes.Code
		reason string
	}{
		{"outside the allow-list", "p1", ownerA, []string{outside}, codes.PermissionDenied, poolerr.ReasonDiskNotAllowed},
		{"symlink out of the allow-list", "p1", ownerA, []string{filepath.Join(h.dir, "link-out")}, codes.PermissionDenied, poolerr.ReasonDiskNotAllowed},
		{"dot-dot out of the allow-list", "p1", ownerA, []string{h.dir + "/../" + filepath.Base(filepath.Dir(outside))}, codes.PermissionDenied, poolerr.ReasonDiskNotAllowed},
		{"etc passwd", "p1", ownerA, []string{"/etc/passwd"}, codes.PermissionDenied, poolerr.ReasonDiskNotAllowed},
		{"missing disk", "p1", ownerA, []string{filepath.Join(h.dir, "nope")}, codes.NotFound, poolerr.ReasonDiskNotFound},
		{"directory", "p1", ownerA, []string{filepath.Join(h.dir, "subdir")}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"bad uri", "p1", ownerA, []string{"nvmf://host/x"}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"relative path", "p1", ownerA, []string{"sdb"}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"bad name", "Pool_A", ownerA, []string{junk}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"no owner", "p1", "", []string{junk}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"no disks", "p1", ownerA, nil, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"same disk twice", "p1", ownerA, []string{junk, "aio://" + junk}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"too small", "p1", ownerA, []string{small}, codes.InvalidArgument, poolerr.ReasonInvalidArgument},
		{"unrecognised data", "p1", ownerA, []string{junk}, codes.FailedPrecondition, poolerr.ReasonDiskInUse},
		{"foreign pool", "p1", ownerA, []string{foreignDisk}, codes.FailedPrecondition, poolerr.ReasonForeignPool},
		{"same name other owner on disk", "pool-x", ownerA, []string{sameNameDisk}, codes.FailedPrecondition, poolerr.ReasonForeignPool},
		{"disk claimed by another pool", "p1", ownerA, []string{claimed}, codes.FailedPrecondition, poolerr.ReasonDiskClaimed},
		{"name taken by another owner", "holder", ownerB, []string{claimed}, codes.FailedPrecondition, poolerr.ReasonPoolNameTaken},
		{"same pool other disks", "holder", ownerA, []string{junk}, codes.FailedPrecondition, poolerr.ReasonPoolDisksMismatch},
	}
	all := []string{outside, junk, small, foreignDisk, sameNameDisk, claimed}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]string{}
			for _, d := range all {
				before[d] = fileHash(t, d)
			}
			_, err := h.create(tt.pool, tt.owner, tt.disks...)
			wantRefusal(t, err, tt.code, tt.reason)
			for _, d := range all {
				if fileHash(t, d) != before[d] {
					t.Errorf("disk %s changed after a refused CreatePool", d)
				}
			}
		})
	}
	if p := h.get("holder"); p.GetOwnerUid() != ownerA {
		t.Errorf("holder changed: %v", p)
	}
	if _, err := h.client.GetPool(h.ctx, &agentv1.GetPoolRequest{Name: "p1"}); poolerr.Reason(err) != poolerr.ReasonPoolNotFound {
		t.Errorf("a refused pool exists: %v", err)
	}
}

func TestForeignPoolMessage(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	orig := h.mustCreate("pool-a", ownerB, d)
	h.cfg.Disks, h.cfg.StateDir = nil, ""
	h.restart()
	_, err := h.create("pool-a", ownerA, d)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonForeignPool)
	md := poolerr.Metadata(err)
	if md[poolerr.MetaFoundPool] != "pool-a" || md[poolerr.MetaOwner] != ownerB || md[poolerr.MetaFoundUUID] != orig.GetUuid() {
		t.Errorf("metadata = %v", md)
	}
	if !strings.Contains(err.Error(), "adopt_owner_uid="+ownerB) {
		t.Errorf("message does not mention adoption: %v", err)
	}
}

func TestAdopt(t *testing.T) {
	for _, known := range []bool{true, false} {
		name := "on disk"
		if known {
			name = "in memory"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			d := h.disk("sdb", gib)
			orig := h.mustCreate("pool-a", ownerB, d)
			h.mustReplica("pool-a", replica1, 10<<20, false)
			if !known {
				h.cfg.Disks, h.cfg.StateDir = nil, ""
				h.restart()
			}
			p, err := h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: ownerA, AdoptOwnerUid: ownerB, Disks: []string{d}})
			if err != nil {
				t.Fatal(err)
			}
			if p.GetUuid() != orig.GetUuid() || p.GetOwnerUid() != ownerA || p.GetReplicaCount() != 1 {
				t.Fatalf("adopted pool = %v", p)
			}
			// The adoption is on disk: a restart keeps the new owner.
			h.cfg.Disks = []string{d}
			h.restart()
			if p := h.get("pool-a"); p.GetOwnerUid() != ownerA || p.GetUuid() != orig.GetUuid() {
				t.Fatalf("after restart = %v", p)
			}
			// Adopting from an owner that is not the owner is refused.
			_, err = h.client.CreatePool(h.ctx, &agentv1.CreatePoolRequest{Name: "pool-a", OwnerUid: "someone", AdoptOwnerUid: ownerB, Disks: []string{d}})
			wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonPoolNameTaken)
		})
	}
}

func TestCreateMultiDisk(t *testing.T) {
	h := newHarness(t)
	a, b := h.disk("sdb", gib), h.disk("sdc", gib)
	p := h.mustCreate("pool-a", ownerA, a, b)
	if p.GetCapacity() != 2*label.Capacity(gib, label.DefaultClusterSize) {
		t.Fatalf("capacity = %d", p.GetCapacity())
	}
	_, err := h.create("pool-a", ownerA, b, a)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonPoolDisksMismatch)

	h.restart()
	if got := h.get("pool-a"); got.GetUuid() != p.GetUuid() || got.GetState() != agentv1.PoolState_POOL_STATE_ONLINE {
		t.Fatalf("after restart = %v", got)
	}
	// Imported with its disks in the wrong order: refused.
	h.cfg.Disks, h.cfg.StateDir = nil, ""
	h.restart()
	_, err = h.create("pool-a", ownerA, b, a)
	wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonPoolDisksMismatch)
	if got := h.mustCreate("pool-a", ownerA, a, b); got.GetUuid() != p.GetUuid() {
		t.Fatalf("import = %v", got)
	}
}

func TestCreateReadError(t *testing.T) {
	h := newHarness(t)
	d := h.disk("sdb", gib)
	r, err := h.cfg.Resolver.Resolve(d)
	if err != nil {
		t.Fatal(err)
	}
	h.opener.setReadError(r.Path, syscall.EIO)
	_, err = h.create("pool-a", ownerA, d)
	if status.Code(err) != codes.Internal || poolerr.Reason(err) != "" || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("CreatePool on an unreadable disk: %v, want Internal naming the I/O error", err)
	}
	h.opener.setReadError(r.Path, nil)
	h.mustCreate("pool-a", ownerA, d)
}
