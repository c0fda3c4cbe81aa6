// Package controller runs the operator's one reconcile path: informers for
// pool objects and Nodes feed a typed, rate-limited workqueue; workers turn
// each key into a reconcile.Observation, ask reconcile.Decide for a plan and
// execute it (status write, then the one side effect, then events), deciding
// again after every side effect until the plan is done or says to wait.
//
// Everything the controller knows about agents comes through the Agents
// interface (pkg/agentwatch implements it); everything it knows about a pool
// kind comes through a kind adapter, so the legacy MayastorPool can reuse
// this exact path.
package controller
