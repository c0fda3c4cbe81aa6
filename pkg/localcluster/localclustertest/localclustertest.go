// Package localclustertest starts a local cluster from a test, skipping the
// test when the control plane binaries have not been built, unless the
// environment demands them.
package localclustertest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// EnvRequireControlPlane, when set to any non-empty value, turns missing
// control plane binaries from a skipped test into a failed one (for CI and
// `make test`, which build them first).
const EnvRequireControlPlane = "DISKPOOL_REQUIRE_CONTROLPLANE"

// logTailLines is how much of each log a failed test shows.
const logTailLines = 20

// startTimeout bounds Start as a whole.
const startTimeout = 2 * time.Minute

// Binaries returns the control plane binaries. It skips t in -short mode, and
// when they are not built and EnvRequireControlPlane is not set; it fails t
// when they are not built and EnvRequireControlPlane is set.
func Binaries(t testing.TB) localcluster.Binaries {
	t.Helper()
	if testing.Short() {
		t.Skip("Skipping: needs a local control plane (etcd, kube-apiserver), not run with -short")
	}
	bins, err := localcluster.FindBinaries()
	if errors.Is(err, localcluster.ErrBinaryNotFound) && os.Getenv(EnvRequireControlPlane) == "" {
		t.Skipf("Skipping: %v\n(set %s=1 to make this a failure instead)", err, EnvRequireControlPlane)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bins
}

// Start starts a local cluster for t and stops it when t ends. An empty
// opts.WorkDir becomes a directory from t.TempDir. When t has failed, the tail
// of each control plane log is logged before the cluster stops.
func Start(t testing.TB, opts localcluster.Options) *localcluster.Cluster {
	t.Helper()
	if opts.Binaries == nil {
		bins := Binaries(t)
		opts.Binaries = &bins
	}
	if opts.WorkDir == "" {
		opts.WorkDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c, err := localcluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range []*localcluster.Process{c.Etcd(), c.APIServer()} {
				t.Logf("---- tail of %s ----\n%s", p.LogPath(), p.LogTail(logTailLines))
			}
		}
		if err := c.Stop(); err != nil {
			t.Errorf("stop local cluster: %v", err)
		}
	})
	return c
}
