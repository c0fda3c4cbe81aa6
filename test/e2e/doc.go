// Package e2e is the end-to-end suite: the real kube-apiserver and etcd of
// pkg/localcluster, real diskpool-agent processes on sparse-file disks and
// the real diskpool-operator, each authenticated as its ServiceAccount with
// the RBAC of manifests/, talking mutual TLS (pkg/localenv). One environment
// serves the whole package (TestMain); each test works in its own namespace
// with pool names unique across the suite (an agent names pools by object
// name).
//
//	go test ./test/e2e/...                                  # skips when bin/ lacks the control plane
//	DISKPOOL_REQUIRE_CONTROLPLANE=1 go test ./test/e2e/...  # fails instead (make test)
//	go test -v ./test/e2e/... -run TestOperatorRestart      # one test, with timings
//
// The suite prints the warm start time of the environment and its own
// duration.
package e2e
