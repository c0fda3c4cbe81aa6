package e2e

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// fixture is the harness's, with the suite's own helpers.
type fixture struct {
	*harness.Fixture
}

// setup returns a fixture with a fresh namespace (harness.Suite.Setup).
func setup(t *testing.T) *fixture {
	t.Helper()
	return &fixture{suite.Setup(t)}
}

// kubectl runs bin/kubectl as the admin user and returns stdout and stderr;
// stdin may be nil.
func (f *fixture) kubectl(stdin io.Reader, args ...string) (string, string, error) {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(f.Ctx, 30*time.Second)
	defer cancel()
	cmd := f.Env.Cluster().KubectlCommand(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// mustKubectl is kubectl that fails the test on error.
func (f *fixture) mustKubectl(stdin io.Reader, args ...string) (string, string) {
	f.T.Helper()
	out, errOut, err := f.kubectl(stdin, args...)
	if err != nil {
		f.T.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out, errOut
}

// agentClient dials node's current agent (mutual TLS, as the operator).
func (f *fixture) agentClient(node string) agentv1.PoolServiceClient {
	f.T.Helper()
	return harness.AgentClient(f.T, f.Env, node)
}

// callCtx bounds one gRPC call.
func (f *fixture) callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(f.Ctx, 10*time.Second)
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

// diskPoolYAML is a DiskPool manifest on node-b with one disk: API version
// (v1beta1 to v1beta3), name, namespace and disk are filled in; an example's
// further spec fields may follow it.
const diskPoolYAML = `apiVersion: "openebs.io/%s"
kind: DiskPool
metadata:
  name: %s
  namespace: %s
spec:
  node: node-b
  disks: [%q]
`
