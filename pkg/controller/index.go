package controller

import (
	"fmt"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// NodeIndex is the name of the pool-informer index on the effective node.
const NodeIndex = "diskpool.openebs.io/effective-node"

// EffectiveNode returns the node a pool object's pool lives on: the cached
// status.node once the pool has been created, spec.node before. The
// operator acts on the cached value only, so a spec edit can never move a
// destroy to another node.
func EffectiveNode(dsp *v1beta3.DiskPool) string {
	if dsp.Status.Node != "" {
		return dsp.Status.Node
	}
	return dsp.Spec.Node
}

// diskPoolNodeIndexFunc indexes DiskPools by EffectiveNode.
func diskPoolNodeIndexFunc(obj any) ([]string, error) {
	dsp, ok := obj.(*v1beta3.DiskPool)
	if !ok {
		return nil, fmt.Errorf("node index: expected *v1beta3.DiskPool, got %T", obj)
	}
	if n := EffectiveNode(dsp); n != "" {
		return []string{n}, nil
	}
	return nil, nil
}
