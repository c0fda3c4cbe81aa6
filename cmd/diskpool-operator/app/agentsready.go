package app

import (
	"time"

	"k8s.io/apimachinery/pkg/labels"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// agentStates is the part of the tracker agentsReady needs.
type agentStates interface {
	HasSynced() bool
	Agent(node string) (reconcile.AgentState, string, time.Time)
}

// agentsReady reports whether the tracker has taken in every live agent
// Lease: its Lease handler has synced and no node whose Lease is live is
// still reported AgentMissing (which is what the tracker says of every
// node until its Run has made its first pass). The controller waits for
// this before its first sync, so a start or a leader change never reports
// a pool Offline because the tracker had not looked yet.
func agentsReady(leases coordinationlisters.LeaseNamespaceLister, tracker agentStates, now func() time.Time) func() bool {
	return func() bool {
		if !tracker.HasSynced() {
			return false
		}
		all, err := leases.List(labels.Everything())
		if err != nil {
			return false
		}
		t := now()
		for _, l := range all {
			if !agentlease.Live(l, t) {
				continue
			}
			if state, _, _ := tracker.Agent(agentlease.NodeOf(l)); state == reconcile.AgentMissing {
				return false
			}
		}
		return true
	}
}
