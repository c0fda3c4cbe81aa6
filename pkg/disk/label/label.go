package label

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Label is the pool record on a disk. Every disk of a pool carries the same
// Label except DiskIndex.
type Label struct {
	// Generation and DiskSize live in the header, not the payload.
	Generation uint64 `json:"-"`
	DiskSize   int64  `json:"-"`

	Name     string `json:"name"`
	UUID     string `json:"uuid"`
	OwnerUID string `json:"ownerUID"`
	// OwnerKind, OwnerNamespace and OwnerName say whose the pool is even
	// when no object of that UID is left (version 2; empty in version 1).
	OwnerKind      string            `json:"ownerKind,omitempty"`
	OwnerNamespace string            `json:"ownerNamespace,omitempty"`
	OwnerName      string            `json:"ownerName,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	// Disks are the disks as given at creation; DiskIndex is this disk's.
	Disks       []string  `json:"disks"`
	DiskIndex   int       `json:"diskIndex"`
	ClusterSize uint64    `json:"clusterSize"`
	CreatedAt   time.Time `json:"createdAt"`
	Replicas    []Replica `json:"replicas,omitempty"`
	// Capacity is the pool's data capacity in bytes over all its disks, a
	// whole number of clusters (version 2). 0, as in every version 1
	// label, means the data regions of the disks at their recorded sizes.
	Capacity uint64 `json:"capacity,omitempty"`
}

// Replica is one allocation on the pool.
type Replica struct {
	UUID string `json:"uuid"`
	Size uint64 `json:"size"`
	Thin bool   `json:"thin,omitempty"`
	// Allocated is the space taken from the pool: Size rounded up to a
	// cluster for thick replicas, 0 for thin ones.
	Allocated uint64 `json:"allocated"`
}

// Clone returns a deep copy of l.
func (l *Label) Clone() *Label {
	c := *l
	if l.Labels != nil {
		c.Labels = make(map[string]string, len(l.Labels))
		for k, v := range l.Labels {
			c.Labels[k] = v
		}
	}
	c.Disks = append([]string(nil), l.Disks...)
	c.Replicas = append([]Replica(nil), l.Replicas...)
	return &c
}

// Validate checks the payload fields are consistent.
func (l *Label) Validate() error {
	var errs []error
	if l.Name == "" {
		errs = append(errs, errors.New("empty pool name"))
	}
	if _, err := uuid.Parse(l.UUID); err != nil {
		errs = append(errs, fmt.Errorf("pool uuid %q: %w", l.UUID, err))
	}
	if l.OwnerUID == "" {
		errs = append(errs, errors.New("empty owner uid"))
	}
	if len(l.Disks) == 0 {
		errs = append(errs, errors.New("no disks"))
	}
	if l.DiskIndex < 0 || l.DiskIndex >= len(l.Disks) {
		errs = append(errs, fmt.Errorf("disk index %d out of range of %d disks", l.DiskIndex, len(l.Disks)))
	}
	if l.ClusterSize < 4096 || l.ClusterSize&(l.ClusterSize-1) != 0 {
		errs = append(errs, fmt.Errorf("cluster size %d is not a power of two of at least 4096", l.ClusterSize))
	}
	if l.ClusterSize != 0 && l.Capacity%l.ClusterSize != 0 {
		errs = append(errs, fmt.Errorf("capacity %d is not a whole number of %d-byte clusters", l.Capacity, l.ClusterSize))
	}
	seen := make(map[string]bool, len(l.Replicas))
	for _, r := range l.Replicas {
		if seen[r.UUID] {
			errs = append(errs, fmt.Errorf("replica %s listed twice", r.UUID))
		}
		seen[r.UUID] = true
		if r.Allocated > r.Size+l.ClusterSize {
			errs = append(errs, fmt.Errorf("replica %s allocates %d bytes for %d", r.UUID, r.Allocated, r.Size))
		}
	}
	return errors.Join(errs...)
}

// Used returns the bytes allocated to replicas.
func (l *Label) Used() uint64 {
	var n uint64
	for _, r := range l.Replicas {
		n += r.Allocated
	}
	return n
}

// Committed returns the bytes promised to replicas (thin ones included).
func (l *Label) Committed() uint64 {
	var n uint64
	for _, r := range l.Replicas {
		n += r.Size
	}
	return n
}
