package main

import (
	"context"
	"fmt"
	"github.com/diskpool/diskpool-operator/test/internal/metrics"
	"slices"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/pkg/agentlease"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// policyBinding is manifests/base/finalizer-policy.yaml's binding.
const policyBinding = "diskpool-protection-finalizer"

// operatorRun is one more burst of the operator (after the headline one):
// without the finalizer policy, or on a backlog.
type operatorRun struct {
	Name            string  `json:"name"`
	Create          phase   `json:"create"`
	Delete          phase   `json:"delete"`
	WritesPerCreate float64 `json:"apiWritesPerPoolCreate"`
	WritesPerDelete float64 `json:"apiWritesPerPoolDelete"`
	Conflicts       float64 `json:"conflicts409"`
}

// disablePolicy deletes the finalizer policy's binding and waits until a
// new DiskPool is admitted without the finalizer: a cluster without the
// policy, where the operator adds the finalizer itself.
func disablePolicy(ctx context.Context, env *localenv.Env) error {
	kube, err := kubernetes.NewForConfig(env.RESTConfig())
	if err != nil {
		return err
	}
	if err := kube.AdmissionregistrationV1().MutatingAdmissionPolicyBindings().Delete(ctx, policyBinding, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete the finalizer policy binding: %w", err)
	}
	client, err := versioned.NewForConfig(env.RESTConfig())
	if err != nil {
		return err
	}
	probe := &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: "policy-off-probe", Namespace: poolNamespace},
		Spec:       v1beta3.DiskPoolSpec{Node: "probe", Disks: []string{"/dev/probe"}},
	}
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := client.OpenebsV1beta3().DiskPools(poolNamespace).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && !slices.Contains(got.Finalizers, v1beta3.Finalizer), nil
	})
}

// measureOperatorBurst creates and deletes the pools once more in the
// operator's namespace. With backlog, the operator is stopped while the
// pools are created and the create phase is timed from its start.
func measureOperatorBurst(ctx context.Context, env *localenv.Env, client versioned.Interface, pools []poolSpec, names []string, cfg config, run *operatorRun, backlog bool) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	url := env.OperatorMetricsURL()
	track := newTracker()
	if err := track.run(runCtx, client, poolNamespace); err != nil {
		return err
	}
	var before metrics.Snapshot
	if backlog {
		if err := env.StopOperator(); err != nil {
			return err
		}
		logf("operator %s: creating %d DiskPools while it is stopped", run.Name, len(pools))
		if err := createBurst(ctx, client, poolNamespace, pools, cfg.createWorkers, track); err != nil {
			return err
		}
		started := time.Now()
		if err := env.StartOperator(ctx); err != nil {
			return err
		}
		url = env.OperatorMetricsURL() // a new process, new ports
		track.restartClock(names, started)
	} else {
		var err error
		if before, err = metrics.Scrape(ctx, url); err != nil {
			return err
		}
		logf("operator %s: creating %d DiskPools in one burst", run.Name, len(pools))
		if err := createBurst(ctx, client, poolNamespace, pools, cfg.createWorkers, track); err != nil {
			return err
		}
	}
	if err := track.waitAll(ctx, names, false, cfg.timeout); err != nil {
		return fmt.Errorf("operator %s create: %w", run.Name, err)
	}
	run.Create = track.createPhase(names)
	if err := waitQueueEmpty(ctx, url, 30*time.Second); err != nil {
		return err
	}
	afterCreate, err := metrics.Scrape(ctx, url)
	if err != nil {
		return err
	}
	if err := deleteBurst(ctx, client, poolNamespace, pools, cfg.createWorkers, track); err != nil {
		return err
	}
	if err := track.waitAll(ctx, names, true, cfg.timeout); err != nil {
		return fmt.Errorf("operator %s delete: %w", run.Name, err)
	}
	run.Delete = track.deletePhase(names)
	if err := checkLabelsErased(pools); err != nil {
		return err
	}
	afterDelete, err := metrics.Scrape(ctx, url)
	if err != nil {
		return err
	}
	n := float64(len(pools))
	run.WritesPerCreate = poolWrites(before, afterCreate) / n
	run.WritesPerDelete = poolWrites(afterCreate, afterDelete) / n
	run.Conflicts = metrics.Delta(before, afterDelete, "diskpool_api_conflicts_total")
	logf("operator %s: create %.2fs (p99 %.3fs), delete %.2fs, %.2f writes per create", run.Name, run.Create.WallSeconds, run.Create.P99Seconds, run.Delete.WallSeconds, run.WritesPerCreate)
	return nil
}

// restartClock makes names' create phase start at at (a backlog is timed
// from the controller's start, not from the creates).
func (t *tracker) restartClock(names []string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range names {
		t.createdAt[n] = at
		delete(t.readyAt, n) // Ready before the start cannot happen; be exact
	}
}

// leaseCounter counts the agents' Lease writes (every update a watch of
// their Leases delivers).
type leaseCounter struct {
	mu     sync.Mutex
	writes int
	leases map[string]bool
}

func startLeaseCounter(ctx context.Context, env *localenv.Env) (*leaseCounter, error) {
	kube, err := kubernetes.NewForConfig(env.RESTConfig())
	if err != nil {
		return nil, err
	}
	lc := &leaseCounter{leases: map[string]bool{}}
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(localenv.SystemNamespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = agentlease.Selector() }))
	inf := factory.Coordination().V1().Leases().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) {
			if l, ok := obj.(*coordinationv1.Lease); ok {
				lc.mu.Lock()
				lc.writes++
				lc.leases[l.Name] = true
				lc.mu.Unlock()
			}
		},
	}); err != nil {
		return nil, err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, fmt.Errorf("watch agent Leases: cache did not sync")
	}
	return lc, nil
}

func (lc *leaseCounter) take() int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	n := lc.writes
	lc.writes = 0
	return n
}

// measureAgentOffline creates one pool, kills its node's agent (SIGKILL:
// no Lease release) and times until the pool is reported Offline, then
// starts the agent again, waits until the pool is Online and deletes it.
//
// It returns the seconds to Offline and to the first status that is not
// Ready (the operator sees the agent's stream break before its Lease ends).
func measureAgentOffline(ctx context.Context, env *localenv.Env, client versioned.Interface, p poolSpec, timeout time.Duration) (offline, notReady float64, err error) {
	pools := client.OpenebsV1beta3().DiskPools(poolNamespace)
	name, node := "offline-probe", p.node
	if _, err := pools.Create(ctx, &v1beta3.DiskPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: poolNamespace},
		Spec:       v1beta3.DiskPoolSpec{Node: node, Disks: p.disks},
	}, metav1.CreateOptions{}); err != nil {
		return 0, 0, err
	}
	online := func(ctx context.Context) (bool, error) {
		dp, err := pools.Get(ctx, name, metav1.GetOptions{})
		return err == nil && isReady(dp) && dp.Status.PoolStatus == v1beta3.PoolStatusOnline, nil
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, online); err != nil {
		return 0, 0, fmt.Errorf("pool %s not Online: %w", name, err)
	}
	logf("killing the agent of %s; waiting for pool %s to be Offline", node, name)
	began := time.Now()
	if err := env.KillAgent(node); err != nil {
		return 0, 0, err
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		dp, err := pools.Get(ctx, name, metav1.GetOptions{})
		if err == nil && notReady == 0 && !isReady(dp) {
			notReady = time.Since(began).Seconds()
		}
		return err == nil && dp.Status.PoolStatus == v1beta3.PoolStatusOffline, nil
	})
	offline = time.Since(began).Seconds()
	if err != nil {
		return 0, 0, fmt.Errorf("pool %s not Offline within %s of killing its agent: %w", name, timeout, err)
	}
	if err := env.StartAgent(ctx, node); err != nil {
		return offline, notReady, err
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, online); err != nil {
		return offline, notReady, fmt.Errorf("pool %s not Online again after its agent restarted: %w", name, err)
	}
	if err := pools.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return offline, notReady, err
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, err := pools.Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return offline, notReady, fmt.Errorf("pool %s not gone: %w", name, err)
	}
	logf("pool %s not Ready %.2fs and Offline %.2fs after its agent was killed; Online again, deleted", name, notReady, offline)
	return offline, notReady, nil
}
