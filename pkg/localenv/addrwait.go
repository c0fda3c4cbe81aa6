package localenv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/diskpool/diskpool-operator/pkg/addrfile"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// localAddr is what every server the environment starts binds: the kernel
// picks the port, and the process names it in its --address-file.
const localAddr = "127.0.0.1:0"

// WaitAddresses waits until the process p, started with
// --address-file=path, has written it with every server of want, and
// returns the addresses by server name. It fails at once if p exits. The
// caller removes path before starting p, so an old file does not count.
func WaitAddresses(ctx context.Context, p *localcluster.Process, path string, timeout time.Duration, want ...string) (map[string]string, error) {
	var got map[string]string
	var last error
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("%w before writing %s", errExited, path)
		}
		got, last = addrfile.Read(path)
		if errors.Is(last, fs.ErrNotExist) {
			return false, nil
		}
		if last != nil {
			return false, last
		}
		for _, w := range want {
			if got[w] == "" {
				return false, fmt.Errorf("address file %s has no %s server: %v", path, w, got)
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("wait for the addresses of %s: %w", p.Name(), err)
	}
	return got, nil
}

// removeStale removes an address file an earlier process left.
func removeStale(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// httpURL is http://addr + path, or "" when addr is unknown.
func httpURL(addr, path string) string {
	if addr == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return ""
	}
	return "http://" + addr + path
}
