package harness

import (
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// OperatorArgs are the flags of an operator a suite starts itself, as
// localenv starts its own: e's kubeconfig and agent mTLS identity, both
// servers on port 0 named in addrFile, leader election under leaderID,
// watching namespace ns.
func OperatorArgs(e *localenv.Env, ns, leaderID, addrFile string) []string {
	tls := e.OperatorTLS()
	return []string{
		"--kubeconfig=" + e.OperatorKubeconfig(),
		"--operator-namespace=" + localenv.SystemNamespace,
		"--namespace=" + ns,
		"--metrics-address=127.0.0.1:0",
		"--health-address=127.0.0.1:0",
		"--address-file=" + addrFile,
		"--agent-tls-cert-file=" + tls.CertFile,
		"--agent-tls-key-file=" + tls.KeyFile,
		"--agent-tls-ca-file=" + tls.CAFile,
		"--agent-tls-server-name=" + localenv.AgentTLSServerName,
		"--leader-elect=true",
		"--leader-elect-id=" + leaderID,
	}
}
