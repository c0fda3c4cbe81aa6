// Package heartbeat keeps the agent's coordination.k8s.io/v1 Lease: it
// acquires it at start, renews it every few seconds, and releases it (empty
// holder) on shutdown, so the operator learns at once that the agent is gone.
// Names, labels and the liveness rule are in package agentlease.
package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/diskpool/diskpool-operator/pkg/agentlease"
)

// releaseTimeout bounds the release on shutdown.
const releaseTimeout = 5 * time.Second

// Config configures a Heartbeat.
type Config struct {
	Client    kubernetes.Interface
	Namespace string
	Node      string
	// Endpoint is the gRPC host:port published in the Lease.
	Endpoint string
	// LeaseDuration and RenewInterval; 0 means the agentlease defaults.
	LeaseDuration time.Duration
	RenewInterval time.Duration
	// Clock; nil means the real clock.
	Clock clock.WithTicker
}

// Heartbeat keeps one Lease. Run it once.
type Heartbeat struct {
	cfg Config
	// lease is the Lease as last written by us, nil when it must be read
	// (at start, after a conflict).
	lease *coordinationv1.Lease
	// acquired is set once this process has written the Lease.
	acquired bool
}

// New checks cfg and returns a Heartbeat.
func New(cfg Config) (*Heartbeat, error) {
	if cfg.Client == nil || cfg.Namespace == "" || cfg.Node == "" || cfg.Endpoint == "" {
		return nil, errors.New("heartbeat: client, namespace, node and endpoint are required")
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = agentlease.DefaultLeaseDuration
	}
	if cfg.RenewInterval == 0 {
		cfg.RenewInterval = agentlease.DefaultRenewInterval
	}
	if cfg.LeaseDuration < time.Second || cfg.RenewInterval <= 0 || cfg.RenewInterval >= cfg.LeaseDuration {
		return nil, fmt.Errorf("heartbeat: renew interval %v must be positive and shorter than the lease duration %v (at least 1s)", cfg.RenewInterval, cfg.LeaseDuration)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &Heartbeat{cfg: cfg}, nil
}

// Run acquires the Lease and renews it every RenewInterval until ctx is
// done, then releases it. Failed writes are logged and retried at the next
// interval (a conflict once at once, see renew): the Lease simply expires
// while the API server is unreachable.
func (h *Heartbeat) Run(ctx context.Context) {
	logger := klog.FromContext(ctx).WithValues("lease", klog.KRef(h.cfg.Namespace, agentlease.Name(h.cfg.Node)))
	ctx = klog.NewContext(ctx, logger)
	t := h.cfg.Clock.NewTicker(h.cfg.RenewInterval)
	defer t.Stop()
	for {
		if err := h.renew(ctx); err != nil && ctx.Err() == nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Cannot renew the agent Lease; retrying", "in", h.cfg.RenewInterval)
		}
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			defer cancel()
			if err := h.release(rctx); err != nil {
				logger.Error(err, "Cannot release the agent Lease; it will expire", "in", h.cfg.LeaseDuration)
			} else {
				logger.Info("Released the agent Lease")
			}
			return
		case <-t.C():
		}
	}
}

// renew writes the Lease with a fresh renewTime, acquiring it first when
// needed.
func (h *Heartbeat) renew(ctx context.Context) error {
	leases := h.cfg.Client.CoordinationV1().Leases(h.cfg.Namespace)
	now := metav1.NewMicroTime(h.cfg.Clock.Now())
	if h.lease == nil {
		cur, err := leases.Get(ctx, agentlease.Name(h.cfg.Node), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			created, err := leases.Create(ctx, h.desired(nil, now), metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("create Lease: %w", err)
			}
			h.lease, h.acquired = created, true
			klog.FromContext(ctx).Info("Created the agent Lease", "endpoint", h.cfg.Endpoint)
			return nil
		case err != nil:
			return fmt.Errorf("get Lease: %w", err)
		}
		h.lease = cur
	}
	updated, err := leases.Update(ctx, h.desired(h.lease, now), metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		// Most often this agent's own last write, which landed after the
		// client gave up on it (a slow API server). Read the Lease again
		// and retry once now: waiting a whole interval costs a quarter of
		// the Lease, and on a loaded API server the next try may conflict
		// again (1000 fleet nodes lost their Leases that way in make bench).
		if cur, gerr := leases.Get(ctx, agentlease.Name(h.cfg.Node), metav1.GetOptions{}); gerr == nil {
			h.lease = cur
			updated, err = leases.Update(ctx, h.desired(cur, now), metav1.UpdateOptions{})
		}
	}
	if err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			h.lease = nil // read it again next time
		}
		return fmt.Errorf("update Lease: %w", err)
	}
	if !h.acquired {
		klog.FromContext(ctx).Info("Acquired the agent Lease", "endpoint", h.cfg.Endpoint, "previousHolder", agentlease.Holder(h.lease))
	}
	h.lease, h.acquired = updated, true
	return nil
}

// desired returns cur (or a new Lease) held by this agent and renewed now.
func (h *Heartbeat) desired(cur *coordinationv1.Lease, now metav1.MicroTime) *coordinationv1.Lease {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: agentlease.Name(h.cfg.Node), Namespace: h.cfg.Namespace}}
	if cur != nil {
		l = cur.DeepCopy()
	}
	if l.Labels == nil {
		l.Labels = map[string]string{}
	}
	maps.Copy(l.Labels, agentlease.Labels(h.cfg.Node))
	if l.Annotations == nil {
		l.Annotations = map[string]string{}
	}
	l.Annotations[agentlease.EndpointAnnotation] = h.cfg.Endpoint
	if cur != nil && agentlease.Holder(cur) != h.cfg.Node {
		l.Spec.LeaseTransitions = ptr.To(ptr.Deref(cur.Spec.LeaseTransitions, 0) + 1)
	}
	l.Spec.HolderIdentity = ptr.To(h.cfg.Node)
	if !h.acquired {
		l.Spec.AcquireTime = &now
	}
	l.Spec.LeaseDurationSeconds = ptr.To(int32(h.cfg.LeaseDuration / time.Second))
	l.Spec.RenewTime = &now
	return l
}

// release empties the holder, keeping the object (and its endpoint), so
// watchers see the agent go at once. A conflict is retried once after a
// fresh read.
func (h *Heartbeat) release(ctx context.Context) error {
	leases := h.cfg.Client.CoordinationV1().Leases(h.cfg.Namespace)
	for attempt := 0; attempt < 2; attempt++ {
		cur := h.lease
		if cur == nil {
			got, err := leases.Get(ctx, agentlease.Name(h.cfg.Node), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			cur = got
		}
		if agentlease.Holder(cur) != h.cfg.Node {
			return nil // not ours (anymore)
		}
		l := cur.DeepCopy()
		l.Spec.HolderIdentity = ptr.To("")
		_, err := leases.Update(ctx, l, metav1.UpdateOptions{})
		if err == nil {
			h.lease = nil
			return nil
		}
		if !apierrors.IsConflict(err) {
			return err
		}
		h.lease = nil
	}
	return errors.New("release Lease: conflicting updates")
}
