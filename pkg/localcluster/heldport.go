package localcluster

import (
	"fmt"
	"strconv"
)

// HeldPort is a TCP port on 127.0.0.1 that this process holds for a child
// process: a socket bound to port 0 with SO_REUSEPORT that never listens.
// The kernel picked the port, and while the socket is open no other
// process can bind it (a bind without SO_REUSEPORT, or by another user,
// fails; a bind to port 0 never lands on it), yet a child of the same user
// that sets SO_REUSEPORT too binds it and serves there. The socket never
// listens, so connections reach the child alone, and are refused while the
// child is down: a restart finds its port waiting, with no moment in which
// it is free for anyone else to take.
//
// etcd (--socket-reuse-port) and kube-apiserver (--permit-port-sharing)
// bind it so: kube-apiserver v1.37 cannot bind port 0 itself
// ("--secure-port 0 must be between 1 and 65535, inclusive. It cannot be
// turned off with 0") nor take an inherited listener, and both must come
// back on the same port after a restart, as the other's flags and every
// kubeconfig name it.
type HeldPort struct {
	fd   int
	port int
}

// Port returns the held port number.
func (h *HeldPort) Port() int { return h.port }

// Addr returns 127.0.0.1:port.
func (h *HeldPort) Addr() string { return "127.0.0.1:" + strconv.Itoa(h.port) }

// HoldPorts holds n ports; on error none is held.
func HoldPorts(n int) ([]*HeldPort, error) {
	var held []*HeldPort
	for range n {
		h, err := holdPort()
		if err != nil {
			for _, p := range held {
				_ = p.Close()
			}
			return nil, fmt.Errorf("hold a port on 127.0.0.1: %w", err)
		}
		held = append(held, h)
	}
	return held, nil
}
