package agent

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// remedyCommand is the command between backticks in a refusal message.
var remedyCommand = regexp.MustCompile("`([^`]+)`")

// runRemedy runs the one command a refusal message gives, as an admin
// would paste it into a shell.
func runRemedy(t *testing.T, err error) {
	t.Helper()
	msg := status.Convert(err).Message()
	m := remedyCommand.FindAllStringSubmatch(msg, -1)
	if len(m) != 1 {
		t.Fatalf("refusal %q gives %d commands, want 1", msg, len(m))
	}
	out, runErr := exec.CommandContext(t.Context(), "sh", "-c", m[0][1]).CombinedOutput()
	if runErr != nil {
		t.Fatalf("%s: %v\n%s", m[0][1], runErr, out)
	}
	t.Logf("ran %s", m[0][1])
}

func writeAt(t *testing.T, path string, b []byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func readAt(t *testing.T, path string, n int, off int64) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWipeRangesCoverWhatIsRead: the ranges the remedy zeroes hold every
// byte the emptiness checks read (head and tail windows, label areas), on
// sizes that are and are not multiples of 256 KiB.
func TestWipeRangesCoverWhatIsRead(t *testing.T) {
	for _, size := range []int64{16 << 20, 64 << 20, 16<<20 + 7*512, 1_000_204_886_016, 1 << 20, 3<<20 + 512} {
		rs := wipeRanges(size)
		in := func(off int64) bool {
			for _, r := range rs {
				if off >= r.Off && off < r.Off+r.Len {
					return true
				}
			}
			return false
		}
		read := []signature.Range{{Off: 0, Len: min(size, signature.WindowSize)}, {Off: max(0, size-signature.WindowSize), Len: min(size, signature.WindowSize)}}
		read = append(read, label.Areas(size, 0)...)
		for _, r := range read {
			if !in(r.Off) || !in(r.Off+r.Len-1) {
				t.Errorf("size %d: read range [%d, %d) not inside wipe ranges %v", size, r.Off, r.Off+r.Len, rs)
			}
		}
		var total int64
		for _, r := range rs {
			total += r.Len
			if r.Off < 0 || r.Off+r.Len > size {
				t.Errorf("size %d: wipe range %v outside the disk", size, r)
			}
		}
		if total > 3<<20 {
			t.Errorf("size %d: remedy zeroes %d bytes, want at most 3 MiB", size, total)
		}
	}
}

// TestRemedyFollowedLiterally: for each refusal of a disk with data on it
// (a known signature, unrecognised data in every byte the agent checks, a
// damaged label, a label overwritten by a filesystem), the command in the
// message, run by a shell, makes the next CreatePool succeed, and leaves
// the bytes just outside the ranges it zeroes and the disk size as they
// were. Sizes include one that is not a multiple of 256 KiB.
func TestRemedyFollowedLiterally(t *testing.T) {
	if _, err := exec.LookPath("dd"); err != nil {
		t.Fatalf("dd, which the remedy runs, is not installed: %v", err)
	}
	ext4 := func(t *testing.T, h *harness, p string) {
		var magic [2]byte
		binary.LittleEndian.PutUint16(magic[:], 0xEF53)
		writeAt(t, p, magic[:], 1024+56)
	}
	fill := func(t *testing.T, h *harness, p string) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range wipeRanges(st.Size()) {
			writeAt(t, p, bytes.Repeat([]byte{0xA5}, int(r.Len)), r.Off)
		}
	}
	corrupt := func(t *testing.T, h *harness, p string) {
		writeAt(t, p, []byte(label.Magic+"garbage, not a header"), label.PrimaryOffset)
	}
	overwritten := func(t *testing.T, h *harness, p string) {
		// A pool of an earlier agent whose state is lost, and its disk not
		// among those scanned (no --disk): only the label is left of it.
		h.cfg.Disks = nil
		h.mustCreate("earlier", ownerA, p)
		h.stop()
		if err := os.RemoveAll(h.stateDir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(h.stateDir, 0o755); err != nil {
			t.Fatal(err)
		}
		ext4(t, h, p)
		h.start()
	}
	for _, tc := range []struct {
		name    string
		damage  func(t *testing.T, h *harness, p string)
		owner   string
		contain string
	}{
		{"ext4 signature", ext4, ownerB, "ext4"},
		{"unrecognised data", fill, ownerB, "unrecognised data"},
		{"damaged label", corrupt, ownerB, "damaged diskpool label"},
		{"overwritten label", overwritten, ownerA, "overwritten outside the agent"},
	} {
		for _, size := range []int64{64 << 20, 1_000_204_886_016} {
			t.Run(tc.name+"/"+sizeName(size), func(t *testing.T) {
				h := newHarness(t)
				p := h.disk("d", size)
				margins := outsideMargins(size)
				for _, off := range margins {
					writeAt(t, p, []byte{0x5A}, off)
				}
				tc.damage(t, h, p)
				_, err := h.create("pool", tc.owner, p)
				wantRefusal(t, err, codes.FailedPrecondition, poolerr.ReasonDiskInUse)
				if msg := status.Convert(err).Message(); !bytes.Contains([]byte(msg), []byte(tc.contain)) {
					t.Fatalf("refusal %q does not say %q", msg, tc.contain)
				}
				runRemedy(t, err)
				if _, err := h.create("pool", tc.owner, p); err != nil {
					t.Fatalf("CreatePool after the remedy: %v", err)
				}
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() != size {
					t.Errorf("disk size %d after the remedy, was %d", st.Size(), size)
				}
				for _, off := range margins {
					if b := readAt(t, p, 1, off); b[0] != 0x5A {
						t.Errorf("byte %d outside the wipe ranges was changed to %#x", off, b[0])
					}
				}
			})
		}
	}
}

// outsideMargins are the bytes just outside the wipe ranges, inside the
// data region the label never covers.
func outsideMargins(size int64) []int64 {
	rs := wipeRanges(size)
	if len(rs) < 2 {
		return nil
	}
	return []int64{rs[0].Off + rs[0].Len, rs[1].Off - 1}
}

func sizeName(size int64) string {
	if size%(256<<10) != 0 {
		return "odd-size"
	}
	return "aligned"
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/dev/sdb":                         "/dev/sdb",
		"/dev/disk/by-id/nvme-X_1:2,3@4+5": "/dev/disk/by-id/nvme-X_1:2,3@4+5",
		"/var/disks/a disk":                "'/var/disks/a disk'",
		"/var/disks/it's":                  `'/var/disks/it'\''s'`,
		"/var/disks/$(rm -rf x)":           "'/var/disks/$(rm -rf x)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
		out, err := exec.CommandContext(t.Context(), "sh", "-c", "printf %s "+shellQuote(in)).Output()
		if err != nil || string(out) != in {
			t.Errorf("sh -c 'printf %%s %s' = %q, %v; want %q", shellQuote(in), out, err, in)
		}
	}
}
