package poolclient

import (
	"context"
	"fmt"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

// ListDisks returns the agent's disk inventory (read-only on the node).
func (c *Client) ListDisks(ctx context.Context) ([]*agentv1.Disk, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.pools.ListDisks(ctx, &agentv1.ListDisksRequest{})
	if err != nil {
		return nil, fmt.Errorf("ListDisks on agent %s: %w", c.endpoint, err)
	}
	return resp.GetDisks(), nil
}
