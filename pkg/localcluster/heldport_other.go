//go:build !unix

package localcluster

import "errors"

func holdPort() (*HeldPort, error) {
	return nil, errors.New("holding a port for a child process needs SO_REUSEPORT (Linux)")
}

// Close releases the port.
func (h *HeldPort) Close() error { return nil }
