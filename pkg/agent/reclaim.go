package agent

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/poolerr"
)

// ReclaimConfirmation is the confirm value ReclaimPool requires, after
// Rook's yes-really-destroy-data: nobody types it by accident.
const ReclaimConfirmation = "yes-really-destroy-data"

// ReclaimPool erases the labels of the pool named by name and uuid, for an
// admin who wants the disk of an orphan back. Unlike DestroyPool it needs
// no live owner, but an explicit confirmation; replicas are never dropped.
func (a *Agent) ReclaimPool(ctx context.Context, req *agentv1.ReclaimPoolRequest) (*agentv1.ReclaimPoolResponse, error) {
	if err := validatePoolName(req.GetName()); err != nil {
		return nil, err
	}
	if err := validateOwner("owner_uid", req.GetOwnerUid(), false); err != nil {
		return nil, err
	}
	if req.GetConfirm() != ReclaimConfirmation {
		return nil, errConfirmationRequired(req.GetName())
	}
	if req.GetUuid() == "" {
		return nil, errInvalid("uuid is empty; it must be the uuid of the pool to reclaim")
	}
	name, uuid, owner := req.GetName(), req.GetUuid(), req.GetOwnerUid()
	logger := klog.FromContext(ctx).WithValues("pool", name)
	err := a.removePool(ctx, name, func(p *pool) (bool, error) {
		switch {
		case p == nil:
			return false, errPoolNotFound(name)
		case p.label.UUID != uuid:
			return false, errUUIDMismatch(name, uuid, p.label.UUID)
		case owner != "" && p.label.OwnerUID != owner:
			return false, errOwnerMismatch(name, owner, p.label.OwnerUID)
		}
		return true, nil
	}, func(p *pool) (bool, error) {
		logger.Info("Reclaimed pool", "uuid", p.label.UUID, "owner", p.label.OwnerUID, "ownerKind", p.label.OwnerKind,
			"ownerNamespace", p.label.OwnerNamespace, "ownerName", p.label.OwnerName, "disks", p.label.Disks)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &agentv1.ReclaimPoolResponse{}, nil
}

func errConfirmationRequired(pool string) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonConfirmationRequired, fmt.Sprintf(
		"reclaiming pool %s erases its label and everything on it; nothing was written. Repeat with confirm %q if that is what you want",
		pool, ReclaimConfirmation), map[string]string{poolerr.MetaPool: pool})
}

func errUUIDMismatch(pool, want, have string) error {
	return poolerr.New(codes.FailedPrecondition, poolerr.ReasonUUIDMismatch, fmt.Sprintf(
		"pool %s has uuid %s, not %s; nothing was written (list the pools again)", pool, have, want),
		map[string]string{poolerr.MetaPool: pool, poolerr.MetaFoundUUID: have})
}
