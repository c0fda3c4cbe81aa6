// Package inventory publishes what is on each storage node: the disks its
// agent may use (agent ListDisks) and the orphans among the pools on them
// (pools whose owner matches no live DiskPool or MayastorPool).
//
// Each node's report is one ConfigMap in the operator namespace (see
// ConfigMapName), so kubectl users read it with RBAC alone and need no
// network path to the agents. It is written only when the report changes:
// an idle cluster makes no writes. Each orphan is announced once by a
// Warning event on the Node, when it first appears in the report.
package inventory
