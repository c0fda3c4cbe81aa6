// Package recovery is the end-to-end test of getting every pool back after
// the control plane lost its data: 10 DiskPools with replicas, etcd wiped
// and started empty, the install re-applied, and `diskpool-operator
// recover` run as the admin (pkg/localenv: real etcd, kube-apiserver,
// agents and operator processes, sparse-file disks).
package recovery
