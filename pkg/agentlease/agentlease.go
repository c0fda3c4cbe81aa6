// Package agentlease is the contract between a diskpool-agent and the
// operator about the agent's coordination.k8s.io/v1 Lease: its name, labels,
// annotation and what makes it live. The agent writes the Lease; the operator
// watches Leases matching Selector() to learn which nodes have a running agent
// and at which gRPC endpoint.
//
// Everything here is pure: no clients, no clocks.
package agentlease

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/labels"
)

const (
	// DefaultNamespace is the namespace of agent Leases unless configured.
	DefaultNamespace = "diskpool-system"
	// NamePrefix prefixes the node name to form the Lease name.
	NamePrefix = "diskpool-agent-"

	// AppLabel and AppLabelValue mark every agent Lease.
	AppLabel      = "app.kubernetes.io/name"
	AppLabelValue = "diskpool-agent"
	// NodeLabel carries the node name, so NodeOf never parses the Lease name.
	NodeLabel = "diskpool.openebs.io/node"
	// EndpointAnnotation carries the agent's gRPC endpoint as host:port.
	EndpointAnnotation = "diskpool.openebs.io/grpc-endpoint"

	// DefaultLeaseDuration is how long a Lease stays live after a renewal:
	// four renewals, as the kubelet's node Lease, so one slow or failed
	// renewal never makes a healthy agent look gone.
	DefaultLeaseDuration = 40 * time.Second
	// DefaultRenewInterval is how often the agent renews its Lease: 0.1
	// writes per second per node, the kubelet's own rate (every 5 s cost
	// 1000 writes/s at 5000 nodes). A stopping agent releases its Lease at
	// once, so this only bounds how long a crashed one looks live.
	DefaultRenewInterval = 10 * time.Second
)

// Name returns the Lease name of the agent on node.
func Name(node string) string {
	return NamePrefix + node
}

// Labels returns the labels an agent Lease carries.
func Labels(node string) map[string]string {
	return map[string]string{AppLabel: AppLabelValue, NodeLabel: node}
}

// Selector returns the label selector, as a string for informer ListOptions,
// that matches every agent Lease.
func Selector() string {
	return labels.SelectorFromSet(labels.Set{AppLabel: AppLabelValue}).String()
}

// NodeOf returns the node an agent Lease belongs to: its node label, or, for a
// Lease without the label, the holder identity. It returns "" for nil.
func NodeOf(lease *coordinationv1.Lease) string {
	if lease == nil {
		return ""
	}
	if n := lease.Labels[NodeLabel]; n != "" {
		return n
	}
	if lease.Spec.HolderIdentity != nil {
		return *lease.Spec.HolderIdentity
	}
	return ""
}

// Endpoint returns the gRPC endpoint (host:port) the agent advertises, or "".
func Endpoint(lease *coordinationv1.Lease) string {
	if lease == nil {
		return ""
	}
	return lease.Annotations[EndpointAnnotation]
}

// Holder returns the holder identity, or "" when there is none (a released
// Lease).
func Holder(lease *coordinationv1.Lease) string {
	if lease == nil || lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

// ExpiresAt returns when the Lease stops being live: renewTime (or, before
// the first renewal, acquireTime) plus leaseDurationSeconds. It returns the
// zero time for a nil Lease or one without those fields.
func ExpiresAt(lease *coordinationv1.Lease) time.Time {
	if lease == nil || lease.Spec.LeaseDurationSeconds == nil {
		return time.Time{}
	}
	var last time.Time
	switch {
	case lease.Spec.RenewTime != nil:
		last = lease.Spec.RenewTime.Time
	case lease.Spec.AcquireTime != nil:
		last = lease.Spec.AcquireTime.Time
	default:
		return time.Time{}
	}
	return last.Add(time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second)
}

// Live reports whether the Lease shows a running agent at now: it has a
// holder (a released Lease has none) and has not expired.
func Live(lease *coordinationv1.Lease, now time.Time) bool {
	if Holder(lease) == "" {
		return false
	}
	exp := ExpiresAt(lease)
	return !exp.IsZero() && exp.After(now)
}
