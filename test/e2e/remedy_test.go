package e2e

import (
	"os/exec"
	"regexp"
	"testing"
	"time"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// remedyWithin is how soon after the remedy the pool must be Created: the
// wait issue 18 promises an admin who fixed the disk.
const remedyWithin = 30 * time.Second

var remedyCommand = regexp.MustCompile("`([^`]+)`")

// TestDiskInUseRemedy asks for a pool on a disk with an ext4 signature,
// runs the one command the DiskInUse message gives, verbatim, in a shell,
// and waits for the pool to be Created, with the operator's default retry
// settings, within remedyWithin of the command.
func TestDiskInUseRemedy(t *testing.T) {
	f := setup(t)
	disk := f.NewDisk("node-a")
	writeExtMagic(t, disk)

	name := harness.UniqueName("remedy")
	f.CreatePool(name, "node-a", disk)
	p := f.WaitPool(name, "refused with DiskInUse", harness.ConvergeTimeout, func(p *v1beta3.DiskPool) bool {
		return harness.ReadyReason(p) == reconcile.ReasonDiskInUse
	})
	msg := ""
	for _, c := range p.Status.Conditions {
		if c.Type == v1beta3.ConditionReady {
			msg = c.Message
		}
	}
	cmds := remedyCommand.FindAllStringSubmatch(msg, -1)
	if len(cmds) != 1 {
		t.Fatalf("DiskInUse message %q gives %d commands, want 1", msg, len(cmds))
	}
	out, err := exec.CommandContext(f.Ctx, "sh", "-c", cmds[0][1]).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmds[0][1], err, out)
	}
	ran := time.Now()
	f.WaitPool(name, "Created after the remedy", remedyWithin, harness.IsCreatedOnline)
	t.Logf("ran %s; Created %s later", cmds[0][1], time.Since(ran).Round(time.Millisecond))
}
