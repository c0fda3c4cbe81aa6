// Package agent is the diskpool PoolService for one node: it creates,
// imports and destroys pools on the node's disks, keeps their replica tables
// in the on-disk labels (package label), watches the disks' health and
// streams every change to watchers.
//
// An Agent holds pools in memory only; what survives a restart is on the
// disks. Start imports every pool whose label is found on the configured
// disks. All disk I/O is serialised by one mutex (the agent serves a handful
// of calls a second); reads of the in-memory state never wait for disk I/O.
package agent
