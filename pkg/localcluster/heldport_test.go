//go:build linux

package localcluster

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHeldPort checks the kernel behaviour HeldPort relies on: nobody else
// binds the port, a child that shares it serves there, and with the child
// gone connections are refused rather than queued on the held socket.
func TestHeldPort(t *testing.T) {
	held, err := HoldPorts(1)
	if err != nil {
		t.Fatal(err)
	}
	h := held[0]
	defer func() { _ = h.Close() }()

	if l, err := net.Listen("tcp", h.Addr()); err == nil {
		_ = l.Close()
		t.Fatalf("a plain bind of held %s succeeded", h.Addr())
	} else if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("plain bind of held %s: %v, want EADDRINUSE", h.Addr(), err)
	}

	if _, err := net.Dial("tcp", h.Addr()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s with nothing serving: %v, want ECONNREFUSED", h.Addr(), err)
	}

	share := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) }); err != nil {
			return err
		}
		return serr
	}}
	for round := range 2 { // a second round: the port waits through a restart
		l, err := share.Listen(context.Background(), "tcp", h.Addr())
		if err != nil {
			t.Fatalf("round %d: a sharing bind of %s: %v", round, h.Addr(), err)
		}
		accepted := make(chan error, 1)
		go func() {
			c, err := l.Accept()
			if err == nil {
				_ = c.Close()
			}
			accepted <- err
		}()
		c, err := net.Dial("tcp", h.Addr())
		if err != nil {
			t.Fatalf("round %d: dial %s: %v", round, h.Addr(), err)
		}
		_ = c.Close()
		if err := <-accepted; err != nil {
			t.Fatalf("round %d: accept: %v", round, err)
		}
		_ = l.Close()
		if _, err := net.Dial("tcp", h.Addr()); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("round %d: dial %s after the server closed: %v, want ECONNREFUSED", round, h.Addr(), err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
