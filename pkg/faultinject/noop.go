//go:build !faultinject

package faultinject

import (
	"net/http"

	"google.golang.org/grpc"
)

// Enabled reports whether this build acts on DISKPOOL_FAULTS: not this
// one, the shipped build.
const Enabled = false

// Injector is empty in the shipped build.
type Injector struct{}

// FromEnv returns nil: the shipped build ignores DISKPOOL_FAULTS.
func FromEnv() (*Injector, error) { return nil, nil }

// WrapTransport returns rt unchanged.
func (*Injector) WrapTransport(rt http.RoundTripper) http.RoundTripper { return rt }

// DialOptions returns nothing.
func (*Injector) DialOptions() []grpc.DialOption { return nil }
