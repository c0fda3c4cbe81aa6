package localenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// pollInterval is how often the waits below look again: short against a
// start that takes about a second, long against the cost of one request.
const pollInterval = 50 * time.Millisecond

// logTailLines is how much of a process log a start failure shows.
const logTailLines = 30

// errExited is returned by the waits when the process they wait for exits.
var errExited = errors.New("process exited")

// waitLease waits until node's agent Lease is live, names endpoint and was
// renewed at or after since (so an old Lease of a killed agent does not
// count), failing at once if p exits.
func waitLease(ctx context.Context, kube kubernetes.Interface, node, endpoint string, since time.Time, p *localcluster.Process, timeout time.Duration) error {
	since = since.Truncate(time.Microsecond) // the API keeps microseconds
	var last string
	err := wait.PollUntilContextTimeout(ctx, pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("%w before renewing its Lease", errExited)
		}
		lease, err := kube.CoordinationV1().Leases(SystemNamespace).Get(ctx, agentlease.Name(node), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			last = "no Lease yet"
			return false, nil
		}
		if err != nil {
			last = err.Error()
			return false, nil
		}
		renewed := agentlease.ExpiresAt(lease)
		if lease.Spec.LeaseDurationSeconds != nil {
			renewed = renewed.Add(-time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second)
		}
		switch {
		case agentlease.Endpoint(lease) != endpoint:
			last = fmt.Sprintf("Lease names endpoint %q, want %q", agentlease.Endpoint(lease), endpoint)
		case renewed.Before(since):
			last = fmt.Sprintf("Lease last renewed at %s, before the agent started", renewed.Format(time.RFC3339Nano))
		case !agentlease.Live(lease, time.Now()):
			last = "Lease is not live"
		default:
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		if last != "" {
			return fmt.Errorf("wait for Lease %s/%s: %w (%s)", SystemNamespace, agentlease.Name(node), err, last)
		}
		return fmt.Errorf("wait for Lease %s/%s: %w", SystemNamespace, agentlease.Name(node), err)
	}
	return nil
}

// waitHTTP200 waits until GET url answers 200, failing at once if p exits.
func waitHTTP200(ctx context.Context, url string, p *localcluster.Process, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	var last string
	err := wait.PollUntilContextTimeout(ctx, pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("%w before %s answered", errExited, url)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			last = resp.Status
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		if last != "" {
			return fmt.Errorf("wait for %s: %w (last: %s)", url, err, last)
		}
		return fmt.Errorf("wait for %s: %w", url, err)
	}
	return nil
}
