package localcluster

import (
	"context"
	"fmt"
	"os"
)

// WipeEtcd loses every object, as a cluster whose etcd is restored empty
// does: it stops kube-apiserver and etcd, removes etcd's data directory and
// starts both again (same ports and certificates). Tokens of deleted
// ServiceAccounts no longer authenticate: recreate the accounts and their
// kubeconfigs afterwards.
func (c *Cluster) WipeEtcd(ctx context.Context) error {
	if err := c.StopAPIServer(); err != nil {
		return err
	}
	if err := c.StopEtcd(); err != nil {
		return err
	}
	if err := os.RemoveAll(c.etcdCfg.dataDir); err != nil {
		return fmt.Errorf("remove etcd data: %w", err)
	}
	if err := c.StartEtcd(ctx); err != nil {
		return err
	}
	return c.StartAPIServer(ctx)
}
