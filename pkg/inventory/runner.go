package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
)

// DefaultInterval between two inventories of a node: each reads the head
// and tail of every allowed disk of the node, read-only.
const DefaultInterval = time.Minute

// Source is what the Runner needs of the agents: the nodes whose agent is
// ready, and a node's ListDisks.
type Source interface {
	ReadyNodes() []string
	ListDisks(ctx context.Context, node string) ([]*agentv1.Disk, error)
}

// Owners says whether a pool object is live. HasSynced must be true before
// Live is asked: before the caches sync, every pool would look orphaned.
type Owners interface {
	Live(uid string) bool
	HasSynced() bool
}

// Runner takes each ready node's inventory every Interval, and at once for
// a node passed to Enqueue, and publishes it.
type Runner struct {
	source    Source
	owners    Owners
	publisher *Publisher
	interval  time.Duration
	queue     workqueue.TypedRateLimitingInterface[string]
}

// NewRunner returns a Runner; interval 0 means DefaultInterval. It starts
// nothing: call Run.
func NewRunner(source Source, owners Owners, publisher *Publisher, interval time.Duration) *Runner {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Runner{
		source: source, owners: owners, publisher: publisher, interval: interval,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "inventory"}),
	}
}

// Enqueue asks for node's inventory now (its agent came back, or its
// pools changed).
func (r *Runner) Enqueue(node string) { r.queue.Add(node) }

// Run works until ctx ends: one worker (nodes are listed one at a time,
// so the operator never has many ListDisks in flight).
func (r *Runner) Run(ctx context.Context) error {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer r.queue.ShutDown()
	if !cache.WaitForNamedCacheSync("inventory", ctx.Done(), r.owners.HasSynced) {
		return errors.New("inventory: pool object caches did not sync")
	}
	go wait.UntilWithContext(ctx, func(context.Context) {
		for _, n := range r.source.ReadyNodes() {
			r.queue.Add(n)
		}
	}, r.interval)
	go func() { <-ctx.Done(); r.queue.ShutDown() }()
	for r.next(ctx) {
	}
	return nil
}

func (r *Runner) next(ctx context.Context) bool {
	node, quit := r.queue.Get()
	if quit {
		return false
	}
	defer r.queue.Done(node)
	if err := r.Sync(ctx, node); err != nil {
		if !slices.Contains(r.source.ReadyNodes(), node) {
			// The agent went away: its last report stays published, and
			// the node is listed again when its agent is back.
			klog.FromContext(ctx).V(2).Info("Disk inventory failed; the node has no live agent", "node", node, "err", err)
			r.queue.Forget(node)
			return true
		}
		utilruntime.HandleErrorWithContext(ctx, err, "Disk inventory failed; retrying", "node", node)
		r.queue.AddRateLimited(node)
		return true
	}
	r.queue.Forget(node)
	return true
}

// Sync takes and publishes node's inventory once.
func (r *Runner) Sync(ctx context.Context, node string) error {
	report, err := r.take(ctx, node, r.owners.Live)
	if err != nil {
		return err
	}
	if len(report.Orphans) > 0 {
		// A pool destroyed with its object while the disks were read still
		// shows its label in that listing, with its object already gone
		// from the cache. Its label was erased before the object went (the
		// finalizer stays until the agent answers DestroyPool), so a second
		// listing, started after the first was checked, no longer shows it:
		// an orphan is a pool whose owner is gone in both.
		suspect := make(map[string]bool, len(report.Orphans))
		for _, o := range report.Orphans {
			suspect[o.Owner.UID] = true
		}
		if report, err = r.take(ctx, node, func(uid string) bool { return !suspect[uid] || r.owners.Live(uid) }); err != nil {
			return err
		}
	}
	klog.FromContext(ctx).V(4).Info("Took the disk inventory", "node", node, "disks", len(report.Disks), "orphans", len(report.Orphans))
	return r.publisher.Publish(ctx, report)
}

// take lists node's disks and builds its report.
func (r *Runner) take(ctx context.Context, node string, live func(uid string) bool) (Report, error) {
	disks, err := r.source.ListDisks(ctx, node)
	if err != nil {
		return Report{}, fmt.Errorf("list the disks of node %s: %w", node, err)
	}
	return BuildReport(node, disks, live), nil
}
