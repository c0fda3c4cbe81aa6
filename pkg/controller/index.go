package controller

// NodeIndex is the name of the pool-informer index on the effective node
// (reconcile.EffectiveNode: status.node once set, spec.node before), so the
// operator acts on the cached value only and a spec edit can never move a
// destroy to another node.
const NodeIndex = "diskpool.openebs.io/effective-node"
