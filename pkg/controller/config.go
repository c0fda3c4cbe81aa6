package controller

import (
	"errors"
	"time"

	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1alpha1informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1alpha1"
	v1beta3informers "github.com/diskpool/diskpool-operator/generated/informers/externalversions/openebs.io/v1beta3"
)

// Config is what NewController needs. Zero optional fields take the
// defaults documented on them.
type Config struct {
	// PoolClient writes pool objects (finalizers and status).
	PoolClient versioned.Interface
	// DiskPoolInformers: one for all namespaces, or one per watched
	// namespace (their namespaces must not overlap).
	DiskPoolInformers []v1beta3informers.DiskPoolInformer
	// MayastorPoolInformers, when set, make the controller serve the
	// legacy MayastorPool kind too, through the same queue and sync loop:
	// one informer for all namespaces, or one per watched namespace.
	MayastorPoolInformers []v1alpha1informers.MayastorPoolInformer
	// NodeInformer tells whether a pool's Node exists.
	NodeInformer coreinformers.NodeInformer
	// SecretInformers, one per watched namespace (or one for all), tell
	// whether the Secret a spec.encryptionConfig names exists. Optional:
	// without them a missing Secret is not told apart
	// (EncryptionUnsupported either way).
	SecretInformers []coreinformers.SecretInformer
	// Agents reports node agents and pools, performs pool calls, tells the
	// controller of changes, and says when it is synced.
	Agents Agents

	// EventRecorder records events on pool objects. Required.
	EventRecorder events.EventRecorder
	// EventBroadcaster, when set, is started by Run and shut down when Run
	// returns, so constructing a controller starts no goroutines.
	EventBroadcaster events.EventBroadcaster

	// Clock defaults to the real clock; tests pass a fake one.
	Clock clock.WithTicker
	// Metrics defaults to none.
	Metrics Metrics
	// QueueMetricsProvider gives the workqueue its depth, adds, latency,
	// work duration, unfinished work and retries metrics. Defaults to
	// client-go's global provider (none unless workqueue.SetProvider ran).
	QueueMetricsProvider workqueue.MetricsProvider

	// BackoffBase and BackoffMax bound the per-object retry delay
	// (DefaultBackoffBase, DefaultBackoffMax).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// QueueQPS and QueueBurst bound all retries together
	// (DefaultQueueQPS, DefaultQueueBurst).
	QueueQPS   float64
	QueueBurst int
}

func (c *Config) validate() error {
	var errs []error
	if c.PoolClient == nil {
		errs = append(errs, errors.New("PoolClient is required"))
	}
	if len(c.DiskPoolInformers) == 0 {
		errs = append(errs, errors.New("at least one DiskPool informer is required"))
	}
	if c.NodeInformer == nil {
		errs = append(errs, errors.New("NodeInformer is required"))
	}
	if c.Agents == nil {
		errs = append(errs, errors.New("Agents is required"))
	}
	if c.EventRecorder == nil {
		errs = append(errs, errors.New("EventRecorder is required"))
	}
	if c.BackoffBase < 0 || c.BackoffMax < 0 || (c.BackoffMax > 0 && c.BackoffBase > c.BackoffMax) {
		errs = append(errs, errors.New("backoff: need 0 <= base <= max"))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = max(DefaultBackoffMax, c.BackoffBase)
	}
	if c.QueueQPS == 0 {
		c.QueueQPS = DefaultQueueQPS
	}
	if c.QueueBurst == 0 {
		c.QueueBurst = DefaultQueueBurst
	}
}
