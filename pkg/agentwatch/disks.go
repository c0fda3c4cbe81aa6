package agentwatch

import (
	"context"
	"errors"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// ListDisks lists the disks of node through the connection of its pool
// stream (read-only on the node). Sharing that connection keeps one gRPC
// connection per node in the operator, and the stream has checked that
// the agent serves this node. Without a connected agent it fails and
// dials nothing.
func (t *Tracker) ListDisks(ctx context.Context, nodeName string) ([]*agentv1.Disk, error) {
	client, err := t.clientFor(nodeName, reconcile.ActionNone)
	if err != nil {
		if ae, ok := errors.AsType[*reconcile.AgentError](err); ok {
			return nil, errors.New(ae.Message)
		}
		return nil, err
	}
	return client.ListDisks(ctx)
}
