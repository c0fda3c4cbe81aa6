// Package metrics holds the operator's Prometheus metrics. Every
// constructor takes the registry to register on, so each test gets its own
// and only main touches process-wide state (client-go's REST client hooks,
// which client-go keeps globally).
//
// Metric names share the diskpool_ prefix; see docs/architecture.md for
// the full list.
package metrics
