package agent

import (
	"context"
	"time"

	"github.com/google/uuid"
	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/disk"
	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// CreatePool creates a pool, or imports it when its disks already carry its
// label. See the proto for the refusals; none of them writes to a disk.
func (a *Agent) CreatePool(ctx context.Context, req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
	if err := validateCreate(req); err != nil {
		return nil, err
	}
	logger := klog.FromContext(ctx).WithValues("pool", req.GetName())
	disksChanged := false
	defer a.lockOp(ctx, &disksChanged)()

	if o, ok := a.ownerDeleted(req.GetOwnerUid(), req.GetName()); ok {
		// Nothing is written, not even an adoption's tombstone change.
		logger.Info("Refusing CreatePool for an owner whose pool was destroyed", "owner", o.UID, "deleted", o.Deleted)
		return nil, errOwnerDeleted(req.GetName(), o)
	}
	if a.forgetAdopted(ctx, req.GetName(), req.GetAdoptOwnerUid()) {
		disksChanged = true
	}
	if p := a.get(req.GetName()); p != nil {
		return a.createExisting(ctx, p, req)
	}

	// Resolve and probe every disk before deciding anything.
	resolved := make([]*disk.Resolved, len(req.GetDisks()))
	seen := map[disk.FileID]string{}
	for i, d := range req.GetDisks() {
		r, err := a.cfg.Resolver.Resolve(d)
		if err != nil {
			return nil, errDisk(req.GetName(), err)
		}
		if prev, dup := seen[r.ID]; dup {
			return nil, errInvalid("disks %s and %s are the same disk (%s)", prev, d, r.Path)
		}
		seen[r.ID] = d
		if other := a.owner(r.ID); other != nil {
			return nil, errClaimed(req.GetName(), d, other.label.Name)
		}
		resolved[i] = r
	}
	probes := make([]*probe, len(resolved))
	for i, r := range resolved {
		pr, err := a.probeTombstoned(ctx, r)
		if err != nil {
			return nil, errDisk(req.GetName(), err)
		}
		if pr.erased {
			disksChanged = true
		}
		if err := pr.refusal(); err != nil {
			logger.V(2).Info("Refusing disk", "disk", r.Disk, "path", r.Path, "err", err)
			return nil, err
		}
		probes[i] = pr
	}

	// Labels found must all be this pool's, each in its place.
	var found *label.Label
	for i, pr := range probes {
		if pr.content != contentLabel {
			continue
		}
		l := pr.found.Label
		adoptable := req.GetAdoptOwnerUid() != "" && l.OwnerUID == req.GetAdoptOwnerUid()
		if l.Name != req.GetName() || (l.OwnerUID != req.GetOwnerUid() && !adoptable) || (found != nil && l.UUID != found.UUID) {
			return nil, errForeign(req.GetName(), req.GetDisks()[i], l, req.GetOwnerUid())
		}
		if len(l.Disks) != len(req.GetDisks()) || l.DiskIndex != i {
			return nil, errDisksMismatch(req.GetName(), l.Disks, req.GetDisks())
		}
		if found == nil || l.Generation > found.Generation {
			found = l
		}
	}

	p := &pool{members: make([]*member, len(resolved))}
	needWrite := false
	action := "Imported pool"
	if found == nil {
		cluster := req.GetClusterSizeBytes()
		if cluster == 0 {
			cluster = a.cfg.ClusterSize
		}
		p.label = &label.Label{
			Name:        req.GetName(),
			UUID:        uuid.NewString(),
			OwnerUID:    req.GetOwnerUid(),
			Labels:      req.GetLabels(),
			Disks:       append([]string(nil), req.GetDisks()...),
			ClusterSize: cluster,
			CreatedAt:   a.cfg.Clock.Now().UTC().Truncate(time.Second),
		}
		setOwnerIdentity(p.label, req)
		needWrite, action = true, "Created pool"
	} else {
		p.label = found.Clone()
		if p.label.OwnerUID != req.GetOwnerUid() {
			p.label.OwnerUID = req.GetOwnerUid()
			p.label.OwnerKind, p.label.OwnerNamespace, p.label.OwnerName = "", "", ""
			needWrite, action = true, "Adopted pool"
		}
		needWrite = setOwnerIdentity(p.label, req) || needWrite
	}
	for i, pr := range probes {
		m := &member{disk: resolved[i], size: pr.size}
		if pr.content == contentLabel {
			l := pr.found.Label
			m.gen, m.recorded = l.Generation, l.DiskSize
			needWrite = needWrite || pr.found.NeedsRepair() || l.Generation != found.Generation
		} else {
			needWrite = true // a disk the pool was being created on when interrupted
		}
		p.members[i] = m
	}
	if needWrite {
		if err := a.writeLabels(p); err != nil {
			return nil, errWrite(req.GetName(), err)
		}
	}
	out := a.commit(p)
	logger.Info(action, "uuid", out.GetUuid(), "owner", out.GetOwnerUid(), "disks", out.GetDisks(),
		"capacity", out.GetCapacity(), "replicas", out.GetReplicaCount())
	disksChanged = true
	return out, nil
}

// createExisting answers CreatePool for a name the agent already has.
func (a *Agent) createExisting(ctx context.Context, p *pool, req *agentv1.CreatePoolRequest) (*agentv1.Pool, error) {
	name := req.GetName()
	adopt := req.GetAdoptOwnerUid() != "" && p.label.OwnerUID == req.GetAdoptOwnerUid()
	switch {
	case p.corrupt:
		return nil, errFaulted(name, p.reason)
	case p.label.OwnerUID != req.GetOwnerUid() && !adopt:
		return nil, errNameTaken(name, req.GetOwnerUid(), p.label.OwnerUID)
	case !a.sameDisks(p, req.GetDisks()):
		return nil, errDisksMismatch(name, p.label.Disks, req.GetDisks())
	case !adopt && !needsIdentity(p.label, req):
		return p.proto(a.cfg.Node), nil
	case p.state == agentv1.PoolState_POOL_STATE_FAULTED:
		if !adopt {
			return p.proto(a.cfg.Node), nil // the identity waits for a healthy pool
		}
		return nil, errFaulted(name, p.reason)
	}
	c := p.clone()
	if adopt {
		c.label.OwnerUID = req.GetOwnerUid()
		c.label.OwnerKind, c.label.OwnerNamespace, c.label.OwnerName = "", "", ""
	}
	setOwnerIdentity(c.label, req)
	if err := a.writeLabels(c); err != nil {
		return nil, errWrite(name, err)
	}
	out := a.commit(c)
	if adopt {
		klog.FromContext(ctx).Info("Adopted pool", "pool", name, "uuid", out.GetUuid(), "from", req.GetAdoptOwnerUid(), "owner", out.GetOwnerUid())
	} else {
		klog.FromContext(ctx).Info("Recorded the pool owner's identity", "pool", name, "kind", out.GetOwnerKind(),
			"namespace", out.GetOwnerNamespace(), "name", out.GetOwnerName())
	}
	return out, nil
}

// needsIdentity reports whether the request names the owner and the label
// of the same owner does not yet (a pool created before labels recorded it).
func needsIdentity(l *label.Label, req *agentv1.CreatePoolRequest) bool {
	named := req.GetOwnerKind() != "" || req.GetOwnerNamespace() != "" || req.GetOwnerName() != ""
	return named && l.OwnerUID == req.GetOwnerUid() && l.OwnerKind == "" && l.OwnerNamespace == "" && l.OwnerName == ""
}

// setOwnerIdentity records the owner's kind, namespace and name from req in
// l when l names none, and reports whether it did.
func setOwnerIdentity(l *label.Label, req *agentv1.CreatePoolRequest) bool {
	if !needsIdentity(l, req) {
		return false
	}
	l.OwnerKind, l.OwnerNamespace, l.OwnerName = req.GetOwnerKind(), req.GetOwnerNamespace(), req.GetOwnerName()
	return true
}

// sameDisks reports whether disks name the disks of p, in order: the same
// strings, the same paths under another scheme, or paths resolving to the
// same devices.
func (a *Agent) sameDisks(p *pool, disks []string) bool {
	if len(disks) != len(p.members) {
		return false
	}
	for i, d := range disks {
		if d == p.label.Disks[i] {
			continue
		}
		if x, err := disk.ParseURI(d); err == nil {
			if y, err := disk.ParseURI(p.label.Disks[i]); err == nil && x == y {
				continue
			}
		}
		r, err := a.cfg.Resolver.Resolve(d)
		if err != nil || r.ID != p.members[i].disk.ID {
			return false
		}
	}
	return true
}

func validateCreate(req *agentv1.CreatePoolRequest) error {
	if err := validatePoolName(req.GetName()); err != nil {
		return err
	}
	if err := validateOwner("owner_uid", req.GetOwnerUid(), true); err != nil {
		return err
	}
	if err := validateOwner("adopt_owner_uid", req.GetAdoptOwnerUid(), false); err != nil {
		return err
	}
	if req.GetAdoptOwnerUid() != "" && req.GetAdoptOwnerUid() == req.GetOwnerUid() {
		return errInvalid("adopt_owner_uid equals owner_uid")
	}
	if err := validateLabels(req.GetLabels()); err != nil {
		return err
	}
	if err := validateOwnerIdentity(req.GetOwnerKind(), req.GetOwnerNamespace(), req.GetOwnerName()); err != nil {
		return err
	}
	if err := validateClusterSize(req.GetClusterSizeBytes()); err != nil {
		return err
	}
	return validateDiskList(req.GetDisks())
}
