package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
)

// DefaultLinkDir holds the stable names of block devices (udev).
const DefaultLinkDir = "/dev/disk/by-id"

// ListDisks lists every disk the agent may use with what it holds. It only
// reads: probeDisk opens each disk read-only (never O_EXCL, so it neither
// blocks nor is blocked by an exclusive user) and closes it before the next.
func (a *Agent) ListDisks(ctx context.Context, _ *agentv1.ListDisksRequest) (*agentv1.ListDisksResponse, error) {
	logger := klog.FromContext(ctx)
	links := stableLinks(a.linkDir())
	out := &agentv1.ListDisksResponse{}
	for _, r := range a.candidateDisks(ctx) {
		d := a.describeDiskLocked(r)
		if d == nil {
			continue
		}
		d.Links = links[r.Path]
		out.Disks = append(out.Disks, d)
	}
	sort.Slice(out.Disks, func(i, j int) bool { return out.Disks[i].Path < out.Disks[j].Path })
	logger.V(4).Info("Listed disks", "count", len(out.Disks))
	return out, nil
}

func (a *Agent) linkDir() string {
	if a.cfg.LinkDir != "" {
		return a.cfg.LinkDir
	}
	return DefaultLinkDir
}

// candidateDisks resolves the configured disks, the disks of known pools
// and the entries directly inside each allowed directory, once per disk.
func (a *Agent) candidateDisks(ctx context.Context) []*disk.Resolved {
	kd, _ := a.loadKnownDisks() // a hint; a bad file only hides nothing that Disks names
	paths := a.expand(ctx, append(append([]string(nil), a.cfg.Disks...), kd.Disks...))
	for _, p := range a.all() {
		for _, m := range p.members {
			if m.disk.Path != "" {
				paths = append(paths, m.disk.Path)
			}
		}
	}
	for _, dir := range a.cfg.Resolver.Allowed() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			klog.FromContext(ctx).V(2).Info("Cannot list allowed device directory", "dir", dir, "err", err)
			continue
		}
		for _, e := range entries {
			if t := e.Type(); t.IsRegular() || (t&os.ModeDevice != 0 && t&os.ModeCharDevice == 0) {
				paths = append(paths, filepath.Join(dir, e.Name()))
			}
		}
	}
	var out []*disk.Resolved
	seen := map[disk.FileID]bool{}
	for _, p := range paths {
		r, err := a.cfg.Resolver.Resolve(p)
		if err != nil || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		out = append(out, r)
	}
	return out
}

// describeDiskLocked is describeDisk under opMu, so no label is half
// written while the disk is read and claimed_by matches what was read. The
// lock is taken per disk, not for the whole listing: a listing of hundreds
// of disks held up every create and destroy on the node for its whole
// length (the operator lists each node's disks when it starts, which is
// when a burst of creates arrives).
func (a *Agent) describeDiskLocked(r *disk.Resolved) *agentv1.Disk {
	a.opMu.Lock()
	defer a.opMu.Unlock()
	return a.describeDisk(r)
}

// describeDisk probes r read-only. It returns nil for a block device with
// no medium (an unattached loop device, an empty card reader): there is
// nothing there to list.
func (a *Agent) describeDisk(r *disk.Resolved) *agentv1.Disk {
	d := &agentv1.Disk{Path: r.Path, Kind: "file"}
	if r.Kind == disk.BlockDevice {
		d.Kind = "block"
	}
	if p := a.owner(r.ID); p != nil {
		d.ClaimedBy = p.label.Name
	}
	pr, err := a.probeDisk(r)
	if err == nil {
		defer pr.found.Release() // d keeps only what was parsed
	}
	if err != nil {
		if r.Kind == disk.BlockDevice && errors.Is(err, syscall.ENXIO) {
			return nil
		}
		d.Content, d.Error = agentv1.DiskContent_DISK_CONTENT_UNREADABLE, err.Error()
		return d
	}
	if pr.size == 0 && r.Kind == disk.BlockDevice {
		return nil
	}
	d.SizeBytes = uint64(pr.size)
	d.Content = diskContent(pr.content)
	switch pr.content {
	case contentSignature, contentOverwritten:
		d.Signature, d.Offset = pr.sig.Type, pr.sig.Offset
	case contentUnrecognised:
		d.Offset = pr.nonZero
	}
	if l := pr.found.Label; l != nil {
		d.PoolName, d.PoolUuid = l.Name, l.UUID
		d.OwnerUid, d.OwnerKind, d.OwnerNamespace, d.OwnerName = l.OwnerUID, l.OwnerKind, l.OwnerNamespace, l.OwnerName
		d.PoolDisks = append([]string(nil), l.Disks...)
		d.PoolReplicaCount = uint32(len(l.Replicas)) //nolint:gosec // the label's replica table is small
	} else if pr.content == contentCorruptLabel {
		d.PoolName, d.OwnerUid = pr.found.Salvage()
	}
	return d
}

func diskContent(c content) agentv1.DiskContent {
	switch c {
	case contentEmpty:
		return agentv1.DiskContent_DISK_CONTENT_EMPTY
	case contentLabel:
		return agentv1.DiskContent_DISK_CONTENT_POOL
	case contentCorruptLabel:
		return agentv1.DiskContent_DISK_CONTENT_DAMAGED_LABEL
	case contentSignature:
		return agentv1.DiskContent_DISK_CONTENT_SIGNATURE
	case contentOverwritten:
		return agentv1.DiskContent_DISK_CONTENT_OVERWRITTEN
	case contentUnrecognised:
		return agentv1.DiskContent_DISK_CONTENT_UNRECOGNISED
	case contentTooSmall:
		return agentv1.DiskContent_DISK_CONTENT_TOO_SMALL
	}
	return agentv1.DiskContent_DISK_CONTENT_UNSPECIFIED
}

// stableLinks maps canonical paths to the symlinks in dir that resolve to
// them. A missing dir (no udev, a test machine) gives no links.
func stableLinks(dir string) map[string][]string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[string][]string{}
	for _, e := range entries {
		if e.Type()&os.ModeSymlink == 0 {
			continue
		}
		link := filepath.Join(dir, e.Name())
		target, err := filepath.EvalSymlinks(link)
		if err != nil {
			continue
		}
		out[target] = append(out[target], link)
	}
	for _, l := range out {
		sort.Strings(l)
	}
	return out
}
