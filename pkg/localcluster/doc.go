// Package localcluster runs a real, local Kubernetes control plane (etcd and
// kube-apiserver, built by scripts/build-controlplane.sh) for tests and the
// demo, and the project's own binaries next to it.
//
// Everything listens on 127.0.0.1 on ports the kernel picked and this
// process holds for the cluster's life (HeldPort), certificates are
// generated in Go, RBAC is enforced, and every process started is stopped by
// PID. There is no kube-controller-manager, scheduler or kubelet: namespaces
// are not finalized when deleted, owner references do not cascade, namespaces
// get no "default" ServiceAccount, and Nodes are plain objects created by
// CreateNodes.
package localcluster
