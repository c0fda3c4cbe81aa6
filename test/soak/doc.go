// Package soak is the randomized fault soak (issue 16): from a seed, a
// random schedule of pool-object creates and deletes (DiskPool and
// MayastorPool; delete right after create, re-create under the same name,
// purge), replica creates and destroys over the agents' gRPC, and faults
// that overlap (operator leader killed or frozen, a standby started,
// operators with 409s, lost replies and crashes from pkg/faultinject, an
// agent killed, restarted or frozen, kube-apiserver and etcd restarted, a
// disk removed and put back) runs against the local environment for
// SOAK_TIME, checking invariants as it goes and at quiescence. Every
// failure names the seed and the step, and the schedule so far is printed:
// SOAK_SEED=<seed> SOAK_STEPS=<steps> make soak replays it.
//
// Without SOAK_SEED it runs a fixed seed and one random (printed) seed.
// It needs the local control plane (make controlplane); -short skips it.
package soak
