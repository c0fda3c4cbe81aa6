package badinput

import (
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature/sigtest"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

var remedyCommand = regexp.MustCompile("`([^`]+)`")

func writeAt(t *testing.T, path string, b []byte, off int64) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	if _, err := fh.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestDiskInUseRemediesWork: for every DiskInUse refusal that gives a
// command (each known signature, unrecognised data, a damaged pool label),
// running that command verbatim in a shell on the node's disk gets the
// pool Created on a later retry, with no other change to the object.
func TestDiskInUseRemediesWork(t *testing.T) {
	f := setup(t)
	type damage func(t *testing.T, path string)
	cases := map[string]damage{
		"unrecognised data": func(t *testing.T, p string) { writeAt(t, p, []byte("not a known signature"), 4096) },
		"damaged label":     func(t *testing.T, p string) { writeAt(t, p, []byte(label.Magic+"garbage"), label.PrimaryOffset) },
	}
	for _, typ := range sigtest.Types() {
		cases["signature "+typ] = func(t *testing.T, p string) {
			fh, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = fh.Close() }()
			if err := sigtest.Apply(fh, typ, diskSize); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, apply := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &fixture{f.For(t)}
			disk := f.NewDisk("node-a")
			apply(t, disk)
			obj := harness.UniqueName("remedy")
			f.CreatePool(obj, "node-a", disk)
			msg := f.refused(obj, reconcile.ReasonDiskInUse, "nothing was written")
			cmds := remedyCommand.FindAllStringSubmatch(msg, -1)
			if len(cmds) != 1 {
				t.Fatalf("message %q gives %d commands, want 1", msg, len(cmds))
			}
			if out, err := exec.CommandContext(f.Ctx, "sh", "-c", cmds[0][1]).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cmds[0][1], err, out)
			}
			f.WaitCreated(obj)
		})
	}
}

// TestDiskNotFoundRemedyWorks follows the DiskNotFound advice ("attach the
// disk"): once a disk appears at the path, the pool is Created on a later
// retry with no change to the object.
func TestDiskNotFoundRemedyWorks(t *testing.T) {
	f := setup(t)
	path := nodeDir("node-a") + "/" + harness.UniqueName("attached-later")
	name := harness.UniqueName("notfound")
	f.CreatePool(name, "node-a", path)
	f.refused(name, reconcile.ReasonDiskNotFound, "does not exist on this node", "attach the disk")
	createSparse(t, path)
	f.WaitCreated(name)
}
