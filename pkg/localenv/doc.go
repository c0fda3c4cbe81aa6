// Package localenv runs the whole diskpool system on one machine: the local
// control plane of package localcluster (a real etcd and kube-apiserver), the
// CRDs and the RBAC of manifests/, simulated Node objects, one
// diskpool-agent process per node on sparse-file disks, and the
// diskpool-operator process. The agents and the operator authenticate as
// their ServiceAccounts (diskpool-agent, diskpool-operator in
// diskpool-system), so they run with exactly the RBAC that manifests/ ships,
// and talk to each other over mutual TLS with certificates generated here, as
// the shipped manifests do.
//
// It serves `make run`, `make up` and `make down` (cmd/diskpool-localenv) and
// the end-to-end tests (test/e2e):
//
//	env, err := localenv.Start(ctx, localenv.Options{UnsafeNoFsync: true})
//	defer env.Stop()
//	env.Cluster().KubectlCommand(ctx, "get", "dsp", "-A")
//	env.KillAgent("node-a") // a crash; env.StartAgent("node-a") brings it back
//
// Every process is started by PID and stopped by PID; none is looked up by
// name. By default each dies with the process that started it (see
// localcluster.ProcessConfig.SurviveParent).
package localenv
