// Package harness is what every suite beyond unit level shares: the
// TestMain that starts one local environment (pkg/localenv: real etcd,
// kube-apiserver, agents and operator) for a test package, a fixture with
// clients and a namespace of the test's own, waits on pool objects, events
// and conditions, disk inspection, agent gRPC clients and process log
// tails. Metrics are read with test/internal/metrics.
//
// A suite's TestMain is a few lines:
//
//	var env *localenv.Env // nil when the suite skips
//
//	var suite = &harness.Suite{
//		Name:    "mysuite", // prefix of messages and of the work directory
//		Options: localenv.Options{DisksPerNode: 1, DiskSize: 64 << 20},
//		Started: func(e *localenv.Env) { env = e },
//	}
//
//	func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }
//
// and a test:
//
//	func TestSomething(t *testing.T) {
//		f := suite.Setup(t) // skips without a control plane; fresh namespace
//		name, disk, p := f.CreatedPool("something", "node-a") // unique name, new disk, Created
//		f.DeletePool(name)
//		f.WaitGone(name, harness.ConvergeTimeout)
//		if harness.ReadLabel(t, disk).Label != nil { ... }
//		calls := harness.AgentCalls(t, f.Ctx, f.Env, "node-a") // from the agent's /metrics
//		...
//	}
//
// f.In(ns) works in another namespace, f.For(t) in a subtest; Poll waits on
// any condition with a description of the last state seen; AgentClient
// dials an agent over mutual TLS; f.RestartAgentAtEnd(node) brings back an
// agent a test stops; LogTails shows the end of process logs. A suite that
// runs operators of its own (fault, soak) starts them with StartOperator
// and reaches them through Operator (URL, Scrape, Ready, Leading); Burst
// runs n calls from a bounded number of goroutines.
// Pool names must be unique across the suite (an agent names its pools by
// object name): take them from UniqueName.
//
// Suite.Main skips every test in -short mode and when bin/ lacks the control
// plane, unless DISKPOOL_REQUIRE_CONTROLPLANE is set (then it fails);
// DISKPOOL_E2E_KEEP=1 keeps the work directory and its logs. Every server
// the environment starts binds port 0 (see pkg/localenv and HeldPort in
// pkg/localcluster); a suite that starts a process of its own passes
// --address-file and reads it with localenv.WaitAddresses.
package harness
