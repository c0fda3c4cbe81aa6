//go:build unix

package localcluster

import (
	"errors"

	"golang.org/x/sys/unix"
)

func holdPort() (*HeldPort, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return nil, errors.Join(err, unix.Close(fd))
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return nil, errors.Join(err, unix.Close(fd))
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, errors.Join(err, unix.Close(fd))
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return nil, errors.Join(errors.New("bound address is not IPv4"), unix.Close(fd))
	}
	return &HeldPort{fd: fd, port: in4.Port}, nil
}

// Close releases the port. It is safe to call more than once.
func (h *HeldPort) Close() error {
	if h.fd < 0 {
		return nil
	}
	err := unix.Close(h.fd)
	h.fd = -1
	return err
}
