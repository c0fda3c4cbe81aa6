package agent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/disk/signature"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// This file is the catalogue of refusals: every error a client can branch
// on, with a message that says what happened and what to do.

func errInvalid(format string, args ...any) error {
	return poolerr.New(codes.InvalidArgument, poolerr.ReasonInvalidArgument, fmt.Sprintf(format, args...), nil)
}

// errDisk maps a disk resolution or open error.
func errDisk(pool string, err error) error {
	var de *disk.Error
	msg := err.Error()
	md := map[string]string{poolerr.MetaPool: pool}
	if errors.As(err, &de) {
		md[poolerr.MetaDisk] = de.Disk
		if de.Path != "" {
			md[poolerr.MetaPath] = de.Path
		}
	}
	switch {
	case errors.Is(err, disk.ErrInvalid):
		return poolerr.New(codes.InvalidArgument, poolerr.ReasonInvalidArgument, msg, md)
	case errors.Is(err, disk.ErrNotAllowed):
		return poolerr.New(codes.PermissionDenied, poolerr.ReasonDiskNotAllowed, msg, md)
	case errors.Is(err, disk.ErrNotFound):
		return poolerr.New(codes.NotFound, poolerr.ReasonDiskNotFound, msg, md)
	case errors.Is(err, disk.ErrChanged):
		return poolerr.New(codes.Aborted, poolerr.ReasonDiskNotFound, msg+"; retry", md)
	case de != nil:
		// Busy (mounted, held by LVM/MD) is a disk in use.
		return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, msg, md)
	}
	return errIO(pool, "", err)
}

// errIO is a disk I/O failure. It is Internal, not Unavailable: the agent is
// up (clients read Unavailable as "agent unreachable"), the disk is not.
// Retrying is safe: a partly written create resumes, a partly written
// update settles on the newest label generation.
func errIO(pool, diskName string, err error) error {
	return status.Errorf(codes.Internal, "pool %s: disk I/O failed on %s: %v; check the disk (dmesg) and retry", pool, diskName, err)
}

func errSignature(diskName string, size int64, sig signature.Signature) error {
	what := sig.Type
	if desc, ok := signatureNames[sig.Type]; ok {
		what = desc
	}
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, fmt.Sprintf(
		"disk %s has %s signature at offset %d; nothing was written. If the data is not needed, %s",
		diskName, what, sig.Offset, wipeAdvice(diskName, size)),
		map[string]string{poolerr.MetaDisk: diskName, poolerr.MetaSignature: sig.Type, poolerr.MetaOffset: strconv.FormatInt(sig.Offset, 10)})
}

var signatureNames = map[string]string{
	"ext2":              "an ext2 filesystem",
	"ext3":              "an ext3 filesystem",
	"ext4":              "an ext4 filesystem",
	"jbd":               "an ext journal device",
	"xfs":               "an xfs filesystem",
	"btrfs":             "a btrfs filesystem",
	"swap":              "a swap area",
	"gpt":               "a GPT partition table",
	"dos":               "an MBR partition table",
	"LVM2_member":       "an LVM2 physical volume",
	"crypto_LUKS":       "a LUKS encryption header",
	"linux_raid_member": "an mdraid superblock",
	"zfs_member":        "a ZFS vdev label",
	"ntfs":              "an NTFS filesystem",
	"vfat":              "a FAT filesystem",
	"iso9660":           "an ISO 9660 filesystem",
	"ceph_bluestore":    "a Ceph BlueStore device",
	"bcache":            "a bcache superblock",
}

func errUnrecognised(diskName string, size, off int64) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, fmt.Sprintf(
		"disk %s holds unrecognised data (first non-zero byte at offset %d) and no known signature; nothing was written. "+
			"A pool is only created on an empty disk: if the data is not needed, %s",
		diskName, off, wipeAdvice(diskName, size)),
		map[string]string{poolerr.MetaDisk: diskName, poolerr.MetaSignature: "unrecognised", poolerr.MetaOffset: strconv.FormatInt(off, 10)})
}

func errOverwritten(diskName string, size int64, l *label.Label, sig signature.Signature) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, fmt.Sprintf(
		"disk %s carries the label of pool %s but also %s signature at offset %d: it was overwritten outside the agent; nothing was written. "+
			"If neither is needed, %s",
		diskName, l.Name, signatureNames[sig.Type], sig.Offset, wipeAdvice(diskName, size)),
		map[string]string{poolerr.MetaDisk: diskName, poolerr.MetaSignature: sig.Type, poolerr.MetaFoundPool: l.Name, poolerr.MetaOffset: strconv.FormatInt(sig.Offset, 10)})
}

func errCorruptLabel(diskName string, size int64, err error) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, fmt.Sprintf(
		"disk %s carries a damaged diskpool label (%v); nothing was written and the pool is never re-initialised over it. "+
			"If the pool on it is not needed, %s",
		diskName, err, wipeAdvice(diskName, size)),
		map[string]string{poolerr.MetaDisk: diskName, poolerr.MetaSignature: "diskpool_label"})
}

func errTooSmall(diskName string, size int64) error {
	return poolerr.New(codes.InvalidArgument, poolerr.ReasonInvalidArgument, fmt.Sprintf(
		"disk %s has %d bytes; a pool needs at least %d", diskName, size, label.MinDiskSize),
		map[string]string{poolerr.MetaDisk: diskName})
}

func errForeign(pool, diskName string, l *label.Label, owner string) error {
	md := map[string]string{
		poolerr.MetaDisk: diskName, poolerr.MetaPool: pool, poolerr.MetaFoundPool: l.Name,
		poolerr.MetaFoundUUID: l.UUID, poolerr.MetaOwner: l.OwnerUID,
	}
	if l.Name == pool {
		return poolerr.New(codes.FailedPrecondition, poolerr.ReasonForeignPool, fmt.Sprintf(
			"disk %s carries pool %s (uuid %s) owned by %s, not by %s; nothing was written. "+
				"It belongs to an earlier object of the same name: destroy that pool, or, to hand it over (MayastorPool migration), retry with adopt_owner_uid=%s",
			diskName, l.Name, l.UUID, l.OwnerUID, owner, l.OwnerUID), md)
	}
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonForeignPool, fmt.Sprintf(
		"disk %s carries another pool, %s (uuid %s, owner %s); nothing was written. Use another disk, or destroy pool %s first",
		diskName, l.Name, l.UUID, l.OwnerUID, l.Name), md)
}

func errClaimed(pool, diskName, other string) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskClaimed, fmt.Sprintf(
		"disk %s is already used by pool %s on this node; a disk belongs to one pool", diskName, other),
		map[string]string{poolerr.MetaDisk: diskName, poolerr.MetaPool: pool, poolerr.MetaFoundPool: other})
}

func errNameTaken(pool, owner, have string) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonPoolNameTaken, fmt.Sprintf(
		"pool %s already exists on this node owned by %s, not %s; destroy it first or choose another name", pool, have, owner),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaOwner: have})
}

func errDisksMismatch(pool string, have, want []string) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonPoolDisksMismatch, fmt.Sprintf(
		"pool %s exists on disks [%s], not [%s]; a pool's disks cannot change", pool, strings.Join(have, " "), strings.Join(want, " ")),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaDisk: strings.Join(have, ",")})
}

func errPoolNotFound(pool string) error {
	return poolerr.New(codes.NotFound, poolerr.ReasonPoolNotFound, fmt.Sprintf("pool %s not found on this node", pool),
		map[string]string{poolerr.MetaPool: pool})
}

func errInUse(pool string, replicas int) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonPoolInUse, fmt.Sprintf(
		"pool %s still holds %d replica(s); destroy them (or the volumes using them) first", pool, replicas),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaReplicas: strconv.Itoa(replicas)})
}

func errOwnerMismatch(pool, owner, have string) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonOwnerMismatch, fmt.Sprintf(
		"pool %s is owned by %q, not %q; refusing to destroy it (the request is from another object of the same name)", pool, have, owner),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaOwner: have})
}

// errOwnerDeleted refuses a CreatePool for an owner whose DestroyPool this
// agent answered: it can only come from an operator that decided on a
// stale view of the object.
func errOwnerDeleted(pool string, o deletedOwner) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonOwnerDeleted, fmt.Sprintf(
		"pool %s of owner %s was destroyed or found gone (DestroyPool answered at %s), so its owner is deleted; nothing was created", pool, o.UID, o.Deleted.Format(time.RFC3339)),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaOwner: o.UID})
}

func errFaulted(pool, reason string) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonPoolFaulted, fmt.Sprintf("pool %s is faulted: %s", pool, reason),
		map[string]string{poolerr.MetaPool: pool})
}

func errNoSpace(pool string, want, avail uint64) error {
	return poolerr.New(codes.ResourceExhausted, poolerr.ReasonNoSpace, fmt.Sprintf(
		"pool %s has %d bytes free, the replica needs %d; place it on another pool or free space by destroying replicas", pool, avail, want),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaRequested: strconv.FormatUint(want, 10), poolerr.MetaAvailable: strconv.FormatUint(avail, 10)})
}

func errTableFull(pool string) error {
	return poolerr.New(codes.ResourceExhausted, poolerr.ReasonNoSpace, fmt.Sprintf(
		"pool %s cannot record another replica: its label's replica table is full", pool),
		map[string]string{poolerr.MetaPool: pool})
}

// diskPathOf returns the device path of a disk URI for use in commands.
func diskPathOf(d string) string {
	if p, err := disk.ParseURI(d); err == nil {
		return p
	}
	return d
}
