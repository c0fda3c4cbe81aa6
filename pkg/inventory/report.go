package inventory

import (
	"slices"
	"strings"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

// Report is what one node holds, as published.
type Report struct {
	Node    string   `json:"node"`
	Disks   []Disk   `json:"disks"`
	Orphans []Orphan `json:"orphans"`
}

// Disk is one disk of the inventory.
type Disk struct {
	Path      string   `json:"path"`
	Links     []string `json:"links,omitempty"`
	Kind      string   `json:"kind"`
	SizeBytes uint64   `json:"sizeBytes"`
	// Content is Empty, Pool, DamagedLabel, Signature, Overwritten,
	// Unrecognised, TooSmall or Unreadable.
	Content   string `json:"content"`
	Signature string `json:"signature,omitempty"`
	// Pool is the label found on the disk, if any.
	Pool *PoolRef `json:"pool,omitempty"`
	// ClaimedBy is the pool of the agent that uses the disk.
	ClaimedBy string `json:"claimedBy,omitempty"`
	Error     string `json:"error,omitempty"`
}

// PoolRef is a pool as its label names it.
type PoolRef struct {
	Name     string `json:"name"`
	UUID     string `json:"uuid,omitempty"`
	Replicas uint32 `json:"replicas"`
	Owner    Owner  `json:"owner"`
}

// Owner is the object a label records as the pool's owner. Kind,
// Namespace and Name are empty for pools labelled before they were
// recorded.
type Owner struct {
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	UID       string `json:"uid"`
}

// Orphan is a pool whose owner matches no live pool object.
type Orphan struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
	// Disks are the pool's disks as its label records them, in order: the
	// spec.disks of a DiskPool that adopts it.
	Disks []string `json:"disks"`
	// Paths are the canonical paths of the disks found carrying the label.
	Paths    []string `json:"paths"`
	Replicas uint32   `json:"replicas"`
	Owner    Owner    `json:"owner"`
	// Imported is true when the agent serves the pool (it is not only a
	// label on a disk the agent did not scan).
	Imported bool `json:"imported"`
}

// Content values of Disk, from the agent's DiskContent.
var contentNames = map[agentv1.DiskContent]string{
	agentv1.DiskContent_DISK_CONTENT_EMPTY:         "Empty",
	agentv1.DiskContent_DISK_CONTENT_POOL:          "Pool",
	agentv1.DiskContent_DISK_CONTENT_DAMAGED_LABEL: "DamagedLabel",
	agentv1.DiskContent_DISK_CONTENT_SIGNATURE:     "Signature",
	agentv1.DiskContent_DISK_CONTENT_OVERWRITTEN:   "Overwritten",
	agentv1.DiskContent_DISK_CONTENT_UNRECOGNISED:  "Unrecognised",
	agentv1.DiskContent_DISK_CONTENT_TOO_SMALL:     "TooSmall",
	agentv1.DiskContent_DISK_CONTENT_UNREADABLE:    "Unreadable",
}

// BuildReport turns an agent's ListDisks answer into node's report. live
// says whether a uid is a live pool object's; it must come from synced
// caches, or every pool would look orphaned.
func BuildReport(node string, disks []*agentv1.Disk, live func(uid string) bool) Report {
	r := Report{Node: node, Disks: make([]Disk, 0, len(disks)), Orphans: []Orphan{}}
	orphans := map[string]*Orphan{}
	for _, d := range disks {
		out := Disk{
			Path: d.GetPath(), Links: d.GetLinks(), Kind: d.GetKind(), SizeBytes: d.GetSizeBytes(),
			Content: contentNames[d.GetContent()], Signature: d.GetSignature(), ClaimedBy: d.GetClaimedBy(), Error: d.GetError(),
		}
		if out.Content == "" {
			out.Content = "Unknown"
		}
		if d.GetPoolName() != "" || d.GetPoolUuid() != "" {
			out.Pool = &PoolRef{Name: d.GetPoolName(), UUID: d.GetPoolUuid(), Replicas: d.GetPoolReplicaCount(), Owner: ownerOf(d)}
		}
		r.Disks = append(r.Disks, out)
		if !labelled(d) || live(d.GetOwnerUid()) {
			continue
		}
		o := orphans[d.GetPoolUuid()]
		if o == nil {
			o = &Orphan{Name: d.GetPoolName(), UUID: d.GetPoolUuid(), Owner: ownerOf(d), Replicas: d.GetPoolReplicaCount(),
				Disks: d.GetPoolDisks()}
			orphans[d.GetPoolUuid()] = o
		}
		o.Paths = append(o.Paths, d.GetPath())
		o.Imported = o.Imported || d.GetClaimedBy() == d.GetPoolName()
	}
	slices.SortFunc(r.Disks, func(a, b Disk) int { return strings.Compare(a.Path, b.Path) })
	for _, o := range orphans {
		slices.Sort(o.Paths)
		r.Orphans = append(r.Orphans, *o)
	}
	slices.SortFunc(r.Orphans, func(a, b Orphan) int { return strings.Compare(a.Name+"/"+a.UUID, b.Name+"/"+b.UUID) })
	return r
}

// labelled reports whether d carries a readable pool label (an overwritten
// disk still names its pool; a damaged label has no uuid to adopt by).
func labelled(d *agentv1.Disk) bool {
	c := d.GetContent()
	return d.GetPoolUuid() != "" && d.GetOwnerUid() != "" &&
		(c == agentv1.DiskContent_DISK_CONTENT_POOL || c == agentv1.DiskContent_DISK_CONTENT_OVERWRITTEN)
}

func ownerOf(d *agentv1.Disk) Owner {
	return Owner{Kind: d.GetOwnerKind(), Namespace: d.GetOwnerNamespace(), Name: d.GetOwnerName(), UID: d.GetOwnerUid()}
}

// NewOrphans returns the orphans of next that prev does not list (by
// uuid): the ones to announce.
func NewOrphans(prev, next []Orphan) []Orphan {
	seen := make(map[string]bool, len(prev))
	for _, o := range prev {
		seen[o.UUID] = true
	}
	var out []Orphan
	for _, o := range next {
		if !seen[o.UUID] {
			out = append(out, o)
		}
	}
	return out
}
