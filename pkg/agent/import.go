package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// Import scans the configured disks and those in the state file and
// registers every pool whose label it finds, except on a disk that comes
// back carrying exactly the label of a pool destroyed while it was away: that
// label is erased (see tombstone). A pool with a missing disk is
// registered Faulted; a disk with a damaged label becomes a Faulted pool
// that is never written (only DestroyPool erases it). Disks that are empty
// or hold anything else are left alone. Call it once, before serving.
func (a *Agent) Import(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	a.opMu.Lock()
	defer a.opMu.Unlock()

	kd, err := a.loadKnownDisks()
	if err != nil {
		logger.Error(err, "Ignoring the state file", "stateDir", a.cfg.StateDir)
	}
	a.addTombstones(ctx, kd.Tombstones)
	a.addDeletedOwners(ctx, kd.DeletedOwners...)
	paths := a.expand(ctx, append(append([]string(nil), a.cfg.Disks...), kd.Disks...))

	type group struct {
		best    *label.Label
		members map[int]*member
		found   map[int]*probe
	}
	groups := map[string]*group{}
	var order []string
	var corrupt []*probe
	seen := map[disk.FileID]bool{}
	for _, path := range paths {
		r, err := a.cfg.Resolver.Resolve(path)
		if err != nil {
			logger.Info("Skipping disk", "disk", path, "err", err)
			continue
		}
		if seen[r.ID] || a.owner(r.ID) != nil {
			continue
		}
		seen[r.ID] = true
		pr, err := a.probeDisk(r)
		if err != nil {
			logger.Error(err, "Cannot read disk; pools on it are not imported", "disk", path)
			continue
		}
		if pr.content == contentLabel {
			if t, ok := a.tombstoneFor(pr.found.Label); ok {
				if err := a.finishDestroy(ctx, pr, t); err != nil {
					logger.Error(err, "Cannot erase the label of a pool destroyed while this disk was away; not importing it", "disk", path, "pool", t.Pool, "uuid", t.UUID)
				}
				continue
			}
		}
		switch pr.content {
		case contentLabel, contentOverwritten:
			l := pr.found.Label
			g := groups[l.UUID]
			if g == nil {
				g = &group{members: map[int]*member{}, found: map[int]*probe{}}
				groups[l.UUID] = g
				order = append(order, l.UUID)
			}
			if _, dup := g.members[l.DiskIndex]; dup {
				logger.Error(nil, "Two disks claim the same place in a pool; ignoring the second", "pool", l.Name, "disk", path, "index", l.DiskIndex)
				continue
			}
			m := &member{disk: r, size: pr.size, gen: l.Generation, recorded: l.DiskSize}
			if pr.content == contentOverwritten {
				m.fault = fmt.Sprintf("disk %s now carries %s signature at offset %d: it was overwritten outside the agent",
					r.Disk, signatureNames[pr.sig.Type], pr.sig.Offset)
			}
			g.members[l.DiskIndex], g.found[l.DiskIndex] = m, pr
			if g.best == nil || l.Generation > g.best.Generation {
				g.best = l
			}
		case contentCorruptLabel:
			corrupt = append(corrupt, pr)
		}
	}

	for _, id := range order {
		g := groups[id]
		p := &pool{label: g.best.Clone(), members: make([]*member, len(g.best.Disks))}
		repair := false
		for i := range p.members {
			m := g.members[i]
			if m == nil {
				m = missingMember(p.label.Disks[i])
			} else {
				repair = repair || g.found[i].found.NeedsRepair() || m.gen != g.best.Generation
			}
			p.members[i] = m
		}
		if a.get(p.label.Name) != nil {
			logger.Error(nil, "Two pools of the same name on this node; importing only the first", "pool", p.label.Name, "uuid", p.label.UUID)
			continue
		}
		p.refreshState()
		if repair && p.state != agentv1.PoolState_POOL_STATE_FAULTED {
			if err := a.writeLabels(p); err != nil {
				logger.Error(err, "Cannot repair pool labels", "pool", p.label.Name)
			} else {
				logger.Info("Repaired pool labels", "pool", p.label.Name)
			}
		}
		out := a.commit(p)
		logger.Info("Imported pool", "pool", out.GetName(), "uuid", out.GetUuid(), "owner", out.GetOwnerUid(),
			"state", out.GetState(), "reason", out.GetReason(), "replicas", out.GetReplicaCount())
	}
	for _, pr := range corrupt {
		p := corruptPool(pr)
		if a.get(p.label.Name) != nil {
			p.label.Name = placeholderName(pr.disk.Path)
		}
		out := a.commit(p)
		logger.Error(nil, "Found a damaged pool label; the pool is Faulted and will not be re-initialised", "pool", out.GetName(), "disk", pr.disk.Disk, "reason", out.GetReason())
	}
	a.saveKnownDisks(ctx)
	return nil
}

// expand resolves glob patterns; plain paths are kept as they are.
func (a *Agent) expand(ctx context.Context, patterns []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, pat := range patterns {
		matches := []string{pat}
		if strings.ContainsAny(pat, "*?[") {
			m, err := filepath.Glob(pat)
			if err != nil {
				klog.FromContext(ctx).Error(err, "Bad disk pattern", "pattern", pat)
				continue
			}
			matches = m
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// missingMember stands for a disk of an imported pool that was not found.
func missingMember(d string) *member {
	path, _ := disk.ParseURI(d)
	return &member{
		disk:  &disk.Resolved{Disk: d, Path: path},
		fault: fmt.Sprintf("disk %s of the pool was not found on this node", d),
	}
}

// corruptPool is the Faulted placeholder for a disk with a damaged label.
func corruptPool(pr *probe) *pool {
	name, owner := pr.found.Salvage()
	if name == "" {
		name = placeholderName(pr.disk.Path)
	}
	err := pr.found.Err()
	return &pool{
		label: &label.Label{
			Name: name, OwnerUID: owner, Disks: []string{pr.disk.Disk}, ClusterSize: label.DefaultClusterSize,
		},
		members: []*member{{disk: pr.disk, size: pr.size}},
		corrupt: true,
		reason: fmt.Sprintf("the label on disk %s is damaged (%v); the pool is not re-initialised. "+
			"Restore the disk, or if its data is not needed destroy the pool", pr.disk.Disk, err),
	}
}

var unsafeName = regexp.MustCompile(`[^a-z0-9.-]+`)

// placeholderName names a Faulted pool whose own name is unreadable.
func placeholderName(path string) string {
	base := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(filepath.Base(path)), "-"), "-.")
	return "damaged-label-" + base
}
