// Package cluster runs the shipped install on a real single-node Kubernetes
// cluster (pkg/nodecluster), the way a storage admin does: images built by
// scripts/build-images.sh and imported into the node's containerd, TLS
// Secrets made with the commands of docs/operations.md, `kubectl apply -k`
// of an overlay that differs from manifests/overlays/default only in image
// references, DiskPools on loop devices over sparse files.
//
// It needs root and the node prerequisites (scripts/install-node-prereqs.sh);
// `make test` installs them when it can and then sets
// DISKPOOL_REQUIRE_NODECLUSTER, which turns a missing prerequisite into a
// failure instead of a skip with the reason.
package cluster
