package agent

import (
	"fmt"
	"strings"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
)

// wipeRanges are the byte ranges of a disk of the given size that decide
// whether it is empty: the head and tail windows the signature and
// non-zero checks read, and the label areas (the primary lies in the head;
// the backup of a disk whose size is not a multiple of 256 KiB starts
// before the last MiB). Zeroing them, and nothing more, makes the next
// CreatePool find the disk empty. Sorted, disjoint.
func wipeRanges(size int64) []signature.Range {
	head := min(size, signature.WindowSize)
	tail := size - signature.WindowSize
	if b := label.BackupOffset(size); b >= 0 {
		tail = min(tail, b)
	}
	if tail <= head {
		return []signature.Range{{Off: 0, Len: size}}
	}
	return []signature.Range{{Off: 0, Len: head}, {Off: tail, Len: size - tail}}
}

// wipeCommand is one shell command that zeroes wipeRanges(size) of path:
// GNU dd with byte offsets and counts, conv=notrunc so a disk image file
// keeps its size, fsync so the zeros are on the disk when it returns.
func wipeCommand(path string, size int64) string {
	var cmds []string
	for _, r := range wipeRanges(size) {
		seek := ""
		if r.Off > 0 {
			seek = fmt.Sprintf(" seek=%d oflag=seek_bytes", r.Off)
		}
		cmds = append(cmds, fmt.Sprintf("dd if=/dev/zero of=%s bs=64K count=%d iflag=count_bytes%s conv=notrunc,fsync", shellQuote(path), r.Len, seek))
	}
	return strings.Join(cmds, " && ")
}

// wipeAdvice is the remedy of a refused disk: the exact command, and why
// wipefs alone is not it.
func wipeAdvice(diskName string, size int64) string {
	return fmt.Sprintf("zero the bytes the agent checks with `%s` (wipefs -a is not enough: it clears only the magic bytes of known signatures) and the pool will be created on the next retry",
		wipeCommand(diskPathOf(diskName), size))
}

// shellQuote quotes path for a POSIX shell unless it needs no quoting (the
// usual /dev/... path).
func shellQuote(path string) string {
	if path != "" && strings.Trim(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:+=,@") == "" {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
