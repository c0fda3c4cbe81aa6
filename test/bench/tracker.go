package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	"github.com/diskpool/diskpool-operator/generated/informers/externalversions"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// tracker is the independent observer: a watch of one namespace that
// records when each object is first Ready with a current observedGeneration,
// and when it is gone. It is used the same way for the operator and for the
// write floor, so the two are timed alike.
type tracker struct {
	mu        sync.Mutex
	createdAt map[string]time.Time
	readyAt   map[string]time.Time
	deleteAt  map[string]time.Time
	goneAt    map[string]time.Time
	// createReturned and deleteReturned are when each request returned:
	// the burst client's own part of a phase.
	createReturned map[string]time.Time
	deleteReturned map[string]time.Time
	changed        chan struct{}
}

func newTracker() *tracker {
	return &tracker{
		createdAt: map[string]time.Time{},
		readyAt:   map[string]time.Time{},
		deleteAt:  map[string]time.Time{},
		goneAt:    map[string]time.Time{},
		changed:   make(chan struct{}, 1),

		createReturned: map[string]time.Time{},
		deleteReturned: map[string]time.Time{},
	}
}

func (t *tracker) created(name string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.createdAt[name] = at
	t.createReturned[name] = time.Now()
}

func (t *tracker) deleteRequested(name string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deleteAt[name] = at
	t.deleteReturned[name] = time.Now()
}

// run observes the namespace until ctx ends, through an informer so that a
// watch the API server closes during a long burst is resumed (a deletion
// seen only by a relist still counts). It returns once the informer has
// synced, so nothing created after it is missed.
func (t *tracker) run(ctx context.Context, client versioned.Interface, namespace string) error {
	factory := externalversions.NewSharedInformerFactoryWithOptions(client, 0, externalversions.WithNamespace(namespace))
	inf := factory.Openebs().V1beta3().DiskPools().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.observe(obj, false) },
		UpdateFunc: func(_, obj any) { t.observe(obj, false) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			t.observe(obj, true)
		},
	})
	if err != nil {
		return fmt.Errorf("watch DiskPools in %s: %w", namespace, err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("watch DiskPools in %s: cache did not sync", namespace)
	}
	return nil
}

func (t *tracker) observe(obj any, gone bool) {
	now := time.Now()
	dp, ok := obj.(*v1beta3.DiskPool)
	if !ok {
		return
	}
	t.mu.Lock()
	switch {
	case gone:
		t.goneAt[dp.Name] = now
	case isReady(dp):
		if _, seen := t.readyAt[dp.Name]; !seen {
			t.readyAt[dp.Name] = now
		}
	}
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func isReady(dp *v1beta3.DiskPool) bool {
	c := meta.FindStatusCondition(dp.Status.Conditions, v1beta3.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue &&
		dp.Status.ObservedGeneration == dp.Generation && c.ObservedGeneration == dp.Generation
}

// waitAll waits until every name is Ready (or gone, with gone=true).
func (t *tracker) waitAll(ctx context.Context, names []string, gone bool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		t.mu.Lock()
		seen := t.readyAt
		if gone {
			seen = t.goneAt
		}
		missing := 0
		for _, n := range names {
			if _, ok := seen[n]; !ok {
				missing++
			}
		}
		t.mu.Unlock()
		if missing == 0 {
			return nil
		}
		select {
		case <-t.changed:
		case <-ctx.Done():
			what := "Ready"
			if gone {
				what = "gone"
			}
			return fmt.Errorf("%d of %d objects not %s: %w", missing, len(names), what, context.Cause(ctx))
		}
	}
}

// phase summarises one burst: wall time from the first request to the last
// object done, and per-object latency.
type phase struct {
	Objects       int     `json:"objects"`
	WallSeconds   float64 `json:"wallSeconds"`
	P50Seconds    float64 `json:"p50Seconds"`
	P99Seconds    float64 `json:"p99Seconds"`
	MaxSeconds    float64 `json:"maxSeconds"`
	ObjectsPerSec float64 `json:"objectsPerSecond"`
	// RequestsSeconds is how long the burst client took to send every
	// create (or delete) and have it return: the part of WallSeconds no
	// controller can shorten.
	RequestsSeconds float64 `json:"requestsSeconds,omitempty"`
}

func (t *tracker) createPhase(names []string) phase {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := summarise(names, t.createdAt, t.readyAt)
	p.RequestsSeconds = span(names, t.createdAt, t.createReturned)
	return p
}

func (t *tracker) deletePhase(names []string) phase {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := summarise(names, t.deleteAt, t.goneAt)
	p.RequestsSeconds = span(names, t.deleteAt, t.deleteReturned)
	return p
}

// span is the time from the first request sent to the last one returned,
// or 0 when none was timed (the backlog's objects).
func span(names []string, sent, returned map[string]time.Time) float64 {
	var first, last time.Time
	for _, n := range names {
		s, r := sent[n], returned[n]
		if s.IsZero() || r.IsZero() {
			continue
		}
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if r.After(last) {
			last = r
		}
	}
	if first.IsZero() {
		return 0
	}
	return last.Sub(first).Seconds()
}

func summarise(names []string, from, to map[string]time.Time) phase {
	var first, last time.Time
	lat := make([]float64, 0, len(names))
	for _, n := range names {
		s, e := from[n], to[n]
		if s.IsZero() || e.IsZero() {
			continue
		}
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if e.After(last) {
			last = e
		}
		lat = append(lat, e.Sub(s).Seconds())
	}
	slices.Sort(lat)
	p := phase{Objects: len(lat)}
	if len(lat) == 0 {
		return p
	}
	p.WallSeconds = last.Sub(first).Seconds()
	p.P50Seconds = quantile(lat, 0.50)
	p.P99Seconds = quantile(lat, 0.99)
	p.MaxSeconds = lat[len(lat)-1]
	if p.WallSeconds > 0 {
		p.ObjectsPerSec = float64(len(lat)) / p.WallSeconds
	}
	return p
}

// quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
