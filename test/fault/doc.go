// Package fault is the fault-injection suite: scenarios that crash, stop,
// starve or lie to the operator (a faultinject build, see pkg/faultinject)
// and its agents at chosen points, against a real etcd, kube-apiserver and
// agents on sparse files, and compare the end state with a fault-free run
// of the same workload: objects and their fields (timestamps,
// resourceVersions, UIDs and pool uuids masked), pools on the agents
// (read over mutual TLS), disk labels, and the CreatePool and DestroyPool
// side effects the agents report. At the end it prints a table of every
// scenario (also written to _output/fault/table.md).
//
// Each scenario has nodes (agents) of its own, and each run a namespace and
// operator processes of its own, so scenarios run in parallel; only the
// control-plane restarts (14, 15) run alone. It needs the local control
// plane (make controlplane) and is skipped with -short.
package fault
