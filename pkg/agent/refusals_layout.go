package agent

import (
	"fmt"
	"strconv"

	"google.golang.org/grpc/codes"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// Refusals of the label layout: the write-path check, cluster sizes and
// expansion. The rest of the catalogue is in refusals.go.

// errNotOurs: a range the label write would cover holds bytes that are
// neither zero nor this pool's label (the last check before writing).
func errNotOurs(pool, diskName string, e *label.NotOursError) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskInUse, fmt.Sprintf(
		"disk %s: the label of pool %s would be written to bytes [%d, %d), which hold %s (first non-zero byte at offset %d); nothing was written. "+
			"A pool is only written over bytes that are zero or its own label",
		diskName, pool, e.Range.Off, e.Range.Off+e.Range.Len, e.Found, e.Off),
		map[string]string{poolerr.MetaDisk: diskName, poolerr.MetaPool: pool, poolerr.MetaSignature: "unrecognised",
			poolerr.MetaOffset: strconv.FormatInt(e.Off, 10)})
}

// Cluster sizes a CreatePool may ask for. SPDK's lvstore, which Mayastor
// pools are, takes any power of two from the block size up; below 1 MiB the
// label's replica table, not the disk, limits a pool, and above 64 MiB a
// small replica wastes most of its cluster.
const (
	minClusterSize = 1 << 20
	maxClusterSize = 64 << 20
)

func validateClusterSize(n uint64) error {
	if n == 0 {
		return nil
	}
	if n < minClusterSize || n > maxClusterSize || n&(n-1) != 0 {
		return errInvalid("cluster_size_bytes %d is not a power of two from %d (1 MiB) to %d (64 MiB); use 0 for the default (%d)",
			n, minClusterSize, maxClusterSize, label.DefaultClusterSize)
	}
	return nil
}

func errDiskNotGrown(pool string, capacity, disks, possible uint64) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonDiskNotGrown, fmt.Sprintf(
		"pool %s cannot expand: its disks (%d bytes) give a capacity of %d bytes and the pool already has %d; nothing was written. "+
			"Grow the disk first (resize the LUN or volume; for a loop device `losetup -c`), then expand again",
		pool, disks, possible, capacity),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaAvailable: strconv.FormatUint(possible, 10)})
}

func errExpansionLimit(pool string, capacity, limit uint64) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonExpansionLimit, fmt.Sprintf(
		"pool %s cannot expand: it already has %d bytes and may have at most %d (max_capacity_bytes, from maxExpansion); nothing was written. "+
			"Raise the limit to expand further",
		pool, capacity, limit),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaRequested: strconv.FormatUint(limit, 10),
			poolerr.MetaAvailable: strconv.FormatUint(capacity, 10)})
}
