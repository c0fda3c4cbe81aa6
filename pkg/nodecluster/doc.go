// Package nodecluster runs a real single-node Kubernetes cluster on this
// machine, for tests and demos that must run the shipped install as a user
// would: etcd and kube-apiserver (pkg/localcluster), kube-controller-manager,
// kube-scheduler, containerd with runc and the CNI bridge, host-local and
// loopback plugins, a kubelet and kube-proxy in iptables mode.
//
// The node's address is the gateway of a host-only bridge (no uplink, no
// route off the machine), which kube-apiserver binds and advertises: pods
// reach it through the kubernetes Service and kube-proxy, as in any cluster.
// The kubelet and kube-proxy serve on that address too, at their usual
// ports (no other process holds it); the controller-manager and the
// scheduler on 127.0.0.1, on ports held for them (localcluster.HeldPort).
// No port is probed for.
//
// Stop stops every process by PID and removes what the cluster made: pod
// containers and their network namespaces, mounts under the work
// directory, the bridge, the iptables chains that were not there before,
// the cgroups under its cgroup root, and the kernel settings the kubelet
// changes are restored. It needs root.
package nodecluster
