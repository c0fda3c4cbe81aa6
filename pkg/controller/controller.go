package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Controller reconciles pool objects with their nodes' agents.
type Controller struct {
	kinds  map[string]kindAdapter
	agents Agents

	nodeLister corelisters.NodeLister
	// secretListers and poolIndexers serve spec.encryptionConfig
	// (secrets.go); empty without Config.SecretInformers.
	secretListers []corelisters.SecretLister
	poolIndexers  []cache.Indexer
	// synced holds every informer and handler registration Run waits for.
	synced []cache.InformerSynced

	queue       workqueue.TypedRateLimitingInterface[key]
	recorder    events.EventRecorder
	broadcaster events.EventBroadcaster
	clock       clock.WithTicker
	metrics     Metrics
	echoes      echoes
	gone        goneObjects
	// logger is NewController's, for informer callbacks that have no
	// context of their own.
	logger klog.Logger
}

// NewController wires a controller to its informers. It adds indexes and
// event handlers, so it must run before the informers start. It starts no
// goroutine of its own (Run does; client-go's workqueue runs its delay
// timer from construction, so handlers can queue before Run).
func NewController(ctx context.Context, cfg Config) (*Controller, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("controller config: %w", err)
	}
	cfg.setDefaults()
	logger := klog.FromContext(ctx)

	adapters, err := newKindAdapters(cfg)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		kinds:       map[string]kindAdapter{},
		agents:      cfg.Agents,
		nodeLister:  cfg.NodeInformer.Lister(),
		recorder:    cfg.EventRecorder,
		broadcaster: cfg.EventBroadcaster,
		clock:       cfg.Clock,
		metrics:     cfg.Metrics,
		logger:      logger,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			newRateLimiter(cfg.BackoffBase, cfg.BackoffMax, cfg.QueueQPS, cfg.QueueBurst),
			workqueue.TypedRateLimitingQueueConfig[key]{
				Name:            QueueName,
				MetricsProvider: cfg.QueueMetricsProvider,
				Clock:           cfg.Clock,
			}),
	}
	for _, a := range adapters {
		c.kinds[a.Kind()] = a
		c.synced = append(c.synced, a.InformerSynced()...)
		for _, inf := range a.Informers() {
			if err := c.addPoolHandler(a, inf); err != nil {
				return nil, err
			}
		}
	}
	// The agents' side of the contract: they tell us of every change,
	// their own calls' results included, and own their readiness.
	cfg.Agents.AddChangeHandler(c.OnChange)
	c.synced = append(c.synced, cfg.Agents.HasSynced)

	nodeInformer := cfg.NodeInformer.Informer()
	// Only the existence of a Node matters, so updates (status heartbeats
	// every few seconds) are ignored.
	reg, err := nodeInformer.AddEventHandlerWithOptions(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueNode,
		DeleteFunc: c.enqueueNode,
	}, cache.HandlerOptions{Logger: &logger})
	if err != nil {
		return nil, fmt.Errorf("adding the Node event handler: %w", err)
	}
	c.synced = append(c.synced, nodeInformer.HasSynced, reg.HasSynced)
	if err := c.watchSecrets(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// newKindAdapters returns the adapters of the kinds cfg serves.
func newKindAdapters(cfg Config) ([]kindAdapter, error) {
	dsp, err := newDiskPoolKind(cfg.PoolClient, cfg.DiskPoolInformers)
	if err != nil {
		return nil, err
	}
	adapters := []kindAdapter{dsp}
	if len(cfg.MayastorPoolInformers) > 0 {
		msp, err := newMayastorPoolKind(cfg.PoolClient, cfg.MayastorPoolInformers)
		if err != nil {
			return nil, err
		}
		adapters = append(adapters, msp)
	}
	return adapters, nil
}

// addPoolHandler queues the objects of a's kind that inf reports; Run
// waits for the handler's initial events.
func (c *Controller) addPoolHandler(a kindAdapter, inf cache.SharedIndexInformer) error {
	kind := a.Kind()
	reg, err := inf.AddEventHandlerWithOptions(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueObject(kind, obj) },
		UpdateFunc: func(_, obj any) { c.enqueueUpdate(kind, obj) },
		DeleteFunc: func(obj any) {
			c.rememberDeleted(a, obj)
			c.enqueueObject(kind, obj)
		},
	}, cache.HandlerOptions{Logger: &c.logger})
	if err != nil {
		return fmt.Errorf("adding the %s event handler: %w", kind, err)
	}
	c.synced = append(c.synced, reg.HasSynced)
	return nil
}

// Run starts the event broadcaster, waits for the caches, runs workers
// until ctx is cancelled, then shuts the queue down and waits for the
// workers to finish their current item. Run is called once: the queue does
// not survive it.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)

	if c.broadcaster != nil {
		if err := c.broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
			return fmt.Errorf("starting the event broadcaster: %w", err)
		}
		defer c.broadcaster.Shutdown()
	}

	var wg sync.WaitGroup
	defer func() {
		c.queue.ShutDown()
		wg.Wait()
		logger.Info("Stopped controller")
	}()

	logger.Info("Starting controller", "workers", workers)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return errors.New("caches did not sync before the controller stopped")
	}
	for range max(workers, 1) {
		wg.Go(func() { wait.UntilWithContext(ctx, c.runWorker, time.Second) })
	}
	<-ctx.Done()
	return nil
}

// HasSynced reports whether every informer the controller reads has synced
// and delivered its initial events, and Agents has taken in every running
// agent: whether the controller, once leading, acts on a complete view.
func (c *Controller) HasSynced() bool {
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

// processNextWorkItem syncs one key and tells the queue how it went: an
// error means a rate-limited retry; nil resets the key's backoff.
func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	k, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(k)

	logger := klog.LoggerWithValues(klog.FromContext(ctx), "kind", k.Kind, "object", klog.KRef(k.Namespace, k.Name))
	ctx = klog.NewContext(ctx, logger)

	err := c.syncHandler(ctx, k)
	if err == nil {
		c.queue.Forget(k)
		return true
	}
	var retry *retryError
	switch {
	case errors.As(err, &retry):
		// The plan asked for it; status and events already say why.
		logger.V(2).Info("Retrying with backoff", "reason", retry.reason, "requeues", c.queue.NumRequeues(k))
	case apierrors.IsConflict(err):
		logger.V(3).Info("Conflict, retrying", "err", err)
	default:
		utilruntime.HandleErrorWithContext(ctx, err, "Sync failed, retrying", "requeues", c.queue.NumRequeues(k))
	}
	c.queue.AddRateLimited(k)
	return true
}

// retryError is the error a sync returns when its plan asks for a backoff
// retry: expected, so it is logged quietly.
type retryError struct {
	reason string
}

func (e *retryError) Error() string { return "retry: " + e.reason }
