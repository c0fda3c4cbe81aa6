package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// errLostLeadership ends the process: the controller's queue does not
// survive a stop, and a fresh start stands by correctly.
var errLostLeadership = errors.New("lost the leader-election Lease")

// podNameEnv is set by the Deployment from the downward API.
const podNameEnv = "POD_NAME"

// leaderIdentity is this replica's holder identity in the Lease: the pod
// name when known. A restarted container keeps its pod's name, and
// client-go's elector renews a Lease whose holder is its own identity
// without waiting for it to expire, so a restarted leader leads again at
// its first retry instead of after the lease duration. Without a pod name
// (a process started by hand or by tests, several per host) the identity
// is the hostname with a random suffix: two processes sharing one identity
// would both believe they lead.
func leaderIdentity() (string, error) {
	if name := os.Getenv(podNameEnv); name != "" {
		return name, nil
	}
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("leader election identity: %w", err)
	}
	return host + "_" + string(uuid.NewUUID()), nil
}

// runElected runs lead while this replica holds the leader-election Lease.
//
// Hand-over on SIGTERM: ctx ends, lead's context ends, the controller and
// the tracker stop (workers finish their current item), and only then is
// the Lease released (ReleaseOnCancel), so a standby takes over at its
// next retry period instead of after the lease duration, and never while
// this replica still writes. The elector therefore runs on its own
// context, cancelled after lead has returned.
func runElected(ctx context.Context, o *Options, kube kubernetes.Interface, watchdog *leaderelection.HealthzAdaptor,
	leading prometheus.Gauge, lead func(context.Context) error) error {
	logger := klog.FromContext(ctx)
	id, err := leaderIdentity()
	if err != nil {
		return err
	}

	electorCtx, stopElector := context.WithCancel(context.WithoutCancel(ctx))
	defer stopElector()

	var (
		mu       sync.Mutex
		leadDone chan struct{} // set once leading starts, closed when lead returns
		leadErr  error
	)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: o.OperatorNamespace, Name: o.LeaderElectID},
			Client:     kube.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: id},
		},
		LeaseDuration:   o.LeaderElectLeaseDuration,
		RenewDeadline:   o.LeaderElectRenewDeadline,
		RetryPeriod:     o.LeaderElectRetryPeriod,
		ReleaseOnCancel: true,
		WatchDog:        watchdog,
		Name:            o.LeaderElectID,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leadCtx context.Context) {
				done := make(chan struct{})
				mu.Lock()
				leadDone = done
				mu.Unlock()
				defer close(done)

				logger.Info("Started leading", "identity", id)
				// Stop on SIGTERM (ctx) or when the Lease is lost (leadCtx).
				runCtx, cancel := context.WithCancel(leadCtx)
				defer cancel()
				defer context.AfterFunc(ctx, cancel)()
				leading.Set(1)
				err := lead(runCtx)
				leading.Set(0)
				mu.Lock()
				leadErr = err
				mu.Unlock()
				// Whatever ended lead, let a standby take over now.
				stopElector()
			},
			OnStoppedLeading: func() {
				logger.Info("Stopped leading", "identity", id)
			},
			OnNewLeader: func(identity string) {
				if identity != id {
					logger.Info("Standing by", "leader", identity)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	watchdog.SetLeaderElection(le)

	go func() {
		select {
		case <-ctx.Done():
		case <-electorCtx.Done():
			return
		}
		mu.Lock()
		done := leadDone
		mu.Unlock()
		if done != nil {
			<-done // lead stops on ctx; it stops the elector itself
		}
		stopElector()
	}()

	logger.Info("Waiting for the leader-election Lease", "lease", klog.KRef(o.OperatorNamespace, o.LeaderElectID), "identity", id)
	le.Run(electorCtx)

	mu.Lock()
	defer mu.Unlock()
	switch {
	case leadErr != nil:
		return leadErr
	case ctx.Err() != nil:
		return nil
	case leadDone != nil:
		return errLostLeadership
	}
	return errors.New("leader election stopped before leading")
}
