// Package badinput checks what the operator and its agents refuse, against
// a real etcd, kube-apiserver, agents on sparse files and the operator:
// bad pool objects are rejected at admission by the CRD's OpenAPI and CEL
// rules with the API server's message; what only the node can judge (paths
// outside the agent's allow-list, symlinks that escape it, directories,
// character devices, disks already claimed or carrying a signature, a node
// that does not exist, an unknown delete option, a pool object asking for
// encryption) is reported in the Ready
// condition and a Warning event, and the disk is byte-for-byte unchanged.
// It also checks the security properties the processes rely on: the
// operator and agents run with their ServiceAccount identities, and an
// agent refuses a gRPC client without a certificate from its CA.
//
// It needs the local control plane (make controlplane) and is skipped with
// -short.
package badinput
