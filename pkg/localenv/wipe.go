package localenv

import (
	"context"
	"errors"
)

// LoseControlPlaneData simulates the loss of the cluster's etcd: the
// operator and the agents stop, etcd restarts empty, the project's CRDs,
// RBAC, namespaces, Nodes and the operator's and agents' kubeconfigs are made again
// (as an admin restoring the install would), and the agents and the
// operator start again. The disks, with their pools, are untouched.
func (e *Env) LoseControlPlaneData(ctx context.Context) error {
	errs := []error{e.StopOperator()}
	for _, n := range e.opts.Nodes {
		errs = append(errs, e.StopAgent(n))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := e.cluster.WipeEtcd(ctx); err != nil {
		return err
	}
	if err := e.prepareAPI(ctx); err != nil {
		return err
	}
	for _, n := range e.opts.Nodes {
		if err := e.StartAgent(ctx, n); err != nil {
			return err
		}
	}
	return e.StartOperator(ctx)
}
